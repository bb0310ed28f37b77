/**
 * The one way an incident opens, from the CLI (`dr start`) or the console's form: the
 * DisasterRecoveryWorkflow started with the search attributes the open-incidents views filter
 * on, then confirmed: a worker took it and level 1 went out, or the reason nobody was alerted.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../infra/config/config';
import { NoWorkerError, UsageError } from '../infra/errors/errors';
import type { DisasterRecoveryInput } from '../operations/dr/incident';
import * as m from '../operations/dr/messages';
import { EscalationLevelSA, IncidentStatusSA, IncidentStepSA, SeveritySA } from '../infra/temporal/search-attributes';
import type { DisasterRecoveryWorkflow } from '../../workflows/disaster-recovery';
import { startRun } from './cli/start-run';
import { workerPolls } from './cli/no-worker';

export interface OpenedIncident {
  id: string;
  runId: string;
  link?: string;
  /** Level 1's contacts the alert went to (empty: Slack only). */
  level1: string[];
}

export async function openIncident(client: Client, config: Config, input: DisasterRecoveryInput): Promise<OpenedIncident> {
  const { handle, id, link } = await startRun(client, config, {
    workflow: 'disasterRecovery',
    operation: 'dr',
    database: input.database!,
    args: [input],
    searchAttributes: [
      { key: SeveritySA, value: input.severity! },
      { key: IncidentStatusSA, value: 'open' },
      { key: IncidentStepSA, value: 'identify' },
      { key: EscalationLevelSA, value: 0 },
    ],
    summary: `[${input.severity}] ${input.database}: ${input.summary}`,
    callerChecksWorker: true,
  });
  const level1 = await confirmLevel1(client, handle, id, config.temporal.taskQueue);
  return { id, runId: handle.firstExecutionRunId, link, level1 };
}

/** Seconds a started incident gets to show that a worker took it and level 1 went out. */
const CONFIRM_SECONDS = 15;

/**
 * Confirms that a worker picked the incident up and level 1 is out (its contacts), or fails
 * saying what is wrong: no worker (the incident is recorded and its clock runs, but nobody was
 * alerted), or the incident could not open (the workflow's own reason).
 */
async function confirmLevel1(
  client: Client,
  handle: WorkflowHandle<typeof DisasterRecoveryWorkflow>,
  id: string,
  taskQueue: string,
): Promise<string[]> {
  if (!(await workerPolls(client, taskQueue, 5000)))
    throw new NoWorkerError(
      `incident ${id} is recorded and its escalation clock runs from now, but no worker is polling task queue "${taskQueue}", so nobody has been alerted yet; start one (pgwarden worker)`,
    );
  const deadline = Date.now() + CONFIRM_SECONDS * 1000;
  for (;;) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') {
      await handle.result(); // the incident could not open: its failure, with its exit code
      throw new UsageError(`${id} ended at once (${status.name.toLowerCase()})`);
    }
    const s = await handle.query(m.incidentStateQuery).catch(() => undefined);
    if (s?.escalation.sent.includes(1)) return s.matrix?.level1.contacts ?? [];
    if (Date.now() > deadline)
      throw new NoWorkerError(
        `incident ${id} is open, but no worker sent its level 1 alert within ${CONFIRM_SECONDS} s (a busy worker or a slow mail relay?); check pgwarden dr status ${id}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
