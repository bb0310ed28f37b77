/**
 * Names shared by workflows, the worker, the CLI and the tests: workflow types and how
 * workflow ids are made. Imported by workflow code, so it must stay
 * free of Node built-ins and I/O.
 */
export const WorkflowType = {
  preflight: 'PreflightWorkflow',
  backup: 'BackupWorkflow',
  verify: 'VerifyBackupWorkflow',
  listBackups: 'ListBackupsWorkflow',
  recoveryOptions: 'RecoveryOptionsWorkflow',
  pitrList: 'PitrListWorkflow',
  restore: 'RestoreWorkflow',
  cleanup: 'CleanupWorkflow',
  check: 'CheckBackupsWorkflow',
  report: 'BackupReportWorkflow',
  disasterRecovery: 'DisasterRecoveryWorkflow',
  walArchive: 'WalArchiveWorkflow',
  baseBackup: 'BaseBackupWorkflow',
  pitrRestore: 'PitrRestoreWorkflow',
  pitrStop: 'PitrStopWorkflow',
  restorePoint: 'RestorePointWorkflow',
  recoverTable: 'RecoverTableWorkflow',
  restoreTest: 'RestoreTestWorkflow',
  onCallRoster: 'OnCallRosterWorkflow',
} as const;

/**
 * Workflow ids that mean something in the UI list: `<operation>-<database>-<UTC time>`,
 * e.g. `preflight-sample-20261124T013000Z`.
 */
export function workflowId(operation: string, database: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${operation}-${database}-${stamp}`;
}
