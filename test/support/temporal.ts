/** Workers and clients for workflow tests: a real worker on a task queue of the test's own. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { Logger } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type * as activity from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Activities } from '../../activities';
import { createWorker } from '../../src/app/worker/create-worker';
import { bundlePath } from './run-state';
import { stackEnv } from './stack-env';

let runtimeInstalled = false;
/** Keeps worker logs to errors, so test output stays readable. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export const uniqueTaskQueue = (name: string) => `test-${name}-${randomUUID().slice(0, 8)}`;
export const uniqueSuffix = () => randomUUID().slice(0, 8);

/**
 * A test restore's database for an activity run by hand under a run Temporal does not know.
 * Named outside pgwarden_verify_, so that it is no janitor's to judge at all (janitors leave a
 * database of a run their Temporal does not know; they used to drop it, mid-test).
 */
export const byHandTestRestoreDatabase = () => `byhand_verify_${uniqueSuffix()}`;

export interface DevServer {
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  close(): Promise<void>;
}

/** Connects to the stack's Temporal dev server. */
export async function devServer(): Promise<DevServer> {
  quietRuntime();
  const env = stackEnv();
  const address = env.TEMPORAL_ADDRESS!;
  const namespace = env.TEMPORAL_NAMESPACE!;
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection, namespace }),
    nativeConnection,
    namespace,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** A worker running pgwarden's real workflow bundle (built once in global setup). */
export function bundledWorker(server: DevServer, taskQueue: string, activities: Activities): Promise<Worker> {
  return createWorker({
    connection: server.nativeConnection,
    namespace: server.namespace,
    taskQueue,
    activities,
    workflowBundle: { code: readFileSync(bundlePath, 'utf8') },
  });
}

/** An activity context for calling activities directly, logging only errors (or to `logger`). */
export function activityEnvironment(info?: Partial<activity.Info>, logger?: Logger): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: logger ?? new DefaultLogger('ERROR') });
}

/** A logger keeping the warnings' and errors' messages, to count what an activity said. */
export function warningsLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  const keep = (entry: { level: string; message: string }) => {
    if (entry.level === 'WARN') warnings.push(entry.message);
    if (entry.level === 'ERROR') errors.push(entry.message);
  };
  return Object.assign(new DefaultLogger('WARN', keep), { warnings, errors });
}

/** Waits until a worker polls the task queue, so a test never races the worker's start. */
export async function waitForPoller(client: Client, taskQueue: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((res.pollers ?? []).length > 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no worker polled task queue ${taskQueue} within ${timeoutMs / 1000}s`);
}
