/**
 * pgwarden's workflows by key, as types: starting one (startRun, the schedules) checks its
 * arguments and result against the workflow itself. Imported as types only, so the CLI never
 * loads workflow code.
 */
import type { BackupWorkflow } from './backup';
import type { CheckBackupsWorkflow } from './check-backups';
import type { CleanupWorkflow } from './cleanup';
import type { DisasterRecoveryWorkflow } from './disaster-recovery';
import type { ListBackupsWorkflow, PitrListWorkflow, RecoveryOptionsWorkflow } from './list-backups';
import type { PreflightWorkflow } from './preflight';
import type { BackupReportWorkflow } from './report';
import type { RestoreWorkflow } from './restore';
import type { VerifyBackupWorkflow } from './verify';
import type { WalArchiveWorkflow } from './wal-archive';
import type { BaseBackupWorkflow } from './base-backup';
import type { PitrRestoreWorkflow, PitrStopWorkflow } from './pitr-restore';
import type { RecoverTableWorkflow } from './recover-table';
import type { RestoreTestWorkflow } from './restore-test';
import type { RestorePointWorkflow } from './restore-point';
import type { WorkflowType } from '../src/infra/temporal/definitions';

export interface PgwardenWorkflows {
  preflight: typeof PreflightWorkflow;
  backup: typeof BackupWorkflow;
  verify: typeof VerifyBackupWorkflow;
  listBackups: typeof ListBackupsWorkflow;
  recoveryOptions: typeof RecoveryOptionsWorkflow;
  pitrList: typeof PitrListWorkflow;
  restore: typeof RestoreWorkflow;
  cleanup: typeof CleanupWorkflow;
  check: typeof CheckBackupsWorkflow;
  report: typeof BackupReportWorkflow;
  disasterRecovery: typeof DisasterRecoveryWorkflow;
  walArchive: typeof WalArchiveWorkflow;
  baseBackup: typeof BaseBackupWorkflow;
  pitrRestore: typeof PitrRestoreWorkflow;
  pitrStop: typeof PitrStopWorkflow;
  restorePoint: typeof RestorePointWorkflow;
  recoverTable: typeof RecoverTableWorkflow;
  restoreTest: typeof RestoreTestWorkflow;
}

/** Every workflow type has its function type here, and nothing else is here. */
export type WorkflowKey = keyof typeof WorkflowType & keyof PgwardenWorkflows;
