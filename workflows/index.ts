/** Every workflow the pgwarden worker runs. This folder is bundled for the workflow sandbox. */
export { BackupWorkflow } from './backup';
export { CheckBackupsWorkflow } from './check-backups';
export { CleanupWorkflow } from './cleanup';
export { ListBackupsWorkflow, PitrListWorkflow, RecoveryOptionsWorkflow } from './list-backups';
export { BackupReportWorkflow } from './report';
export { PreflightWorkflow } from './preflight';
export { RestoreWorkflow } from './restore';
export { VerifyBackupWorkflow } from './verify';
export { DisasterRecoveryWorkflow } from './disaster-recovery';
export { WalArchiveWorkflow } from './wal-archive';
export { BaseBackupWorkflow } from './base-backup';
export { PitrRestoreWorkflow, PitrStopWorkflow } from './pitr-restore';
export { RestorePointWorkflow } from './restore-point';
export { RecoverTableWorkflow } from './recover-table';
export { RestoreTestWorkflow } from './restore-test';
export { OnCallRosterWorkflow } from './on-call-roster';
