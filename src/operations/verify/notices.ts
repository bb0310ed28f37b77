/** What a verification tells people: an alert when it failed, a warning for a size jump. */
import { cancelledIf, factIf, type Notice, type RunFailed } from '../../infra/notify/notice';
import type { VerificationRecord } from './verification';

/** A failed verification is an alert; a passed one with a size warning is a warning. */
export function verificationNotice(r: VerificationRecord): Notice {
  const failed = r.status === 'failed';
  return {
    event: failed ? 'verify.failed' : 'verify.passed',
    about: r.database,
    severity: failed ? 'critical' : r.warnings.length ? 'warning' : 'info',
    title: failed
      ? `Verification of ${r.database} backup ${r.backupId} FAILED`
      : `Backup ${r.backupId} of ${r.database} verified`,
    facts: [
      ['Database', r.database],
      ['Backup', r.backupId],
      ['Result', failed ? `failed: ${r.failures.join(' | ')}` : 'passed: checksums, decryption, test restore and row counts'],
      ...factIf('Warnings', r.warnings.join(' | ')),
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

/** A verification run that stopped before it finished: what it found wrong is nothing, what it proved is nothing more. */
export interface VerifyRunFailed extends RunFailed {
  /** The step it was at (the status query's words). */
  during: string;
  /** What it had verified before it stopped ("<backup id>: passed"). */
  verified: string[];
}

export function verifyRunFailedNotice(f: VerifyRunFailed): Notice {
  return {
    event: 'verify.run-failed',
    about: f.database,
    ...cancelledIf(f.errorType),
    severity: 'critical',
    title: `Verification of ${f.database} could not finish`,
    facts: [
      ['Database', f.database],
      ['During', f.during],
      ['Error', `${f.errorType}: ${f.message}`],
      ...factIf('Verified before', f.verified.join(', ')),
      ['Workflow', f.workflowId],
    ],
    action: `${
      f.errorType === 'ConfigError'
        ? 'fix the worker configuration named above and restart the worker'
        : 'fix the cause named above (the Temporal Web UI has the full error)'
    }, then run pgwarden verify --database ${f.database}; until one finishes, the backups are no more proven to restore than before this run`,
  };
}
