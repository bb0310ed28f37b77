/**
 * The runs of this deployment (its task queue) that closed since a time, from Temporal's
 * visibility: what a shift's review is made of (shift-review.ts). A run continued as new is not
 * closed: its next run goes on. Read by the handover's activity and by `pgwarden dr oncall
 * --review`; throws what the client throws.
 */
import type { Client } from '@temporalio/client';
import type { OnCallRotation } from '../../infra/config/incident';
import { DatabaseSA, IncidentStatusSA, SeveritySA } from '../../infra/temporal/search-attributes';
import { shiftAt } from './on-call';
import { reviewShift, type ClosedRun, type ShiftReview } from './shift-review';

const OUTCOMES: Record<string, ClosedRun['outcome']> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed out',
  CANCELLED: 'cancelled',
};

/** A week of nightly work for a few databases is dozens of runs; this bounds a busy deployment's listing. */
export const MOST_RUNS_READ = 2_000;

/** The runs read, newest closed first as visibility lists them; `complete` false when reading stopped at MOST_RUNS_READ. */
export interface ClosedRuns {
  runs: ClosedRun[];
  complete: boolean;
}

export async function runsClosedSince(
  client: Client,
  taskQueue: string,
  since: string,
  most = MOST_RUNS_READ,
): Promise<ClosedRuns> {
  const runs: ClosedRun[] = [];
  // The task queue is the deployment's own name ([A-Za-z0-9._-], config): safe inside the quotes.
  const query = `TaskQueue = '${taskQueue}' AND CloseTime >= '${since}' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'`;
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
    // One past the bound tells a listing cut short from one exactly that long.
    if (runs.length > most) return { runs: runs.slice(0, most), complete: false };
  }
  return { runs, complete: true };
}

/**
 * The shift under way at `now` (of a rotation with its stand-ins applied) so far, as its
 * handover will sum it up; null when its runs cannot be listed. The CLI's `--review` and the
 * console's On call page.
 */
export async function shiftSoFar(
  client: Client,
  taskQueue: string,
  rotation: OnCallRotation,
  now: Date,
): Promise<ShiftReview | null> {
  const since = shiftAt(rotation, now).from.toISOString();
  const read = await runsClosedSince(client, taskQueue, since).catch(() => null);
  return read && reviewShift(read.runs, since, read.complete);
}
