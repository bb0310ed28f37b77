/**
 * Gathers the report's facts for one database from the bucket: manifests and records inside
 * the window (chosen by key before anything is read), and every object for storage used.
 */
import { BackupManifest, dataBytes } from '../src/operations/backup/manifest';
import { parseBackupId } from '../src/operations/backup/naming';
import { BackupFailureRecord, RestoreRecord } from '../src/operations/backup/run-records';
import { VerificationRecord } from '../src/operations/verify/verification';
import { requireDatabase } from '../src/infra/config/config';
import { buildReport, DatabaseReport } from '../src/operations/report/report';
import { judgeArchive } from './archive-judgement';
import { restoreTestSummary } from '../src/operations/restore-test/restore-test';
import { ActivityDeps } from './deps';
import { storedRestoreTests } from './restore-test';
import { storedDrills } from './evidence';
import { drillSummary } from '../src/operations/dr/evidence';
import { unrecordedBackupFailures } from './unrecorded-failures';
import {
  databaseRoot,
  failurePrefix,
  manifestPrefix,
  recordName,
  restorePrefix,
  verificationPrefix,
} from '../src/infra/storage/layout';

export interface ReportRequest {
  database: string;
  days: number;
}

const DAY = 86_400_000;

export function reportActivities(deps: ActivityDeps) {
  return {
    async backupReport(input: ReportRequest): Promise<DatabaseReport> {
      requireDatabase(deps.config, input.database);
      const storage = deps.config.storage;
      const store = deps.store;
      const now = deps.now();
      // A day of slack: a backup id is its start time, the window is about finish times.
      const since = now.getTime() - (input.days + 1) * DAY;
      const recent = (key: string) => {
        const at = parseBackupId(recordName(key));
        return at === undefined || at.getTime() >= since;
      };
      const [manifests, failures, verifications, restores, objects] = await Promise.all([
        store.readJsonUnder<BackupManifest>(manifestPrefix(storage.prefix, input.database), recent),
        store.readJsonUnder<BackupFailureRecord>(failurePrefix(storage.prefix, input.database), recent),
        store.readJsonUnder<VerificationRecord>(verificationPrefix(storage.prefix, input.database)),
        store.readJsonUnder<RestoreRecord>(restorePrefix(storage.prefix, input.database)),
        deps.bucket.list(databaseRoot(storage.prefix, input.database)),
      ]);
      // Failed runs the bucket never heard of (S3 was the failure, or the worker died): from Temporal.
      const known = new Set(
        [...manifests.map((m) => m.workflow?.id), ...failures.map((f) => f.workflow?.id)].filter((id): id is string =>
          Boolean(id),
        ),
      );
      const unrecorded = await unrecordedBackupFailures(input.database, new Date(since), known);
      const pitr = deps.config.wal.servers.includes(input.database) ? await judgeArchive(deps, input.database, now) : undefined;
      const report = buildReport({
        database: input.database,
        now,
        days: input.days,
        backups: manifests.map((m) => ({
          backupId: m.backupId,
          finishedAt: m.finishedAt,
          ...dataBytes(m),
          durationMs: m.durationMs,
        })),
        failures: [...failures, ...unrecorded].map((f) => ({
          backupId: f.backupId,
          failedAt: f.failedAt,
          errorType: f.errorType,
          message: f.message,
        })),
        verifications: verifications.map((v) => ({
          backupId: v.backupId,
          status: v.status,
          finishedAt: v.finishedAt,
          restoreMs: v.checks.restore.restoreMs,
        })),
        restores: restores.map((r) => ({
          backupId: r.backupId,
          status: r.status,
          finishedAt: r.finishedAt,
          recoveryMs: r.recoveryMs,
          restoreMs: r.restoreMs,
        })),
        objects: objects.map((o) => ({ key: o.key, size: o.size, storageClass: o.storageClass })),
        prices: deps.config.report.prices,
      });
      const restoreTests = restoreTestSummary(await storedRestoreTests(deps, input.database));
      const drills = drillSummary(await storedDrills(deps, input.database));
      return { ...report, ...(pitr ? { pitr } : {}), restoreTests, drills };
    },
  };
}
