/**
 * What a handover tells beyond who is on call, read from Temporal's visibility for this
 * deployment (its task queue): the incidents still open, which the person coming on call
 * inherits, and the runs that closed during the shift going off (shift-runs.ts lists them,
 * shift-review.ts sums them up). Each is left out of the notice, logged, when visibility cannot
 * be read: a handover is told anyway.
 */
import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { OpenAtHandover } from '../src/operations/dr/roster-notices';
import { OPEN_INCIDENTS_QUERY } from '../src/infra/temporal/links';
import { DatabaseSA, SeveritySA } from '../src/infra/temporal/search-attributes';
import { runsClosedSince, type ClosedRuns } from '../src/operations/dr/shift-runs';

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

/** The runs closed since `since`; null, logged, when visibility cannot be read. */
export async function shiftRuns(client: Client, taskQueue: string, since: string): Promise<ClosedRuns | null> {
  try {
    return await runsClosedSince(client, taskQueue, since);
  } catch (err) {
    log.warn('the runs of the shift could not be listed for the handover', { error: (err as Error).message });
    return null;
  }
}
