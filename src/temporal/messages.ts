/**
 * Queries, signals and updates of pgwarden's workflows, defined once and imported by the
 * workflows, the CLI and the tests.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IncidentState } from '../incident/incident';
import type { Actor, AssessInput, NoteInput, ReasonInput, SelectInput } from '../incident/validate';

export type BackupStep = 'preflight' | 'dump' | 'manifest' | 'notify' | 'done' | 'failed';

/** Where a backup run stands: its step and, once known, its backup id. */
export const backupStatusQuery = defineQuery<{ step: BackupStep; backupId: string; database: string }>('backupStatus');

/** Where a verification run stands: its current step and the results so far. */
export const verifyStatusQuery = defineQuery<{ step: string; verified: string[] }>('verifyStatus');

export interface RestoreApproval {
  /** Who approves: recorded in the result and the workflow history. */
  by: string;
  note?: string;
}

export interface RestoreStatus {
  step: string;
  database: string;
  backupId: string | null;
  mode: 'new' | 'existing';
  target: string;
  awaitingApproval: boolean;
  approvedBy: string | null;
  rejectedBy: string | null;
}

export const restoreStatusQuery = defineQuery<RestoreStatus>('restoreStatus');
/** Approves an in-place restore; rejected (with a reason) when none is awaited or `by` is empty. */
export const approveRestoreUpdate = defineUpdate<RestoreStatus, [RestoreApproval]>('approveRestore');
/** Rejects an in-place restore that awaits approval; nothing is changed. */
export const rejectRestoreUpdate = defineUpdate<RestoreStatus, [RestoreApproval]>('rejectRestore');
/** The same approval as a signal, for the Temporal UI's "Send signal" form. */
export const approveRestoreSignal = defineSignal<[RestoreApproval]>('approveRestoreSignal');

// Disaster recovery (DisasterRecoveryWorkflow): every human step is an Update with a validator
// and the same step as a Signal, for the Temporal UI.
export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
export const acknowledgeUpdate = defineUpdate<IncidentState, [Actor]>('acknowledge');
export const assessUpdate = defineUpdate<IncidentState, [AssessInput]>('assess');
export const selectBackupUpdate = defineUpdate<IncidentState, [SelectInput]>('selectBackup');
export const approveIncidentRestoreUpdate = defineUpdate<IncidentState, [NoteInput]>('approveIncidentRestore');
export const resumeUpdate = defineUpdate<IncidentState, [NoteInput]>('resume');
export const retryStepUpdate = defineUpdate<IncidentState, [ReasonInput]>('retryStep');
export const skipStepUpdate = defineUpdate<IncidentState, [ReasonInput]>('skipStep');
export const abortUpdate = defineUpdate<IncidentState, [ReasonInput]>('abort');
export const acknowledgeSignal = defineSignal<[Actor]>('acknowledgeSignal');
export const assessSignal = defineSignal<[AssessInput]>('assessSignal');
export const selectBackupSignal = defineSignal<[SelectInput]>('selectBackupSignal');
export const approveIncidentRestoreSignal = defineSignal<[NoteInput]>('approveIncidentRestoreSignal');
export const resumeSignal = defineSignal<[NoteInput]>('resumeSignal');
export const retryStepSignal = defineSignal<[ReasonInput]>('retryStepSignal');
export const skipStepSignal = defineSignal<[ReasonInput]>('skipStepSignal');
export const abortSignal = defineSignal<[ReasonInput]>('abortSignal');
