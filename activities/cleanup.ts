/**
 * Cleanup activities: the strategy's cleanup_old_backups.sh. Deleting a backup removes its
 * manifest first, so it stops being a backup at once; its data, globals and verification
 * record follow, and anything left by a failure is an orphan the next run removes.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  LifecycleRule,
  ListMultipartUploadsCommand,
  PutBucketLifecycleConfigurationCommand,
} from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';
import { backupKeys, databaseRoot, manifestPrefix, parseBackupId } from '../src/operations/backup/naming';
import { decideRetention, RetentionDecision } from '../src/operations/cleanup/retention';
import { BackupStore } from '../src/operations/catalog/store';
import { verificationKey, verificationPrefix } from '../src/operations/verify/verification';
import { CleanupError } from '../src/infra/errors/errors';
import { expiryWarnings, mergeRules, pgwardenRule } from '../src/infra/storage/lifecycle';
import { DeleteFailure, deleteFailuresMessage, storageError } from '../src/infra/storage/s3-errors';
import { ActivityDeps } from './deps';
import { deliver } from './notify';
import { CleanupFailed, cleanupFailedNotice, CleanupReport, cleanupNotice } from '../src/operations/cleanup/notices';
import { ChannelResult } from '../src/infra/notify/notifier';

export interface CleanupPlan {
  database: string;
  decisions: RetentionDecision[];
  /** Keys with no manifest (interrupted runs, half-deleted backups) older than the grace period. */
  orphans: string[];
  staleUploads: Array<{ key: string; uploadId: string }>;
  /** Every leftover found, to be listed: those above, and younger ones kept until the grace period ends. */
  leftovers?: Leftover[];
}

/** An object without a manifest, or an unfinished multipart upload, as cleanup lists it. */
export interface Leftover {
  kind: 'object' | 'upload';
  key: string;
  /** Stored bytes (objects only). */
  bytes?: number;
  /** When it was written or the upload started. */
  since: string;
  /** Removed now, or only once CLEANUP_GRACE_HOURS have passed (it may belong to a running backup). */
  action: 'remove' | 'wait';
}

export interface LifecycleOutcome {
  status: 'applied' | 'unchanged' | 'unsupported' | 'disabled';
  warnings: string[];
}

