/** What a verification tells people: an alert when it failed, a warning for a size jump. */
import type { Notice } from '../../infra/notify/notice';
import type { VerificationRecord } from './verification';

/** A failed verification is an alert; a passed one with a size warning is a warning. */
export function verificationNotice(r: VerificationRecord): Notice {
  const failed = r.status === 'failed';
  return {
    event: failed ? 'verify.failed' : 'verify.passed',
    severity: failed ? 'critical' : r.warnings.length ? 'warning' : 'info',
    title: failed
      ? `Verification of ${r.database} backup ${r.backupId} FAILED`
      : `Backup ${r.backupId} of ${r.database} verified`,
    facts: [
      ['Database', r.database],
      ['Backup', r.backupId],
      ['Result', failed ? `failed: ${r.failures.join(' | ')}` : 'passed: checksums, decryption, test restore and row counts'],
      ...(r.warnings.length ? ([['Warnings', r.warnings.join(' | ')]] as Array<[string, string]>) : []),
      ['Restore time', r.checks.restore.restoreMs === null ? 'n/a' : `${(r.checks.restore.restoreMs / 1000).toFixed(1)}s`],
      ['Duration', `${(r.durationMs / 1000).toFixed(1)}s`],
      ['Workflow', r.workflow.id],
    ],
    action: failed
      ? 'do not rely on this backup: check the findings above, take a new backup (pgwarden backup) and verify it'
      : r.warnings.length
        ? 'check why the backup size changed (data growth, a dropped table, a failed load)'
        : undefined,
  };
}
