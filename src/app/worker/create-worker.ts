/**
 * The pgwarden worker: polls the main task queue and runs every workflow and activity, and
 * polls the host queues of the servers it serves for their host-bound activities. It runs the
 * workflow bundle made at build time (workflow-bundle.ts) or the tests' own; without one it
 * bundles the compiled workflows folder at start.
 */
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import { Activities } from '../../../activities';
import { workflowsEntry } from './workflow-bundle';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: setup.activities,
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: workflowsEntry() }),
    // Long dumps heartbeat; give a stuck activity's slot back promptly on shutdown.
    shutdownGraceTime: '30 seconds',
    // Heartbeats reach the server at most this far apart (the SDK's default is up to 60 s), so
    // the progress the CLI and the UI show moves every few seconds.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
}

/** Polls one server's host queue (TASK_QUEUE_<SERVER>): activities only; its workflows run on the main queue. */
export function createHostWorker(setup: Omit<WorkerSetup, 'workflowBundle'>): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: setup.activities,
    shutdownGraceTime: '30 seconds',
    maxHeartbeatThrottleInterval: '2 seconds',
  });
}
