/**
 * Whether a worker polls a task queue, asked of the real dev server. Temporal lists a poller for
 * five minutes after its last poll: a worker that died a minute ago was taken for a live one, so
 * `dr status` hung instead of failing at once (exit 69), and `pgwarden backup` did not warn that
 * its run would wait. A listed poller counts only while its last poll is recent.
 */
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { POLLER_FRESH_MS, workerPolls } from '../../src/app/cli/no-worker';
import { stackConfig } from '../support/stack-env';
import { bundledWorker, DevServer, devServer, uniqueTaskQueue } from '../support/temporal';

let server: DevServer;
beforeAll(async () => {
  server = await devServer();
});
afterAll(() => server?.close());

it('counts a worker while it polls, and not once its last poll is older than the limit, though the server still lists it', async () => {
  const taskQueue = uniqueTaskQueue('pollers');
  expect(await workerPolls(server.client, taskQueue, 0)).toBe(false);
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(stackConfig({}))));
  const running = worker.run();
  // Just started: its polls are seconds old, under any limit.
  expect(await workerPolls(server.client, taskQueue, 5000, 'workflow', 3000)).toBe(true);
  expect(await workerPolls(server.client, taskQueue, 5000, 'activity', 3000)).toBe(true);
  worker.shutdown();
  await running;
  await new Promise((r) => setTimeout(r, 3500));
  const listed = await server.client.workflowService.describeTaskQueue({
    namespace: server.namespace,
    taskQueue: { name: taskQueue },
  });
  // The server still lists the gone worker (the case that misled), but its last poll is past the limit.
  expect(listed.pollers?.length).toBeGreaterThan(0);
  expect(await workerPolls(server.client, taskQueue, 0, 'workflow', 3000)).toBe(false);
  // Under the default limit (a live worker's minute between polls, and a margin) it still counts.
  expect(await workerPolls(server.client, taskQueue, 0, 'workflow', POLLER_FRESH_MS)).toBe(true);
}, 60_000);
