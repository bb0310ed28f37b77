/**
 * VerifyBackupWorkflow: the strategy's weekly verify_backup.sh, proving a backup restores.
 *   0. janitor: drop temporary databases of earlier verifications that died
 *   1-2. test restore into a temporary database and row counts against the manifest; the
 *        load checks the data objects' checksums and decrypts them whole as it reads
 *   3-4. checksums and a full decryption of the globals (of everything when the restore failed)
 *   5. size against earlier backups (a warning, not a failure)
 *   then, for a server in WAL_ARCHIVE: WAL continuity, the WAL archived since the last run read
 *   back (decrypted, checksums, pg_waldump), and its newest base backup recovered
 *   in a temporary instance on the server's host (pg_verifybackup, recovery, row counts);
 *   given a base backup id, only the archive and that base backup; with --all-unverified,
 *   every base backup never verified before the newest, oldest first
 * The outcome is stored beside the backup and notified; a failed verification is an alert.
 */
import { log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CALLERS_MISTAKES, failureOf, tellDespiteCancel } from './failure-notice';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { CatalogEntry } from '../src/operations/catalog/catalog';
import {
  buildVerificationRecord,
  IntegrityFindings,
  RestoreFindings,
  SizeCheck,
  VerificationRecord,
} from '../src/operations/verify/verification';
import { verifyStatusQuery } from '../src/infra/temporal/messages';
import type { PitrStatus } from '../src/operations/pitr/window';
import type { BaseBackupVerification } from '../src/operations/pitr/base-verification';
import type { WalVerification } from '../src/operations/pitr/wal-verification';
import { typedFailure } from '../src/infra/temporal/failure';
import type { VerifyRunFailed } from '../src/operations/verify/notices';
import { onHost } from './host-queue';
import { tagRun } from './tag-run';

export interface VerifyInput {
  database: string;
  /** A backup id (backup_YYYYMMDD_HHMMSS); default: the newest complete backup. */
  backupId?: string;
  /** Verify every backup that has never been verified, oldest first. */
  allUnverified?: boolean;
  /** A server in WAL_ARCHIVE: verify this base backup (base_YYYYMMDD_HHMMSS) alone, no dump. */
  baseBackupId?: string;
  /** A server in WAL_ARCHIVE: the task queue of the worker on its host (TASK_QUEUE_<SERVER>), where its base backup is recovered. */
  hostQueue?: string;
}

const VERIFY_INPUT: InputSpec<VerifyInput> = {
  database: 'string',
  backupId: 'string?',
  allUnverified: 'boolean?',
  baseBackupId: 'string?',
  hostQueue: 'string?',
};

export interface VerifyResult {
  database: string;
  verified: Array<
    Pick<VerificationRecord, 'backupId' | 'status' | 'failures' | 'warnings' | 'durationMs'> & { restoreMs: number | null }
  >;
  /** A server in WAL_ARCHIVE: its point-in-time archive, WAL continuity from the oldest base backup included. */
  pitr?: PitrStatus;
  /** A server in WAL_ARCHIVE: the WAL archived since the last run read back (absent with VERIFY_WAL_SEGMENTS=0, --base, or from older runs). */
  walContents?: WalVerification;
  /** A server in WAL_ARCHIVE: its newest (or the named) base backup recovered in a temporary instance and checked. */
  baseBackup?: BaseBackupVerification;
  /** verify --all-unverified of a server in WAL_ARCHIVE: its base backups never verified before, oldest first, checked before the newest. */
  olderBaseBackups?: BaseBackupVerification[];
  /** The run verified the named base backup alone (VerifyInput.baseBackupId): no dump was looked at. */
  baseOnly?: true;
}

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});
const long = proxyActivities<Activities>({
  startToCloseTimeout: '12 hours',
  // Transfers and loads beat every few seconds: a dead worker's run moves on within 30 s.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
});

/** Deterministic and unique per run, so a retried restore reuses (and first drops) its own database. */
export function tempDatabaseName(backupId: string, runId: string): string {
  return `pgwarden_verify_${backupId.replace(/^backup_/, '')}_${runId.replace(/-/g, '').slice(0, 12)}`.toLowerCase();
}

