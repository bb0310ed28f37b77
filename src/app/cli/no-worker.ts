/** Whether a worker polls the task queue a run is about to start on. */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Warns (without failing) when no worker polls the queue: the run would wait for one. A
 * worker that is just starting gets a few seconds to show up first.
 */
export async function warnIfNoWorker(
  client: Client,
  taskQueue: string,
  graceMs = 5000,
  kind: 'workflow' | 'activity' = 'workflow',
): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType:
        kind === 'workflow'
          ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
          : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    if ((res.pollers ?? []).length > 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(
    kind === 'workflow'
      ? `pgwarden: no worker is polling task queue "${taskQueue}"; the run waits until one starts (pgwarden worker)\n`
      : `pgwarden: no worker is polling the host queue "${taskQueue}"; the work on the server's host waits until a worker there starts (pgwarden worker with PGWARDEN_WORKER_SERVES)\n`,
  );
}
