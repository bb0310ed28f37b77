/**
 * The runs of this deployment (its task queue) that closed since a time, from Temporal's
 * visibility: what a shift's review is made of (shift-review.ts). A run continued as new is not
 * closed: its next run goes on. Read by the handover's activity and by `pgwarden dr oncall
 * --review`; throws what the client throws.
 */
import type { Client } from '@temporalio/client';
import { DatabaseSA, IncidentStatusSA, SeveritySA } from '../../infra/temporal/search-attributes';
import type { ClosedRun } from './shift-review';

const OUTCOMES: Record<string, ClosedRun['outcome']> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed out',
  CANCELLED: 'cancelled',
};

/** A week of nightly work for a few databases is dozens of runs; this bounds a busy deployment's listing. */
export const MOST_RUNS_READ = 2_000;

export async function runsClosedSince(client: Client, taskQueue: string, since: string): Promise<ClosedRun[]> {
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
    if (runs.length >= MOST_RUNS_READ) break;
  }
  return runs;
}
