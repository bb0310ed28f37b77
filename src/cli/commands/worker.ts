/** `pgwarden worker`: runs the worker until SIGINT/SIGTERM. */
import { Runtime } from '@temporalio/worker';
import { createActivities } from '../../../activities';
import { createActivityDeps } from '../../../activities/deps';
import { connectClient, connectWorker, temporalTarget } from '../../clients/temporal';
import { ensureSearchAttributes } from '../../temporal/ensure-search-attributes';
import { WORKER_NEEDS } from '../../config/config';
import { createWorker } from '../../worker/create-worker';
import { CommandContext } from '../context';

export async function runWorkerCommand(ctx: CommandContext): Promise<void> {
  const config = ctx.config(WORKER_NEEDS);
  const target = temporalTarget(ctx.env);
  Runtime.install({}); // default logger; shutdown signals are handled by Worker.run()
  const client = await connectClient(target);
  try {
    await ensureSearchAttributes(client.connection, target.namespace);
  } finally {
    await client.connection.close();
  }
  const connection = await connectWorker(target);
  const worker = await createWorker({
    connection,
    namespace: target.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities(createActivityDeps(config)),
  });
  process.stderr.write(
    `pgwarden worker: task queue "${config.temporal.taskQueue}" on ${target.address} (namespace ${target.namespace}); ` +
      `databases: ${config.databases.map((d) => d.id).join(', ')}\n`,
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}
