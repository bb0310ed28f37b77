/** `pgwarden worker`: runs the worker until SIGINT/SIGTERM. */
import { Runtime, Worker } from '@temporalio/worker';
import { parseManifest } from '../../../operations/backup/manifest';
import { Config } from '../../../infra/config/config';
import { createPgwardenMetrics, PgwardenMetrics } from '../../../infra/metrics/backup-metrics';
import { tuneHeapForStreaming } from '../../worker/heap-tuning';
import { installRuntime } from '../../worker/telemetry';
import { checkLogFiles } from '../../worker/worker-logger';
import { ActivityDeps } from '../../../../activities/deps';
import { createActivities } from '../../../../activities';
import { createActivityDeps } from '../../../../activities/deps';
import { connectClient, connectWorker, temporalTarget } from '../../../infra/temporal/client';
import { ensureSearchAttributes } from '../../../infra/temporal/ensure-search-attributes';
import { WORKER_NEEDS } from '../../../infra/config/config';
import { createHostWorker, createWorker } from '../../worker/create-worker';
import { prebuiltWorkflowBundle } from '../../worker/workflow-bundle';
import { removeDeadRunFiles } from '../../../operations/restore/work-files';
import { runIsDead } from '../../../infra/temporal/run-state';
import { CommandContext } from '../context';
import { manifestPrefix } from '../../../infra/storage/layout';

export async function runWorkerCommand(ctx: CommandContext): Promise<void> {
  const config = ctx.config(WORKER_NEEDS);
  const target = temporalTarget(ctx.env);
  tuneHeapForStreaming();
  checkLogFiles(config.logs);
  installRuntime(config.metrics.bindAddress, config.logs); // shutdown signals are handled by Worker.run()
  const client = await connectClient(target);
  try {
    await ensureSearchAttributes(client.connection, target.namespace);
    // Plaintext a run left when its worker died goes before this worker takes work.
    const removed = await removeDeadRunFiles(config.verify.workDir, (run) => runIsDead(client, run));
    if (removed.length)
      process.stderr.write(`pgwarden worker: removed ${removed.length} decrypted file(s) left by runs that died\n`);
  } finally {
    await client.connection.close();
  }
  const metrics = createPgwardenMetrics(Runtime.instance().metricMeter);
  const deps = createActivityDeps(config, metrics);
  if (config.metrics.bindAddress) await seedLastSuccess(config, deps, metrics);
  const connection = await connectWorker(target);
  const activities = createActivities(deps);
  const bundle = prebuiltWorkflowBundle();
  if ('stale' in bundle)
    process.stderr.write(`pgwarden worker: ${bundle.stale}; bundling the workflows now (npm run build makes it once)\n`);
  const worker = await createWorker({
    connection,
    namespace: target.namespace,
    taskQueue: config.temporal.taskQueue,
    activities,
    ...('codePath' in bundle ? { workflowBundle: bundle } : {}),
  });
  const hostQueues = [...new Set(config.wal.workerServes.map((s) => config.wal.hostQueues[s]))].filter(
    (q) => q !== config.temporal.taskQueue,
  );
  const hostWorkers = await Promise.all(
    hostQueues.map((taskQueue) => createHostWorker({ connection, namespace: target.namespace, taskQueue, activities })),
  );
  process.stderr.write(
    `pgwarden worker: task queue "${config.temporal.taskQueue}" on ${target.address} (namespace ${target.namespace}); ` +
      `databases: ${config.databases.map((d) => d.id).join(', ')}` +
      (hostQueues.length ? `; host queues: ${hostQueues.map((q) => `"${q}"`).join(', ')}` : '') +
      (config.metrics.bindAddress ? `; metrics on http://${config.metrics.bindAddress}/metrics` : '') +
      '\n',
  );
  try {
    await runTogether([worker, ...hostWorkers]);
  } finally {
    await connection.close();
  }
}

/** The newest complete backup of each database, so the last-success gauge is right from the start. */
async function seedLastSuccess(config: Config, deps: ActivityDeps, metrics: PgwardenMetrics): Promise<void> {
  const { bucket } = deps;
  for (const db of config.databases) {
    try {
      const keys = (await bucket.list(manifestPrefix(bucket.prefix, db.id)))
        .map((k) => k.key)
        .filter((k) => k.endsWith('.json'))
        .sort();
      const newest = keys[keys.length - 1];
      const text = newest && (await bucket.getText(newest));
      if (text) metrics.lastSuccessSeen(db.id, new Date(parseManifest(text, newest).finishedAt));
    } catch (err) {
      process.stderr.write(`pgwarden worker: warning: no last-backup time for ${db.id} yet (${(err as Error).message})\n`);
    }
  }
}

/** Runs the workers until a signal stops them all; when one fails, the others stop too. */
async function runTogether(workers: Worker[]): Promise<void> {
  const runs = workers.map((w) => w.run());
  try {
    await Promise.all(runs);
  } catch (err) {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
    throw err;
  }
}
