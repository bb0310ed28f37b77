/**
 * Queries, signals and updates of pgwarden's workflows, defined once and imported by the
 * workflows, the CLI and the tests.
 */
import { defineQuery } from '@temporalio/workflow';

export type BackupStep = 'preflight' | 'dump' | 'manifest' | 'notify' | 'done' | 'failed';

/** Where a backup run stands: its step and, once known, its backup id. */
export const backupStatusQuery = defineQuery<{ step: BackupStep; backupId: string; database: string }>('backupStatus');

/** Where a verification run stands: its current step and the results so far. */
export const verifyStatusQuery = defineQuery<{ step: string; verified: string[] }>('verifyStatus');
