/**
 * The on-call roster from outside: the stand-ins set now, and setting or removing one. Used by
 * the CLI, the console and the activity that opens an incident. A roster that was never started
 * has no stand-ins; the first stand-in starts it (update-with-start, one run per deployment's task queue).
 */
import { Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
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

/** Sets a stand-in, starting the roster if it is not running yet; refused with one line (WorkflowUpdateFailedError). */
export async function setStandIn(client: Client, taskQueue: string, req: StandInRequest): Promise<StandIn> {
  const start = new WithStartWorkflowOperation(WorkflowType.onCallRoster, {
    workflowId: onCallRosterId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: OperationSA, value: 'oncall' }],
    staticSummary: 'on-call stand-ins (pgwarden dr oncall)',
  });
  return client.workflow.executeUpdateWithStart(addStandInUpdate, { args: [req], startWorkflowOperation: start });
}

export async function removeStandIn(client: Client, taskQueue: string, id: string): Promise<StandIn> {
  return client.workflow.getHandle(onCallRosterId(taskQueue)).executeUpdate(removeStandInUpdate, { args: [id] });
}
