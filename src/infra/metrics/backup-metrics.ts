/**
 * pgwarden's own Prometheus metrics, recorded through the Temporal runtime's meter so they are
 * served on the same endpoint as the SDK's metrics. Activities record them where the outcome
 * becomes certain: the manifest written, the failure recorded, the verification stored, the
 * restore recorded. Counters start at zero with each worker process, as Prometheus expects.
 */
import { MetricMeter, noopMetricMeter } from '@temporalio/common';

export interface PgwardenMetrics {
  backupSucceeded(
    database: string,
    figures: { storedBytes: number; rawBytes: number; durationMs: number; finishedAt: Date },
  ): void;
  backupFailed(database: string, errorType: string): void;
  /** The newest complete backup found in the bucket at worker start, so the gauge is right before the next backup. */
  lastSuccessSeen(database: string, finishedAt: Date): void;
  verificationRecorded(database: string, status: 'passed' | 'failed', restoreMs: number | null): void;
  restoreFinished(database: string, status: 'succeeded' | 'failed', recoveryMs: number): void;
  /** WAL archiving: how far the archive holds WAL, how far the server is ahead of it, and when it last moved. */
  walArchived(server: string, figures: { archivedLsnBytes: number; behindBytes: number; at: Date }): void;
  /** The watchdog's reading: seconds of WAL the archive lacks, and WAL the slot holds on the server. */
  walLag(server: string, figures: { lagSeconds: number; retainedBytes: number | null }): void;
  /** One S3 request (s3-request-metrics.ts), and the bytes S3 sent back for it. */
  s3Request(operation: string, pricing: S3Pricing, downloadedBytes: number): void;
}

/** How S3 bills a request: PUT, COPY, POST and LIST at one rate, GET and the rest at another, DELETE free. */
export type S3Pricing = 'put_copy_post_list' | 'get_and_other' | 'free';

export const METRIC_NAMES = {
  backups: 'pgwarden_backups_total',
  backupBytes: 'pgwarden_backup_stored_bytes_total',
  backupRawBytes: 'pgwarden_backup_raw_bytes_total',
  backupDuration: 'pgwarden_backup_duration_seconds',
  lastBackupSize: 'pgwarden_last_backup_stored_bytes',
  lastSuccess: 'pgwarden_last_backup_success_timestamp_seconds',
  verifications: 'pgwarden_verifications_total',
  testRestoreDuration: 'pgwarden_test_restore_duration_seconds',
  restores: 'pgwarden_restores_total',
  recoveryDuration: 'pgwarden_restore_recovery_duration_seconds',
  walArchivedPosition: 'pgwarden_wal_archived_position_bytes',
  walBehind: 'pgwarden_wal_archive_behind_bytes',
  walLastArchived: 'pgwarden_wal_last_archived_timestamp_seconds',
  walLag: 'pgwarden_wal_archive_lag_seconds',
  walRetained: 'pgwarden_wal_slot_retained_bytes',
  s3Requests: 'pgwarden_s3_requests_total',
  s3Downloaded: 'pgwarden_s3_downloaded_bytes_total',
} as const;

/** Buckets for hour-scale work (seconds), instead of the exporter's millisecond defaults. */
export const DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800];

export function histogramBuckets(): Record<string, number[]> {
  return Object.fromEntries(
    [METRIC_NAMES.backupDuration, METRIC_NAMES.testRestoreDuration, METRIC_NAMES.recoveryDuration].map((n) => [
      n,
      DURATION_BUCKETS_SECONDS,
    ]),
  );
}

