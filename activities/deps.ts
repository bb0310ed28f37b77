/**
 * What activities need from the outside world, built once per worker from the validated
 * configuration. Tests build it with clients pointed at the local stack, or hand in fakes.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/infra/storage/s3-client';
import { Config } from '../src/infra/config/config';
import { createPgwardenMetrics, PgwardenMetrics } from '../src/infra/metrics/backup-metrics';
import { createNotifier, Notifier } from '../src/infra/notify/notifier';

export interface ActivityDeps {
  config: Config;
  s3: S3Client;
  notifier: Notifier;
  now: () => Date;
  /** pgwarden's Prometheus metrics; a no-op unless the worker serves metrics. */
  metrics: PgwardenMetrics;
}

export function createActivityDeps(config: Config, metrics: PgwardenMetrics = createPgwardenMetrics()): ActivityDeps {
  if (!config.storage) throw new Error('the worker needs storage configuration (BACKUP_S3_BUCKET)');
  return {
    config,
    s3: createS3Client(config.storage),
    notifier: createNotifier(config.notifications),
    now: () => new Date(),
    metrics,
  };
}
