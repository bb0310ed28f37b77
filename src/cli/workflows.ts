/**
 * pgwarden's workflows by key, as types only (the CLI never loads workflow code): starting one
 * through startRun checks its arguments and result against the workflow itself.
 */
import type { BackupWorkflow } from '../../workflows/backup';
import type { CheckBackupsWorkflow } from '../../workflows/check-backups';
import type { CleanupWorkflow } from '../../workflows/cleanup';
import type { DisasterRecoveryWorkflow } from '../../workflows/disaster-recovery';
import type { ListBackupsWorkflow } from '../../workflows/list-backups';
import type { PreflightWorkflow } from '../../workflows/preflight';
import type { BackupReportWorkflow } from '../../workflows/report';
import type { RestoreWorkflow } from '../../workflows/restore';
import type { VerifyBackupWorkflow } from '../../workflows/verify';
import type { WorkflowType } from '../temporal/definitions';

export interface PgwardenWorkflows {
  preflight: typeof PreflightWorkflow;
  backup: typeof BackupWorkflow;
  verify: typeof VerifyBackupWorkflow;
  listBackups: typeof ListBackupsWorkflow;
  restore: typeof RestoreWorkflow;
  cleanup: typeof CleanupWorkflow;
  check: typeof CheckBackupsWorkflow;
  report: typeof BackupReportWorkflow;
  disasterRecovery: typeof DisasterRecoveryWorkflow;
}

/** Every workflow type has its function type here, and nothing else is here. */
export type WorkflowKey = keyof typeof WorkflowType & keyof PgwardenWorkflows;