export function createPgwardenMetrics(meter: MetricMeter = noopMetricMeter): PgwardenMetrics {
  const backups = meter.createCounter(METRIC_NAMES.backups, undefined, 'finished backup runs by database and outcome');
  const storedBytes = meter.createCounter(METRIC_NAMES.backupBytes, 'bytes', 'bytes stored in S3 by complete backups');
  const rawBytes = meter.createCounter(
    METRIC_NAMES.backupRawBytes,
    'bytes',
    'bytes of dump output before compression and encryption',
  );
  const duration = meter.createHistogram(METRIC_NAMES.backupDuration, 'float', 's', 'backup duration, start to manifest');
  const lastSize = meter.createGauge(METRIC_NAMES.lastBackupSize, 'int', 'bytes', 'stored size of the newest complete backup');
  const lastSuccess = meter.createGauge(METRIC_NAMES.lastSuccess, 'float', 's', 'Unix time the newest complete backup finished');
  const verifications = meter.createCounter(METRIC_NAMES.verifications, undefined, 'verifications by database and outcome');
  const testRestore = meter.createHistogram(
    METRIC_NAMES.testRestoreDuration,
    'float',
    's',
    'test restore time during verification',
  );
  const restores = meter.createCounter(METRIC_NAMES.restores, undefined, 'restores by database and outcome');
  const recovery = meter.createHistogram(
    METRIC_NAMES.recoveryDuration,
    'float',
    's',
    'restore recovery time, request to usable database',
  );
  const walPosition = meter.createGauge(
    METRIC_NAMES.walArchivedPosition,
    'int',
    'bytes',
    'WAL position (LSN as bytes) up to which the archive holds WAL, the open segment included',
  );
  const walBehind = meter.createGauge(
    METRIC_NAMES.walBehind,
    'int',
    'bytes',
    'WAL the server has written that the archive lacks',
  );
  const walLast = meter.createGauge(
    METRIC_NAMES.walLastArchived,
    'float',
    's',
    'Unix time the archive last received WAL (a segment or the open segment)',
  );
  const walLag = meter.createGauge(
    METRIC_NAMES.walLag,
    'float',
    's',
    'age of the oldest WAL the server has written that the archive lacks (the RPO of a point-in-time recovery now)',
  );
  const walRetained = meter.createGauge(
    METRIC_NAMES.walRetained,
    'int',
    'bytes',
    "WAL the server keeps on its disk for pgwarden's replication slot",
  );
  const s3Requests = meter.createCounter(
    METRIC_NAMES.s3Requests,
    undefined,
    "S3 requests by operation and how S3 prices them (the strategy's request costs)",
  );
  const s3Downloaded = meter.createCounter(
    METRIC_NAMES.s3Downloaded,
    'bytes',
    'bytes S3 sent back (restores, verifications, WAL fetched): what data transfer out is billed on',
  );
  return {
    s3Request(operation, pricing, downloadedBytes) {
      s3Requests.add(1, { operation, pricing });
      if (downloadedBytes > 0) s3Downloaded.add(downloadedBytes);
    },
    walLag(server, f) {
      walLag.set(f.lagSeconds, { server });
      if (f.retainedBytes !== null) walRetained.set(f.retainedBytes, { server });
    },
    walArchived(server, f) {
      walPosition.set(f.archivedLsnBytes, { server });
      walBehind.set(Math.max(0, f.behindBytes), { server });
      walLast.set(f.at.getTime() / 1000, { server });
    },
    backupSucceeded(database, f) {
      backups.add(1, { database, outcome: 'succeeded' });
      storedBytes.add(f.storedBytes, { database });
      rawBytes.add(f.rawBytes, { database });
      duration.record(f.durationMs / 1000, { database });
      lastSize.set(f.storedBytes, { database });
      lastSuccess.set(f.finishedAt.getTime() / 1000, { database });
    },
    backupFailed(database, errorType) {
      backups.add(1, { database, outcome: 'failed', error_type: errorType });
    },
    lastSuccessSeen(database, finishedAt) {
      lastSuccess.set(finishedAt.getTime() / 1000, { database });
    },
    verificationRecorded(database, status, restoreMs) {
      verifications.add(1, { database, outcome: status });
      if (restoreMs !== null) testRestore.record(restoreMs / 1000, { database });
    },
    restoreFinished(database, status, recoveryMs) {
      restores.add(1, { database, outcome: status });
      if (status === 'succeeded') recovery.record(recoveryMs / 1000, { database });
    },
  };
}