export async function VerifyBackupWorkflow(input: VerifyInput): Promise<VerifyResult> {
  checkInput(WorkflowType.verify, VERIFY_INPUT, input);
  const at = { step: 'janitor: dropping temporary databases of runs that died' };
  const done: VerifyResult['verified'] = [];
  const verifiedSoFar = () => done.map((d) => `${d.backupId}: ${d.status}`);
  setHandler(verifyStatusQuery, () => ({ step: at.step, verified: verifiedSoFar() }));
  tagRun(input.database, 'verify');
  try {
    return await verifyAll(input, at, done);
  } catch (err) {
    // A weekly run nobody watches that could not finish must reach people, as a failed verification does;
    // not a refused input (a --base of a database not archived, a backup id that does not exist), which its caller is told of.
    const { errorType, message } = failureOf(err, 'the verification was cancelled');
    if (!CALLERS_MISTAKES.includes(errorType) && patched('verify-failure-notice')) {
      log.error('verification could not finish', { database: input.database, during: at.step, errorType, message });
      const failed: VerifyRunFailed = {
        database: input.database,
        during: at.step,
        errorType,
        message,
        verified: verifiedSoFar(),
        workflowId: workflowInfo().workflowId,
      };
      await tellDespiteCancel('verification failure notice', () => quick.notifyVerifyRunFailed(failed));
    }
    throw err;
  }
}

