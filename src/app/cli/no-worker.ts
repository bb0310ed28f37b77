/** Whether a worker polls the task queue a run is about to start on, or a command waits on. */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NoWorkerError } from '../../infra/errors/errors';

/** gRPC's status code for a method the server does not have. */
const GRPC_UNIMPLEMENTED = 12;

/**
 * How long after its last poll a worker still counts as polling. Temporal lists a poller for
 * five minutes after its last poll, while a live worker polls again within about a minute (one
 * long poll): counting every listed poller took a worker that died minutes ago for a live one, and
 * `dr status` hung instead of failing at once. The margin past the minute covers the clocks of
 * this host and the server disagreeing a little.
 */
export const POLLER_FRESH_MS = 120_000;

/** Whether a worker polls the queue, giving one that is just starting `graceMs` to show up. */
export async function workerPolls(
  client: Client,
  taskQueue: string,
  graceMs = 5000,
  kind: 'workflow' | 'activity' = 'workflow',
  freshMs = POLLER_FRESH_MS,
): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const res = await client.workflowService
      .describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType:
          kind === 'workflow'
            ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      })
      .catch((err: { code?: number }) => {
        // A server that cannot say (Temporal's time-skipping test server) is not taken for one without workers.
        if (err.code === GRPC_UNIMPLEMENTED) return { pollers: [{} as temporal.api.taskqueue.v1.IPollerInfo] };
        throw err;
      });
    if ((res.pollers ?? []).some((p) => Date.now() - millisOf(p.lastAccessTime) <= freshMs)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A poller's last access; one the server does not date counts as now. */
function millisOf(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t?.seconds) return Date.now();
  return Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** Fails at once, instead of hanging on a query or an update nobody answers. */
export async function requireWorker(client: Client, taskQueue: string, what: string): Promise<void> {
  if (!(await workerPolls(client, taskQueue, 2000)))
    throw new NoWorkerError(`no worker is polling task queue "${taskQueue}", so ${what}; start one (pgwarden worker)`);
}

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
  if (await workerPolls(client, taskQueue, graceMs, kind)) return;
  process.stderr.write(
    kind === 'workflow'
      ? `pgwarden: no worker is polling task queue "${taskQueue}"; the run waits until one starts (pgwarden worker)\n`
      : `pgwarden: no worker is polling the host queue "${taskQueue}"; the work on the server's host waits until a worker there starts (pgwarden worker with PGWARDEN_WORKER_SERVES)\n`,
  );
}
