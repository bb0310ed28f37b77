/**
 * The worker's Temporal runtime, with the Prometheus endpoint when configured: the SDK's own
 * metrics and pgwarden's (see src/infra/metrics) on one `/metrics`; and its logger, which also
 * keeps the log files (worker-logger.ts).
 */
import { Runtime } from '@temporalio/worker';
import { ConfigError } from '../../infra/errors/errors';
import { histogramBuckets } from '../../infra/metrics/backup-metrics';
import type { LogFiles } from '../../infra/logs/operation-logs';
import { workerLogger } from './worker-logger';

export function installRuntime(bindAddress: string | null, logFiles: LogFiles = {}): void {
  const logger = workerLogger(logFiles);
  if (!bindAddress) {
    Runtime.install({ logger });
    return;
  }
  try {
    Runtime.install({
      logger,
      telemetryOptions: { metrics: { prometheus: { bindAddress, histogramBucketOverrides: histogramBuckets() } } },
    });
  } catch (err) {
    throw new ConfigError([
      `METRICS_PORT: cannot serve metrics on ${bindAddress} (${(err as Error).message.split('\n')[0]}); pick a free port, or METRICS_PORT=0 to turn metrics off`,
    ]);
  }
}
