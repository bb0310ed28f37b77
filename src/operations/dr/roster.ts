/**
 * The on-call roster from outside: the stand-ins set now, and setting or removing one. Used by
 * the CLI, the console and the activity that opens an incident. A roster that was never started
 * has no stand-ins; the first stand-in starts it (update-with-start, one run per deployment's task queue).
 */
import { Client, WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { UsageError } from '../../infra/errors/errors';
import { WorkflowType } from '../../infra/temporal/definitions';
import { OperationSA } from '../../infra/temporal/search-attributes';
import { onCallRosterId, addStandInUpdate, removeStandInUpdate, standInsQuery } from './roster-messages';
import type { StandIn, StandInRequest } from './stand-ins';

/** The stand-ins, or why they could not be read (the roster's worker did not answer in time). */
export type StandInsRead = { standIns: StandIn[]; unread?: undefined } | { standIns: []; unread: string };

/** How long a reader waits for the roster's worker: a page or an opening incident must not hang on it. */
export const ROSTER_ANSWER_MS = 5_000;

export async function readStandIns(client: Client, taskQueue: string, answerMs = ROSTER_ANSWER_MS): Promise<StandInsRead> {
  try {
    const standIns = await client.withDeadline(Date.now() + answerMs, () =>
      client.workflow.getHandle(onCallRosterId(taskQueue)).query(standInsQuery),
    );
    return { standIns };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { standIns: [] };
    return {
      standIns: [],
      unread: `the stand-ins set at run time could not be read (${(err as Error).message.split('\n')[0]}): is a worker running (pgwarden worker)?`,
    };
  }
}

/**
 * A change the roster refused (its validators' one line), or a removal with no roster to remove
 * from, as a UsageError: the CLI and the console each say it in their own words.
 */
async function refusedAsUsage(change: () => Promise<StandIn>, id?: string): Promise<StandIn> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UsageError((err.cause as Error | undefined)?.message ?? err.message);
    if (err instanceof WorkflowNotFoundError) throw new UsageError(`no stand-in ${id} is set (none has been set yet)`);
    throw err;
  }
}

/** Sets a stand-in, starting the roster if it is not running yet; refused with one line (UsageError). */
export async function setStandIn(client: Client, taskQueue: string, req: StandInRequest): Promise<StandIn> {
  const start = new WithStartWorkflowOperation(WorkflowType.onCallRoster, {
    workflowId: onCallRosterId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: OperationSA, value: 'oncall' }],
    staticSummary: 'on-call stand-ins (pgwarden dr oncall)',
  });
  return refusedAsUsage(() =>
    client.workflow.executeUpdateWithStart(addStandInUpdate, { args: [req], startWorkflowOperation: start }),
  );
}

/** Takes a stand-in back; refused with one line (UsageError). */
export async function removeStandIn(client: Client, taskQueue: string, id: string): Promise<StandIn> {
  return refusedAsUsage(
    () => client.workflow.getHandle(onCallRosterId(taskQueue)).executeUpdate(removeStandInUpdate, { args: [id] }),
    id,
  );
}
