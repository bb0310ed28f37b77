/**
 * The time-skipping test server (the stack's pinned binary) with pgwarden's search attributes,
 * and a worker on it running the real workflows with whatever activities a test hands in.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { registerSearchAttributes } from '../../src/infra/temporal/ensure-search-attributes';
import { stackEnv } from './stack-env';
import { quietRuntime } from './temporal';

export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: stackEnv().PGWARDEN_TEST_SERVER_PATH! } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export async function workerOn(env: TestWorkflowEnvironment, taskQueue: string, activities: object): Promise<RunningWorker> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities,
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
