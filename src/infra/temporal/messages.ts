/**
 * Queries, signals and updates of the backup, verify and restore workflows, defined once and
 * imported by the workflows, the CLI and the tests (the incident's are in src/operations/dr/messages.ts).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

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