/** The verification itself; `at.step` says where it is (the status query, and a failure's notice). */
async function verifyAll(input: VerifyInput, at: { step: string }, done: VerifyResult['verified']): Promise<VerifyResult> {
  const info = workflowInfo();
  await quick.dropOrphanVerifyDatabases({ databases: [input.database] });

  at.step = 'choosing backups';
  let backupIds: string[];
  // A new input, absent from earlier histories: they replay on the branches they took.
  if (input.baseBackupId) backupIds = [];
  else if (input.backupId) backupIds = [input.backupId];
  else {
    const catalog: CatalogEntry[] = await quick.listBackups({ database: input.database });
    // The newest of pgwarden's own backups by default; --all-unverified takes the old scripts' files too.
    backupIds = input.allUnverified
      ? catalog
          .filter((e) => e.verification.status === 'never')
          .map((e) => e.backupId)
          .reverse()
      : catalog
          .filter((e) => e.source !== 'old-script')
          .slice(0, 1)
          .map((e) => e.backupId);
  }
  if (backupIds.length === 0 && !input.baseBackupId)
    log.warn('nothing to verify', { database: input.database, allUnverified: input.allUnverified ?? false });

  // The archive's check needs nothing of the verifications: it runs beside them (one round less at the end).
  const together = patched('verify-finish-together');
  const pitrBeside =
    together && patched('verify-wal-continuity') ? quick.checkPointInTimeArchive({ database: input.database }) : undefined;
  pitrBeside?.catch(() => undefined); // awaited after the loop; not an unhandled rejection meanwhile
  for (const backupId of backupIds) {
    const startedAt = new Date();
    const ref = { database: input.database, backupId };
    const testRestore = () =>
      long.testRestore({
        ...ref,
        tempDatabase: tempDatabaseName(backupId, info.runId),
        workflowId: info.workflowId,
        runId: info.runId,
      });
    let integrity: IntegrityFindings;
    let restore: RestoreFindings | undefined;
    let size: SizeCheck | undefined;
    if (patched('verify-restore-first')) {
      // The test restore checks every data object against the manifest and decrypts it as it
      // loads, so the data is read once; the full integrity pass runs only to name what a
      // failed restore ran into.
      at.step = `${backupId}: test restore and row counts, checking the data as it loads`;
      restore = await testRestore();
      at.step = restore.restore.ok
        ? `${backupId}: checksums and decryption of the globals`
        : `${backupId}: checksums and decryption`;
      const integrityCheck = long.verifyStoredObjects({ ...ref, dataLoaded: restore.restore.ok });
      // The size check reads only the catalog: beside the integrity pass.
      if (together) [integrity, size] = await Promise.all([integrityCheck, quick.checkBackupSize(ref)]);
      else integrity = await integrityCheck;
    } else {
      at.step = `${backupId}: checksums and decryption`;
      integrity = await long.verifyStoredObjects(ref);
      if (integrity.checksums.ok && integrity.decryption.ok) {
        at.step = `${backupId}: test restore and row counts`;
        restore = await testRestore();
      }
    }
    if (!size) {
      at.step = `${backupId}: size against earlier backups`;
      size = await quick.checkBackupSize(ref);
    }
    const record = buildVerificationRecord({
      ...ref,
      integrity,
      restore,
      size,
      startedAt,
      finishedAt: new Date(),
      workflow: { id: info.workflowId, runId: info.runId },
    });
    at.step = `${backupId}: recording and notifying`;
    if (together) await Promise.all([quick.recordVerification(record), quick.notifyVerification(record)]);
    else {
      await quick.recordVerification(record);
      await quick.notifyVerification(record);
    }
    if (record.status === 'failed')
      log.error('verification failed', { database: input.database, backupId, failures: record.failures });
    done.push({
      backupId,
      status: record.status,
      failures: record.failures,
      warnings: record.warnings,
      durationMs: record.durationMs,
      restoreMs: record.checks.restore.restoreMs,
    });
  }
  // WAL continuity is part of what verify checks for a server whose WAL is archived.
  const pitr = together
    ? ((await pitrBeside) ?? null)
    : patched('verify-wal-continuity')
      ? await quick.checkPointInTimeArchive({ database: input.database })
      : null;
  if (input.baseBackupId && !pitr)
    throw typedFailure('UsageError', `${input.database} is not in WAL_ARCHIVE of the worker, so it has no base backups`);
  const onServerHost = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '12 hours',
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: '10 seconds', maximumAttempts: 2 },
  });
  // The WAL archived since the last run, read back: by pg_waldump of the server's version, on its host.
  let walContents: WalVerification | undefined;
  if (pitr && !input.baseBackupId && patched('verify-wal-contents')) {
    at.step = 'WAL archived since the last verification: decryption, checksums and records';
    walContents =
      (await onServerHost.verifyArchivedWal({ server: input.database, workflowId: info.workflowId, runId: info.runId })) ??
      undefined;
  }
  // And its newest (or the named) base backup must recover: on the server's host, where instances
  // are made. A named one is looked for even in an archive without any, to say it is not there.
  let baseBackup: BaseBackupVerification | undefined;
  let olderBaseBackups: BaseBackupVerification[] | undefined;
  if (pitr && (pitr.baseBackups > 0 || input.baseBackupId) && patched('verify-base-backup')) {
    at.step = `base backup${input.baseBackupId ? ` ${input.baseBackupId}` : ''}: pg_verifybackup, recovery and row counts`;
    const { verifyBaseBackup } = onServerHost;
    // --all-unverified takes the base backups never verified too, oldest first, as it does the dumps.
    if (input.allUnverified && patched('verify-unverified-base-backups')) {
      olderBaseBackups = [];
      for (const backupId of await quick.baseBackupsNeverVerified({ server: input.database })) {
        at.step = `base backup ${backupId}: pg_verifybackup, recovery and row counts`;
        olderBaseBackups.push(await verifyBaseBackup({ server: input.database, workflowId: info.workflowId, backupId }));
      }
      at.step = 'newest base backup: pg_verifybackup, recovery and row counts';
    }
    baseBackup = await verifyBaseBackup({
      server: input.database,
      workflowId: info.workflowId,
      ...(input.baseBackupId ? { backupId: input.baseBackupId } : {}),
    });
  }
  at.step = 'done';
  return {
    database: input.database,
    verified: done,
    ...(pitr ? { pitr } : {}),
    ...(walContents ? { walContents } : {}),
    ...(baseBackup ? { baseBackup } : {}),
    ...(olderBaseBackups ? { olderBaseBackups } : {}),
    ...(input.baseBackupId ? { baseOnly: true as const } : {}),
  };
}
