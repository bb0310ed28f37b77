/**
 * The one way CLI commands start a pgwarden run: warn if no worker polls, a workflow id that
 * says what and where and when, the search attributes the UI filters on, a summary line, and
 * the link to the run in the Temporal Web UI.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { BusyError } from '../errors/errors';
import { Config } from '../config/config';
import { workflowId } from '../temporal/definitions';
import { DatabaseSA, OperationSA } from '../temporal/search-attributes';
import { runLink } from '../temporal/links';
import { warnIfNoWorker } from './no-worker';

export interface RunSpec {
  workflowType: string;
  /** Shown in the id and the PgwardenOperation search attribute: backup, verify, restore, ... */
  operation: string;
  database: string;
  args: unknown[];
  summary: string;
  /** The id's first word when it differs from the operation (e.g. cleanup-dry-run). */
  idWord?: string;
}

export interface StartedRun {
  handle: WorkflowHandleWithFirstExecutionRunId;
  id: string;
  link?: string;
}

export async function startRun(client: Client, config: Config, spec: RunSpec): Promise<StartedRun> {
  await warnIfNoWorker(client, config.temporal.taskQueue);
  const id = workflowId(spec.idWord ?? spec.operation, spec.database, new Date());
  const handle = await client.workflow
    .start(spec.workflowType, {
      taskQueue: config.temporal.taskQueue,
      workflowId: id,
      args: spec.args,
      typedSearchAttributes: [
        { key: DatabaseSA, value: spec.database },
        { key: OperationSA, value: spec.operation },
      ],
      staticSummary: spec.summary,
    })
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const link = runLink(config.temporal.uiUrl, client.options.namespace, id);
      throw new BusyError(
        `a ${spec.operation} of ${spec.database} was started this very second (workflow ${id}${link ? `, ${link}` : ''}); runs are named per second, so start again in a moment`,
      );
    });
  return { handle, id, link: runLink(config.temporal.uiUrl, client.options.namespace, id) };
}

/** "pgwarden: <doing> <database> (workflow <id>, <link>)" on stderr. */
export function announce(doing: string, run: StartedRun): void {
  process.stderr.write(`pgwarden: ${doing} (workflow ${run.id}${run.link ? `, ${run.link}` : ''})\n`);
}
