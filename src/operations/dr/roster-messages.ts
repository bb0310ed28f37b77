/**
 * The on-call roster's messages (OnCallRosterWorkflow), defined once and imported by the
 * workflow, the CLI, the console and the incident's activities.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HandoverNote, HandoverNoteChange, HandoverNoteRequest, StandIn, StandInRequest } from './stand-ins';

/** One roster per deployment (its task queue, PGWARDEN_TASK_QUEUE): every matrix's stand-ins. */
export const onCallRosterId = (taskQueue: string) => `pgwarden-oncall-${taskQueue}`;

export const standInsQuery = defineQuery<StandIn[]>('standIns');
export const addStandInUpdate = defineUpdate<StandIn, [StandInRequest]>('addStandIn');
export const removeStandInUpdate = defineUpdate<StandIn, [string]>('removeStandIn');
/** The handover notes not yet told. */
export const handoverNotesQuery = defineQuery<HandoverNote[]>('handoverNotes');
/** Leaves a matrix's handover note, or takes it back (empty text). */
export const leaveHandoverNoteUpdate = defineUpdate<HandoverNoteChange, [HandoverNoteRequest]>('leaveHandoverNote');
/**
 * Check the handovers now, the rotation read again (`pgwarden schedules apply` sends it after a
 * redeploy); a roster from before handovers takes them up on it.
 */
export const checkHandoversSignal = defineSignal('checkHandovers');
