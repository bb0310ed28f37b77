/**
 * The on-call roster from outside: starting it, the stand-ins set now, and setting or removing
 * one; the handover notes. Used by the CLI, the console and the activity that opens an incident. One run per
 * deployment's task queue, started by `pgwarden schedules apply` when a rotation is configured
 * (it tells each handover) or by the first stand-in (update-with-start); one never started has
 * no stand-ins.
 */
import {
  Client,
  QueryNotRegisteredError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { UsageError } from '../../infra/errors/errors';
import { WorkflowType } from '../../infra/temporal/definitions';
import { OperationSA } from '../../infra/temporal/search-attributes';
import {
  onCallRosterId,
  addStandInUpdate,
  checkHandoversSignal,
  handoverNotesQuery,
  leaveHandoverNoteUpdate,
  removeStandInUpdate,
  standInsQuery,
} from './roster-messages';
import type { HandoverNote, HandoverNoteChange, HandoverNoteRequest, RosterState, StandIn, StandInRequest } from './stand-ins';
import { matrixVariablePrefix, type EscalationMatrix, type IncidentSettings } from '../../infra/config/incident';

/**
 * The stand-ins, or why they could not be read (the roster's worker did not answer in time);
 * `neverStarted`: no roster has run yet, so none is set and no handover is told.
 */
export type StandInsRead =
  { standIns: StandIn[]; unread?: undefined; neverStarted?: true } | { standIns: []; unread: string; neverStarted?: undefined };

/** How long a reader waits for the roster's worker: a page or an opening incident must not hang on it. */
export const ROSTER_ANSWER_MS = 5_000;

export async function readStandIns(client: Client, taskQueue: string, answerMs = ROSTER_ANSWER_MS): Promise<StandInsRead> {
  try {
    const standIns = await client.withDeadline(Date.now() + answerMs, () =>
      client.workflow.getHandle(onCallRosterId(taskQueue)).query(standInsQuery),
    );
    return { standIns };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { standIns: [], neverStarted: true };
    return {
      standIns: [],
      unread: `the stand-ins set at run time could not be read (${(err as Error).message.split('\n')[0]}): is a worker running (pgwarden worker)?`,
    };
  }
}

/**
 * The stand-ins and the handover notes not yet told, as the CLI and the console show them. The
 * notes are read only when the stand-ins were (their failure says why both are unknown), and a
 * note that cannot be read then is shown as none.
 */
export async function readRoster(client: Client, taskQueue: string): Promise<StandInsRead & { notes: HandoverNote[] }> {
  const read = await readStandIns(client, taskQueue);
  const notes = read.unread ? [] : await readHandoverNotes(client, taskQueue).catch(() => []);
  return { ...read, notes };
}

/** The handover notes not yet told; none when no roster ran, or when its worker is from before notes. */
async function readHandoverNotes(client: Client, taskQueue: string, answerMs = ROSTER_ANSWER_MS): Promise<HandoverNote[]> {
  try {
    return await client.withDeadline(Date.now() + answerMs, () =>
      client.workflow.getHandle(onCallRosterId(taskQueue)).query(handoverNotesQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || err instanceof QueryNotRegisteredError) return [];
    throw err;
  }
}

/**
 * A change the roster refused (its validators' one line), or a removal with no roster to remove
 * from, as a UsageError: the CLI and the console each say it in their own words.
 */
async function refusedAsUsage<T>(change: () => Promise<T>, id?: string): Promise<T> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UsageError((err.cause as Error | undefined)?.message ?? err.message);
    if (err instanceof WorkflowNotFoundError) throw new UsageError(`no stand-in ${id} is set (none has been set yet)`);
    throw err;
  }
}

const startOptions = (taskQueue: string) => ({
  workflowId: onCallRosterId(taskQueue),
  taskQueue,
  args: [{}] as [RosterState],
  workflowIdConflictPolicy: 'USE_EXISTING' as const,
  typedSearchAttributes: [{ key: OperationSA, value: 'oncall' }],
  staticSummary: 'on-call roster: handovers and stand-ins (pgwarden dr oncall)',
});

/**
 * Starts the roster unless it runs already: whether it was `started` or found `running`. A running
 * one is asked to check the handovers now, the rotation read again (a redeploy may have changed it).
 */
