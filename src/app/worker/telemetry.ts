/**
 * The worker's Temporal runtime, with the Prometheus endpoint when configured: the SDK's own
 * metrics and pgwarden's (see src/infra/metrics) on one `/metrics`.
 */
import { Runtime } from '@temporalio/worker';
import { ConfigError } from '../../infra/errors/errors';
import { histogramBuckets } from '../../infra/metrics/backup-metrics';

export function installRuntime(bindAddress: string | null): void {
  if (!bindAddress) {
    Runtime.install({});
    return;
  }
  try {
    Runtime.install({
      telemetryOptions: { metrics: { prometheus: { bindAddress, histogramBucketOverrides: histogramBuckets() } } },
    });
  } catch (err) {
    throw new ConfigError([
      `METRICS_PORT: cannot serve metrics on ${bindAddress} (${(err as Error).message.split('\n')[0]}); pick a free port, or METRICS_PORT=0 to turn metrics off`,
    ]);
  }
}
