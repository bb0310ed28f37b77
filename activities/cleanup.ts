/**
 * Cleanup activities: the strategy's cleanup_old_backups.sh. Deleting a backup removes its
 * manifest first, so it stops being a backup at once; its data, globals and verification
 * record follow, and anything left by a failure is an orphan the next run removes.
 */
import { Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { dataObjects } from '../src/operations/backup/manifest';
import { baseBackups } from '../src/operations/pitr/archive';
import { baseBackupObjects } from '../src/operations/pitr/base-backup';
import { decideArchiveRetention } from '../src/operations/pitr/retention';
import { committedBaseBackups, withoutManifest } from '../src/operations/cleanup/leftovers';
import { BackupReader, decideRetention, holdWhileRead, RetentionDecision } from '../src/operations/cleanup/retention';
import { DatabaseSA, OperationSA } from '../src/infra/temporal/search-attributes';
import { recordsPastKeeping } from '../src/operations/cleanup/records';
import { BusyError, CleanupError } from '../src/infra/errors/errors';
import { expiryWarnings, mergeRules, pgwardenRule } from '../src/infra/storage/lifecycle';
import { DeleteFailure, deleteFailuresMessage, storeErrorCode } from '../src/infra/storage/s3-errors';
import { ActivityDeps } from './deps';
import { baseVerifications, passedIn } from './base-verifications';
import { deliver } from './notify';
import { CleanupFailed, cleanupFailedNotice, CleanupReport, cleanupNotice } from '../src/operations/cleanup/notices';
import { ChannelResult } from '../src/infra/notify/notifier';
import type { ListedObject } from '../src/infra/storage/bucket';
import {
  backupKeys,
  baseBackupFolder,
  baseBackupKeys,
  baseVerificationFolder,
  baseVerificationKey,
  baseClaimKey,
  claimKey,
  databaseRoot,
  dataFolder,
  failurePrefix,
  restorePrefix,
  verificationKey,
  verificationPrefix,
  walFileOf,
  walFolder,
} from '../src/infra/storage/layout';

export interface CleanupPlan {
  database: string;
  decisions: RetentionDecision[];
  /** Keys with no manifest (interrupted runs, half-deleted backups) older than the grace period. */
  orphans: string[];
  staleUploads: Array<{ key: string; uploadId: string }>;
  /** Every leftover found, to be listed: those above, and younger ones kept until the grace period ends. */
  leftovers?: Leftover[];
  /** Run records (records/) older than RECORDS_KEEP_DAYS, and that number of days (absent in older runs). */
  staleRecords?: string[];
  recordsKeepDays?: number;
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

export interface ArchivePlan {
  database: string;
  baseBackupsKept: string[];
  /** `others`: a base backup's objects besides `data` (its tablespaces, PostgreSQL's backup_manifest). */
  baseBackupsDeleted: Array<{ backupId: string; data: string; others?: string[] }>;
  keepWalFrom: string | null;
  walKeys: string[];
}

export interface LifecycleOutcome {
  status: 'applied' | 'unchanged' | 'unsupported' | 'disabled';
  warnings: string[];
}

const UNSUPPORTED_LIFECYCLE = 'this S3 store does not support lifecycle rules; storage classes are not moved automatically';

export function cleanupActivities(deps: ActivityDeps) {
  return {
    async planCleanup(input: { database: string; now: string }): Promise<CleanupPlan> {
      const now = new Date(input.now);
      const st = deps.config.storage;
      const catalog = await deps.store.catalog(input.database);
      const manifests = new Map(
        await Promise.all(
          catalog.map(async (e) => [e.backupId, (await deps.store.manifest(input.database, e.backupId))!.manifest] as const),
        ),
      );
      const { cleanup, backup } = deps.config;
      const readers = await runningReaders(input.database);
      const decided = decideRetention(
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
      const decisions = holdWhileRead(decided, readers);
      const graceEdge = now.getTime() - cleanup.graceHours * 3_600_000;
      // An old script's file has no manifest, but its verification record (its first counts) is kept.
      const legacy = await deps.store.legacyObjects();
      const known = new Set([...catalog.map((e) => e.backupId), ...legacy.map((l) => l.backupId)]);
      const unclaimed = [
        ...withoutManifest(
          [
            ...(await deps.bucket.list(dataFolder(st.prefix, input.database))),
            ...(await deps.bucket.list(verificationPrefix(st.prefix, input.database))),
          ],
          known,
        ),
        // A server's base backups: a run that failed after its copy (its WAL never came) left it without a manifest.
        ...(deps.config.wal.servers.includes(input.database) ? await uncommittedBaseBackupObjects(deps, input.database) : []),
      ];
      const old = (at: Date | undefined) => (at?.getTime() ?? 0) <= graceEdge;
      const orphans = unclaimed.filter((o) => old(o.lastModified)).map((o) => o.key);
      const uploads = await deps.bucket.unfinishedUploads(databaseRoot(st.prefix, input.database));
      const staleUploads = uploads.filter((u) => old(u.initiated)).map((u) => ({ key: u.key, uploadId: u.uploadId }));
      const listed: Leftover[] = [
        ...unclaimed.map((o): Leftover => ({
          kind: 'object',
          key: o.key,
          bytes: o.size,
          since: (o.lastModified ?? now).toISOString(),
          action: old(o.lastModified) ? 'remove' : 'wait',
        })),
        ...uploads.map((u): Leftover => ({
          kind: 'upload',
          key: u.key,
          since: (u.initiated ?? now).toISOString(),
          action: old(u.initiated) ? 'remove' : 'wait',
        })),
      ];
      const records = [
        ...(await deps.bucket.list(failurePrefix(st.prefix, input.database))),
        ...(await deps.bucket.list(restorePrefix(st.prefix, input.database))),
      ].map((o) => o.key);
      return {
        database: input.database,
        decisions,
        orphans,
        staleUploads,
        leftovers: listed,
        staleRecords: recordsPastKeeping(records, now, cleanup.recordsKeepDays),
        recordsKeepDays: cleanup.recordsKeepDays,
      };
    },

    async applyCleanup(plan: CleanupPlan): Promise<{ deleted: string[]; orphansRemoved: string[]; uploadsAborted: number }> {
      const st = deps.config.storage;
      const failures: DeleteFailure[] = [];
      const deleted: string[] = [];
      const remove = async (keys: string[]) => failures.push(...(await deps.bucket.deleteMany(keys)));
      const doomed = plan.decisions.filter((x) => x.action === 'delete');
      if (doomed.length) await refuseIfReadSincePlan(plan.database, plan.database);
      for (const d of doomed) {
        const found = await deps.store.manifest(plan.database, d.backupId);
        // The manifest names its objects; without one (already half deleted), the names pgwarden ever used.
        const keys = found
          ? {
              manifest: found.key,
              data: dataObjects(found.manifest).map((o) => o.key),
              globals: found.manifest.globals.key,
            }
          : (({ manifest, data, globals }) => ({ manifest, data: [data], globals }))(
              backupKeys(st.prefix, plan.database, d.backupId, 'custom'),
            );
        // The manifest first: from that moment the backup no longer exists for anyone.
        const before = failures.length;
        await remove([keys.manifest]);
        if (failures.length === before) {
          await remove([
            ...keys.data,
            keys.globals,
            verificationKey(st.prefix, plan.database, d.backupId),
            // Only there if removing it at commit failed.
            claimKey(st.prefix, plan.database, d.backupId),
          ]);
          deleted.push(d.backupId);
        }
      }
      await remove(plan.orphans);
      await remove(plan.staleRecords ?? []);
      for (const u of plan.staleUploads) {
        await deps.bucket
          .abortUpload(u)
          .catch((err: unknown) => failures.push({ key: `${u.key} (upload ${u.uploadId})`, code: storeErrorCode(err) }));
      }
      if (failures.length)
        throw new CleanupError(`cleanup of ${plan.database} ${deleteFailuresMessage(failures, deleted.length)}`);
      log.info('cleanup done', {
        database: plan.database,
        deleted: deleted.length,
        orphans: plan.orphans.length,
        uploads: plan.staleUploads.length,
        records: plan.staleRecords?.length ?? 0,
      });
      return { deleted, orphansRemoved: plan.orphans, uploadsAborted: plan.staleUploads.length };
    },

    /**
     * The point-in-time archive of a server in WAL_ARCHIVE: base backups under the same
     * policy as dumps (the newest whose verification passed always kept), and the WAL no kept
     * base backup needs. Null for other databases.
     */
    async planArchiveCleanup(input: { database: string; now: string }): Promise<ArchivePlan | null> {
      if (!deps.config.wal.servers.includes(input.database)) return null;
      const prefix = deps.config.storage.prefix;
      const bases = await baseBackups(deps.bucket, prefix, input.database);
      const wal = (await deps.bucket.list(walFolder(prefix, input.database)))
        .map((o) => ({ key: o.key, name: walFileOf(o.key)?.fileName }))
        .filter((o): o is { key: string; name: string } => o.name !== undefined);
      const { cleanup, backup } = deps.config;
      const passed = passedIn(await baseVerifications(deps, input.database, bases));
      const decision = decideArchiveRetention(
        bases,
        wal.map((w) => w.name),
        { retentionDays: backup.retentionDays, keepLast: Math.max(1, cleanup.keepLast), gfs: cleanup.gfs },
        new Date(input.now),
        passed,
      );
      // While a restore may read the archive, nothing of it goes (holdWhileRead).
      const held = (await runningReaders(input.database)).length > 0;
      const gone = new Set(held ? [] : decision.baseBackups.filter((d) => d.action === 'delete').map((d) => d.backupId));
      const doomed = new Set(held ? [] : decision.walToDelete);
      return {
        database: input.database,
        baseBackupsKept: bases.filter((b) => !gone.has(b.backupId)).map((b) => b.backupId),
        // Newest first: a cleanup cut short never leaves an incremental without the one it rests on.
        baseBackupsDeleted: bases
          .filter((b) => gone.has(b.backupId))
          .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))
          .map((b) => {
            const others = baseBackupObjects(b)
              .slice(1)
              .map((o) => o.key);
            return { backupId: b.backupId, data: b.data.key, ...(others.length ? { others } : {}) };
          }),
        keepWalFrom: held ? null : decision.keepWalFrom,
        walKeys: wal.filter((w) => doomed.has(w.name)).map((w) => w.key),
      };
    },

    /** Deletes what the plan says: a base backup's manifest before its data (and its verification), then the WAL only it needed. */
    async applyArchiveCleanup(plan: ArchivePlan): Promise<{ walDeleted: number }> {
      const prefix = deps.config.storage.prefix;
      const failures: DeleteFailure[] = [];
      if (plan.baseBackupsDeleted.length || plan.walKeys.length)
        await refuseIfReadSincePlan(plan.database, `${plan.database}'s point-in-time archive`);
      for (const b of plan.baseBackupsDeleted) {
        const before = failures.length;
        failures.push(
          ...(await deps.bucket.deleteMany([
            baseBackupKeys(prefix, plan.database, b.backupId, deps.config.backup.compression).manifest,
          ])),
        );
        if (failures.length === before)
          failures.push(
            ...(await deps.bucket.deleteMany([
              b.data,
              ...(b.others ?? []),
              baseVerificationKey(prefix, plan.database, b.backupId),
              // Only there if removing it at commit failed.
              baseClaimKey(prefix, plan.database, b.backupId),
            ])),
          );
      }
      // WAL goes only if every base backup that needed it is gone: a failed manifest delete keeps it.
      if (failures.length === 0) failures.push(...(await deps.bucket.deleteMany(plan.walKeys)));
      if (failures.length)
        throw new CleanupError(`cleanup of ${plan.database}'s point-in-time archive ${deleteFailuresMessage(failures, 0)}`);
      return { walDeleted: plan.walKeys.length };
    },

    async applyLifecycle(): Promise<LifecycleOutcome> {
      const st = deps.config.storage;
      const { lifecycle, gfs } = deps.config.cleanup;
      const keepDays = gfs ? gfs.monthly * 31 : deps.config.backup.retentionDays;
      const existing = await deps.bucket.lifecycleRules();
      if (existing === 'unsupported') return { status: 'unsupported', warnings: [UNSUPPORTED_LIFECYCLE] };
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
      if ((await deps.bucket.putLifecycleRules(rules)) === 'unsupported')
        return { status: 'unsupported', warnings: [...warnings, UNSUPPORTED_LIFECYCLE] };
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

/** Objects of a server's base backups that no manifest commits, and verification records of base backups that are gone. */
async function uncommittedBaseBackupObjects(deps: ActivityDeps, server: string): Promise<ListedObject[]> {
  const prefix = deps.config.storage.prefix;
  const [copies, verifications] = await Promise.all([
    deps.bucket.list(baseBackupFolder(prefix, server)),
    deps.bucket.list(baseVerificationFolder(prefix, server)),
  ]);
  return withoutManifest([...copies, ...verifications], committedBaseBackups(copies));
}

/**
 * Operations whose runs may read any backup of their database, an old one included (a verify
 * with --all-unverified: a backup deleted under it would be reported as failing). A table
 * recovery is tagged with the database it loads into, usually the server it reads from; one
 * into another database is found by its input (runningReaders).
 */
const READING_OPERATIONS = ['restore', 'pitr-restore', 'dr', 'restore-test', 'recover-table', 'verify'];

/**
 * The plan held nothing for a restore that started after it, and the backup that restore picked
 * may be among those planned to go: then nothing goes, and the next cleanup plans again. This
 * leaves only the moment between this question and the deletes.
 */
async function refuseIfReadSincePlan(database: string, what: string): Promise<void> {
  const readers = await runningReaders(database);
  if (readers.length === 0) return;
  const who = readers.map((r) => `${r.operation} ${r.workflowId}`).join(', ');
  throw new BusyError(
    `cleanup of ${what} deleted nothing: ${who} started after the cleanup planned its deletes and may read what they remove; run pgwarden cleanup --database ${database} again once it has ended`,
  );
}

/** The running restores, incidents and drills of a database, from Temporal's visibility. */
async function runningReaders(database: string): Promise<BackupReader[]> {
  const operations = READING_OPERATIONS.map((o) => `'${o}'`).join(', ');
  // Database ids are [a-z0-9_-] (config), safe inside the query's quotes.
  const query = `${DatabaseSA.name} = '${database}' AND ExecutionStatus = 'Running' AND ${OperationSA.name} IN (${operations})`;
  const { client } = Context.current();
  const readers: BackupReader[] = [];
  for await (const run of client.workflow.list({ query }))
    readers.push({ operation: run.typedSearchAttributes.get(OperationSA) ?? 'a run', workflowId: run.workflowId });
  // A table recovery is tagged with the database it loads into; one loading into another reads this server all the same.
  const elsewhere = `${DatabaseSA.name} != '${database}' AND ExecutionStatus = 'Running' AND ${OperationSA.name} = 'recover-table'`;
  for await (const run of client.workflow.list({ query: elsewhere })) {
    const input = await startInput<{ server?: unknown }>(client, run.workflowId, run.runId);
    if (input?.server === database) readers.push({ operation: 'recover-table', workflowId: run.workflowId });
  }
  return readers.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/** A run's input, from the first event of its history (visibility does not keep it). */
async function startInput<T>(client: Client, workflowId: string, runId: string): Promise<T | undefined> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
}