export function cleanupActivities(deps: ActivityDeps) {
  const storage = () => deps.config.storage!;
  const store = () => new BackupStore(deps.s3, storage());
  const fail = (err: unknown, operation: string): never => {
    throw storageError(err, { bucket: storage().bucket, endpoint: storage().endpoint, operation });
  };

  return {
    async planCleanup(input: { database: string; now: string }): Promise<CleanupPlan> {
      const now = new Date(input.now);
      const st = storage();
      const catalog = await store().catalog(input.database);
      const manifests = new Map(
        await Promise.all(
          catalog.map(async (e) => [e.backupId, (await store().manifest(input.database, e.backupId))!.manifest] as const),
        ),
      );
      const { cleanup, backup } = deps.config;
      const decisions = decideRetention(
        catalog.map((e) => ({
          backupId: e.backupId,
          takenAt: new Date(e.takenAt),
          verified: e.verification.status === 'passed',
          lockedUntil: manifests.get(e.backupId)?.storage.objectLockUntil
            ? new Date(manifests.get(e.backupId)!.storage.objectLockUntil!)
            : null,
        })),
        { retentionDays: backup.retentionDays, keepLast: cleanup.keepLast, gfs: cleanup.gfs },
        now,
      );
      const graceEdge = now.getTime() - cleanup.graceHours * 3_600_000;
      const known = new Set(catalog.map((e) => e.backupId));
      const idOf = (key: string) => /(backup_\d{8}_\d{6})/.exec(key.slice(key.lastIndexOf('/') + 1))?.[1];
      const root = databaseRoot(st.prefix, input.database);
      const leftovers = [
        ...(await store().listKeys(`${root}data/`)),
        ...(await store().listKeys(verificationPrefix(st.prefix, input.database))),
      ];
      const unclaimed = leftovers.filter((o) => {
        const id = idOf(o.key);
        return id && parseBackupId(id) && !known.has(id);
      });
      const old = (at: Date | undefined) => (at?.getTime() ?? 0) <= graceEdge;
      const orphans = unclaimed.filter((o) => old(o.lastModified)).map((o) => o.key);
      const uploads = await deps.s3
        .send(new ListMultipartUploadsCommand({ Bucket: st.bucket, Prefix: root }))
        .catch((err: unknown) => fail(err, 'ListMultipartUploads'));
      const staleUploads = (uploads.Uploads ?? [])
        .filter((u) => old(u.Initiated))
        .map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
      const listed: Leftover[] = [
        ...unclaimed.map((o): Leftover => ({
          kind: 'object',
          key: o.key,
          bytes: o.size,
          since: (o.lastModified ?? now).toISOString(),
          action: old(o.lastModified) ? 'remove' : 'wait',
        })),
        ...(uploads.Uploads ?? []).map((u): Leftover => ({
          kind: 'upload',
          key: u.Key!,
          since: (u.Initiated ?? now).toISOString(),
          action: old(u.Initiated) ? 'remove' : 'wait',
        })),
      ];
      return { database: input.database, decisions, orphans, staleUploads, leftovers: listed };
    },

    async applyCleanup(plan: CleanupPlan): Promise<{ deleted: string[]; orphansRemoved: string[]; uploadsAborted: number }> {
      const st = storage();
      const failures: DeleteFailure[] = [];
      const deleted: string[] = [];
      const remove = async (keys: string[]) => {
        if (!keys.length) return;
        const res = await deps.s3
          .send(new DeleteObjectsCommand({ Bucket: st.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }))
          .catch((err: unknown) => fail(err, 'DeleteObjects'));
        for (const e of res.Errors ?? []) failures.push({ key: e.Key ?? '?', code: e.Code ?? 'Error' });
      };
      for (const d of plan.decisions.filter((x) => x.action === 'delete')) {
        const found = await store().manifest(plan.database, d.backupId);
        const format = found?.manifest.pgDump.format ?? 'custom';
        const keys = backupKeys(st.prefix, plan.database, d.backupId, format);
        // The manifest first: from that moment the backup no longer exists for anyone.
        const before = failures.length;
        await remove([`${manifestPrefix(st.prefix, plan.database)}${d.backupId}.json`]);
        if (failures.length === before) {
          await remove([keys.data, keys.globals, verificationKey(st.prefix, plan.database, d.backupId)]);
          deleted.push(d.backupId);
        }
      }
      await remove(plan.orphans);
      for (const u of plan.staleUploads) {
        await deps.s3
          .send(new AbortMultipartUploadCommand({ Bucket: st.bucket, Key: u.key, UploadId: u.uploadId }))
          .catch((err: Error) => failures.push({ key: `${u.key} (upload ${u.uploadId})`, code: err.name }));
      }
      if (failures.length)
        throw new CleanupError(`cleanup of ${plan.database} ${deleteFailuresMessage(failures, deleted.length)}`);
      log.info('cleanup done', {
        database: plan.database,
        deleted: deleted.length,
        orphans: plan.orphans.length,
        uploads: plan.staleUploads.length,
      });
      return { deleted, orphansRemoved: plan.orphans, uploadsAborted: plan.staleUploads.length };
    },

    async applyLifecycle(): Promise<LifecycleOutcome> {
      const st = storage();
      const { lifecycle, gfs } = deps.config.cleanup;
      const keepDays = gfs ? gfs.monthly * 31 : deps.config.backup.retentionDays;
      let existing: LifecycleRule[] = [];
      try {
        existing = (await deps.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: st.bucket }))).Rules ?? [];
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NotImplemented' || e.$metadata?.httpStatusCode === 501)
          return {
            status: 'unsupported',
            warnings: ['this S3 store does not support lifecycle rules; storage classes are not moved automatically'],
          };
        if (e.name !== 'NoSuchLifecycleConfiguration') fail(err, 'GetBucketLifecycleConfiguration');
      }
      const warnings = expiryWarnings(existing, st.prefix, keepDays);
      if (!lifecycle.enabled) return { status: 'disabled', warnings };
      const { rules, changed } = mergeRules(
        existing,
        pgwardenRule(st.prefix, {
          glacierAfterDays: lifecycle.glacierAfterDays,
          deepArchiveAfterDays: lifecycle.deepArchiveAfterDays,
        }),
      );
      if (!changed) return { status: 'unchanged', warnings };
      try {
        await deps.s3.send(
          new PutBucketLifecycleConfigurationCommand({ Bucket: st.bucket, LifecycleConfiguration: { Rules: rules } }),
        );
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NotImplemented' || e.$metadata?.httpStatusCode === 501)
          return {
            status: 'unsupported',
            warnings: [
              ...warnings,
              'this S3 store does not support lifecycle rules; storage classes are not moved automatically',
            ],
          };
        fail(err, 'PutBucketLifecycleConfiguration');
      }
      return { status: 'applied', warnings };
    },

    async notifyCleanup(report: CleanupReport): Promise<ChannelResult[]> {
      return deliver(deps, cleanupNotice(report));
    },

    async notifyCleanupFailed(failure: CleanupFailed): Promise<ChannelResult[]> {
      return deliver(deps, cleanupFailedNotice(failure));
    },
  };
}
