/**
 * The one way CLI commands start a pgwarden run: warn if no worker polls, a workflow id that
 * says what and where and when, the search attributes the UI filters on, a summary line, and
 * the link to the run in the Temporal Web UI.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { BusyError } from '../../infra/errors/errors';
import { ExitCode } from '../../infra/errors/exit-codes';
import { Config } from '../../infra/config/config';
import { WorkflowType, workflowId } from '../../infra/temporal/definitions';
import type { PgwardenWorkflows, WorkflowKey } from '../../../workflows/by-key';
import { DatabaseSA, OperationSA } from '../../infra/temporal/search-attributes';
import { runLink } from '../../infra/temporal/links';
import { warnIfNoWorker } from './no-worker';

export interface RunSpec<K extends WorkflowKey> {
  /** Which workflow: its arguments are checked against the workflow function's own. */
  workflow: K;
  /** Shown in the id and the PgwardenOperation search attribute: backup, verify, restore, ... */
  operation: string;
  database: string;
  args: Parameters<PgwardenWorkflows[K]>;
  summary?: string;
  /** The id's first word when it differs from the operation (e.g. cleanup-dry-run). */
  idWord?: string;
  /** Runs that may start several times a second (lists, reports) get a random suffix. */
  uniqueId?: boolean;
  /** A run of which there is only ever one (a server's WAL archiving): this id, no time in it. */
  fixedId?: string;
  /** Search attributes beside the database and the operation (an incident's). */
  searchAttributes?: SearchAttributePair[];
  /** The caller checks for a worker itself, and fails without one (an incident's start). */
  callerChecksWorker?: boolean;
}

export interface StartedRun<K extends WorkflowKey> {
  handle: WorkflowHandleWithFirstExecutionRunId<PgwardenWorkflows[K]>;
  id: string;
  link?: string;
}

export async function startRun<K extends WorkflowKey>(client: Client, config: Config, spec: RunSpec<K>): Promise<StartedRun<K>> {
  if (!spec.callerChecksWorker) await warnIfNoWorker(client, config.temporal.taskQueue);
  // Runs with work on a server's host carry its queue in their input (workflows/host-queue.ts).
  const hostQueue = (spec.args[0] as { hostQueue?: unknown } | undefined)?.hostQueue;
  if (typeof hostQueue === 'string') await warnIfNoWorker(client, hostQueue, 5000, 'activity');
  const stamped = workflowId(spec.idWord ?? spec.operation, spec.database, new Date());
  const id = spec.fixedId ?? (spec.uniqueId ? `${stamped}-${Math.random().toString(36).slice(2, 8)}` : stamped);
  const handle = await client.workflow
    .start<PgwardenWorkflows[K]>(WorkflowType[spec.workflow], {
      taskQueue: config.temporal.taskQueue,
      workflowId: id,
      args: spec.args,
      typedSearchAttributes: [
        { key: DatabaseSA, value: spec.database },
        { key: OperationSA, value: spec.operation },
        ...(spec.searchAttributes ?? []),
      ],
      ...(spec.summary ? { staticSummary: spec.summary } : {}),
    })
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (spec.fixedId) throw err;
      const link = runLink(config.temporal.uiUrl, client.options.namespace, id);
      throw new BusyError(
        `a ${spec.operation} of ${spec.database} was started this very second (workflow ${id}${link ? `, ${link}` : ''}); runs are named per second, so start again in a moment`,
      );
    });
  const link = runLink(config.temporal.uiUrl, client.options.namespace, id);
  followUntilInterrupted({ id, link });
  return { handle, id, link };
}

/** The run the command follows now (the last one it started). */
let following: { id: string; link?: string } | undefined;

/**
 * Ctrl-C while the command follows a run stops the following, not the run: it is Temporal's, and
 * goes on (a backup commits, a restore waits for its approval). Said in one line with where to
 * watch or cancel it, because an operator used to scripts expects the work to stop with the command.
 */
function followUntilInterrupted(run: { id: string; link?: string }): void {
  const first = !following;
  following = run;
  if (!first) return;
  process.once('SIGINT', () => {
    const { id, link } = following!;
    process.stderr.write(
      `\npgwarden: stopped following workflow ${id}; the run goes on in Temporal${link ? ` (${link})` : ''}: cancel it there, or with temporal workflow cancel --workflow-id ${id}\n`,
    );
    process.exit(ExitCode.Interrupted);
  });
}

/** "pgwarden: <doing> <database> (workflow <id>, <link>)" on stderr. */
export function announce(doing: string, run: { id: string; link?: string }): void {
  process.stderr.write(`pgwarden: ${doing} (workflow ${run.id}${run.link ? `, ${run.link}` : ''})\n`);
}
