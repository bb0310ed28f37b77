/**
 * What a handover tells beyond who is on call, read from Temporal's visibility for this
 * deployment (its task queue): the incidents still open, which the person coming on call
 * inherits, and the runs that closed during the shift going off (shift-review.ts sums them
 * up). Each is left out of the notice, logged, when visibility cannot be read: a handover is
 * told anyway.
 */
import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { OpenAtHandover } from '../src/operations/dr/roster-notices';
import type { ClosedRun } from '../src/operations/dr/shift-review';
import { OPEN_INCIDENTS_QUERY } from '../src/infra/temporal/links';
import { DatabaseSA, IncidentStatusSA, SeveritySA } from '../src/infra/temporal/search-attributes';

/** The open incidents; none, logged, when visibility cannot be read. */
export async function openAtHandover(client: Client, taskQueue: string): Promise<OpenAtHandover[]> {
  const open: OpenAtHandover[] = [];
  try {
    for await (const run of client.workflow.list({ query: `${OPEN_INCIDENTS_QUERY} AND TaskQueue = '${taskQueue}'` }))
      open.push({
        id: run.workflowId,
        severity: run.typedSearchAttributes.get(SeveritySA) ?? '?',
        database: run.typedSearchAttributes.get(DatabaseSA) ?? '?',
      });
  } catch (err) {
    log.warn('the open incidents could not be listed for the handover', { error: (err as Error).message });
  }
  return open;
}

const OUTCOMES: Record<string, ClosedRun['outcome']> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed out',
  CANCELLED: 'cancelled',
};

/** A week of nightly work for a few databases is dozens of runs; this bounds a busy deployment's listing. */
const MOST_RUNS_READ = 2_000;

/**
 * The runs closed since `since` (a run continued as new is not closed: its next run goes on);
 * null, logged, when visibility cannot be read.
 */
export async function runsClosedSince(client: Client, taskQueue: string, since: string): Promise<ClosedRun[] | null> {
  const runs: ClosedRun[] = [];
  // The task queue is the deployment's own name ([A-Za-z0-9._-], config): safe inside the quotes.
  const query = `TaskQueue = '${taskQueue}' AND CloseTime >= '${since}' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'`;
  try {
    for await (const run of client.workflow.list({ query })) {
      const outcome = OUTCOMES[run.status.name];
      if (!outcome || !run.closeTime) continue;
      const severity = run.typedSearchAttributes.get(SeveritySA);
      runs.push({
        type: run.type,
        workflowId: run.workflowId,
        database: run.typedSearchAttributes.get(DatabaseSA) ?? null,
        outcome,
        closedAt: run.closeTime.toISOString(),
        ...(severity ? { incident: { severity, status: run.typedSearchAttributes.get(IncidentStatusSA) ?? 'closed' } } : {}),
      });
      if (runs.length >= MOST_RUNS_READ) break;
    }
  } catch (err) {
    log.warn('the runs of the shift could not be listed for the handover', { error: (err as Error).message });
    return null;
  }
  return runs;
}
