/**
 * Work that needs a server's host (its disk, a local instance, pg_receivewal's spool) runs on
 * the worker there: the worker-specific task queue pattern. The queue comes in the run's
 * input (TASK_QUEUE_<SERVER>, read where the run is started); without one, the activity runs
 * on the workflow's own queue, as runs recorded before host queues existed did.
 */
import type { ActivityOptions } from '@temporalio/workflow';

export function onHost(hostQueue: string | undefined): Pick<ActivityOptions, 'taskQueue'> {
  return hostQueue ? { taskQueue: hostQueue } : {};
}
