/**
 * Ctrl-C while the CLI follows a run, with the built CLI against the stack's Temporal: the
 * following stops with exit 130 and a line naming the run, and the run goes on (it is Temporal's;
 * before, the command died silently and an operator could take the backup for stopped). Until
 * then, with no worker to answer, the progress line still shows the clock, within seconds.
 */
import { spawn } from 'node:child_process';
import { envFile } from '../../devstack/paths';
import { databaseUrl } from '../support/databases';
import { bin } from '../support/cli';
import { DevServer, devServer, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait';
import { stackEnv } from '../support/stack-env';

let server: DevServer;
beforeAll(async () => {
  server = await devServer();
});
afterAll(() => server?.close());

it('stops following on Ctrl-C with exit 130, naming the run, which goes on', async () => {
  // No worker serves the queue: the backup waits for one, and the command follows it.
  const env = {
    PATH: process.env.PATH,
    PGWARDEN_CONFIG: envFile,
    DATABASE_URL: databaseUrl('sample'),
    PGWARDEN_TASK_QUEUE: uniqueTaskQueue('interrupt'),
  };
  const child = spawn(process.execPath, [bin, 'backup'], { env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await waitFor('the command follows its run', async () => /\(workflow backup-sample-\S+, /.test(stderr), 30);
  const id = /\(workflow (backup-sample-\S+), /.exec(stderr)![1];
  try {
    // The clock runs while no worker answers the status query: a line within seconds (before, the query held the
    // progress line until the server gave up on it, 20 s and more).
    await waitFor('a progress line', async () => /^\[0:\d\d\] starting$/m.test(stderr), 10);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      `pgwarden: stopped following workflow ${id}; the run goes on in Temporal (${stackEnv().TEMPORAL_UI_URL}/namespaces/${stackEnv().TEMPORAL_NAMESPACE}/workflows/${id}): cancel it there, or with temporal workflow cancel --workflow-id ${id}`,
    );
    expect((await server.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
  } finally {
    await server.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  }
}, 60_000);
