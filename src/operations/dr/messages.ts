/**
 * Queries, signals and updates of DisasterRecoveryWorkflow, defined once and imported by the
 * workflow, the CLI and the tests.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IncidentState } from './incident';
import type {
  AckInput,
  AssessInput,
  EscalateInput,
  NoteInput,
  ReasonInput,
  ResponderInput,
  SelectInput,
  UpdateInput,
} from './validate';

// Disaster recovery (DisasterRecoveryWorkflow): every human step is an Update with a validator
// and the same step as a Signal, for the Temporal UI.
export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
export const acknowledgeUpdate = defineUpdate<IncidentState, [AckInput]>('acknowledge');
export const assessUpdate = defineUpdate<IncidentState, [AssessInput]>('assess');
export const selectBackupUpdate = defineUpdate<IncidentState, [SelectInput]>('selectBackup');
export const approveIncidentRestoreUpdate = defineUpdate<IncidentState, [NoteInput]>('approveIncidentRestore');
export const resumeUpdate = defineUpdate<IncidentState, [NoteInput]>('resume');
export const retryStepUpdate = defineUpdate<IncidentState, [ReasonInput]>('retryStep');
export const skipStepUpdate = defineUpdate<IncidentState, [ReasonInput]>('skipStep');
export const abortUpdate = defineUpdate<IncidentState, [ReasonInput]>('abort');
/** Any time while open: a note in the timeline, or with `tell` a status update to everyone alerted. */
export const noteUpdate = defineUpdate<IncidentState, [UpdateInput]>('note');
/** Before the level's timer: the manager (2) or the executive (3) alerted now, with why. */
export const escalateUpdate = defineUpdate<IncidentState, [EscalateInput]>('escalate');
/** Any time while open: someone asked to help (a responder), with why; from then they hear what everyone alerted hears. */
export const addResponderUpdate = defineUpdate<IncidentState, [ResponderInput]>('addResponder');
export const acknowledgeSignal = defineSignal<[AckInput]>('acknowledgeSignal');
export const assessSignal = defineSignal<[AssessInput]>('assessSignal');
export const selectBackupSignal = defineSignal<[SelectInput]>('selectBackupSignal');
export const approveIncidentRestoreSignal = defineSignal<[NoteInput]>('approveIncidentRestoreSignal');
export const resumeSignal = defineSignal<[NoteInput]>('resumeSignal');
export const retryStepSignal = defineSignal<[ReasonInput]>('retryStepSignal');
export const skipStepSignal = defineSignal<[ReasonInput]>('skipStepSignal');
export const abortSignal = defineSignal<[ReasonInput]>('abortSignal');
export const noteSignal = defineSignal<[UpdateInput]>('noteSignal');
export const escalateSignal = defineSignal<[EscalateInput]>('escalateSignal');
export const addResponderSignal = defineSignal<[ResponderInput]>('addResponderSignal');