export async function startRoster(client: Client, taskQueue: string): Promise<'started' | 'running'> {
  const handle = client.workflow.getHandle(onCallRosterId(taskQueue));
  const running = await handle
    .describe()
    .then((d) => d.status.name === 'RUNNING')
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    });
  if (running) {
    await handle.signal(checkHandoversSignal);
    return 'running';
  }
  await client.workflow.start(WorkflowType.onCallRoster, startOptions(taskQueue));
  return 'started';
}

/** Sets a stand-in, starting the roster if it is not running yet; refused with one line (UsageError). */
export async function setStandIn(client: Client, taskQueue: string, req: StandInRequest): Promise<StandIn> {
  const start = new WithStartWorkflowOperation(WorkflowType.onCallRoster, startOptions(taskQueue));
  return refusedAsUsage(() =>
    client.workflow.executeUpdateWithStart(addStandInUpdate, { args: [req], startWorkflowOperation: start }),
  );
}

/**
 * Leaves a matrix's handover note (or takes it back, `text` empty), starting the roster if it
 * is not running yet; refused with one line (UsageError).
 */
export async function leaveHandoverNote(
  client: Client,
  taskQueue: string,
  req: HandoverNoteRequest,
): Promise<HandoverNoteChange> {
  const start = new WithStartWorkflowOperation(WorkflowType.onCallRoster, startOptions(taskQueue));
  return refusedAsUsage(() =>
    client.workflow.executeUpdateWithStart(leaveHandoverNoteUpdate, { args: [req], startWorkflowOperation: start }),
  );
}

/**
 * Why no handover note can be left in matrix `name` (it has no rotation, or handovers are off, so
 * nothing would tell it), or null; asked by the CLI and the console before the roster is.
 */
export function noteRefusedBeforehand(
  name: string,
  matrix: Pick<EscalationMatrix, 'onCall'> | undefined,
  handovers: boolean,
): string | null {
  if (!matrix?.onCall) return `matrix "${name}" has no on-call rotation (ESCALATION_ONCALL): no handover to leave a note for`;
  if (!handovers)
    return 'handover notes go with the handover notices, which ESCALATION_ONCALL_HANDOVERS=false turns off; tell the next person another way';
  return null;
}

/**
 * Why no stand-in can be set in matrix `name` (it has no rotation; as the backup, its rotation
 * asks for no backup on call), or null; asked by the CLI and the console before the roster is.
 */
export function standInRefusedBeforehand(
  name: string,
  matrix: Pick<EscalationMatrix, 'onCall'> | undefined,
  backup: boolean,
): string | null {
  if (!matrix?.onCall)
    return `matrix "${name}" has no on-call rotation (ESCALATION_ONCALL) to stand in for; level 1's contacts are all alerted`;
  if (backup && !matrix.onCall.backupAfterMinutes)
    return `matrix "${name}" asks for no backup on call (${matrixVariablePrefix(name)}ONCALL_BACKUP_AFTER_MINUTES): nobody to stand in for as the backup`;
  return null;
}

/** Takes a stand-in back; refused with one line (UsageError). */
export async function removeStandIn(client: Client, taskQueue: string, id: string): Promise<StandIn> {
  return refusedAsUsage(
    () => client.workflow.getHandle(onCallRosterId(taskQueue)).executeUpdate(removeStandInUpdate, { args: [id] }),
    id,
  );
}

/**
 * Why no handover or reminder is told though a rotation is configured (the roster is not
 * running: never started, or ended), for `pgwarden check`; null when it runs, when there is
 * nothing to tell, or when Temporal could not say.
 */
export async function handoversUntold(
  client: Client,
  taskQueue: string,
  incident: Pick<IncidentSettings, 'handovers' | 'matrices'>,
): Promise<string | null> {
  if (!incident.handovers || !Object.values(incident.matrices).some((m) => m.onCall)) return null;
  const id = onCallRosterId(taskQueue);
  const status = await client.workflow
    .getHandle(id)
    .describe()
    .then((d) => d.status.name as string)
    .catch((err: unknown) => (err instanceof WorkflowNotFoundError ? 'NOT STARTED' : null));
  if (!status || status === 'RUNNING') return null;
  return `on-call handovers and reminders are not told: the on-call roster (${id}) is ${status === 'NOT STARTED' ? 'not started' : `not running (${status.toLowerCase()})`}; start it with pgwarden schedules apply`;
}
