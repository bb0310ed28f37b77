/**
 * What activities need from the outside world, built once per worker from the validated
 * configuration: the bucket (every S3 request goes through it), the backup store over it,
 * the key ring, the notifier, metrics and the clock. Tests build it with the local stack's
 * configuration.
 */
import { WorkerConfig, workerConfig } from '../src/infra/config/config';
import { Keyring } from '../src/infra/crypto/keyring';
import { createPgwardenMetrics, PgwardenMetrics } from '../src/infra/metrics/backup-metrics';
import { countS3Requests } from '../src/infra/metrics/s3-request-metrics';
import { createS3Client } from '../src/infra/storage/s3-client';
import { createNotifier, Notifier } from '../src/infra/notify/notifier';
import { Bucket } from '../src/infra/storage/bucket';
import { BackupStore } from '../src/operations/catalog/store';
import type { ArchiveAccess } from '../src/operations/pitr/archive-system';
import type { Config } from '../src/infra/config/config';

export interface ActivityDeps {
  config: WorkerConfig;
  bucket: Bucket;
  store: BackupStore;
  keyring: Keyring;
  notifier: Notifier;
  now: () => Date;
  /** pgwarden's Prometheus metrics; a no-op unless the worker serves metrics. */
  metrics: PgwardenMetrics;
}

export function createActivityDeps(config: Config, metrics: PgwardenMetrics = createPgwardenMetrics()): ActivityDeps {
  const worker = workerConfig(config);
  const bucket = new Bucket(worker.storage, countS3Requests(createS3Client(worker.storage), metrics));
  return {
    config: worker,
    bucket,
    store: new BackupStore(bucket),
    keyring: Keyring.from(worker.encryption),
    notifier: createNotifier(worker.notifications),
    now: () => new Date(),
    metrics,
  };
}

/** The WAL archives as the library's point-in-time functions read them. */
export const archiveAccess = (deps: ActivityDeps): ArchiveAccess => ({
  bucket: deps.bucket,
  keyring: deps.keyring,
  prefix: deps.config.storage.prefix,
});
