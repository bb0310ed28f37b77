/** PreflightWorkflow on the real dev server with a real worker, database and bucket. */
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { describeFailure } from '../../src/app/cli/failure';
import { DatabaseSA, OperationSA } from '../../src/infra/temporal/search-attributes';
import { WorkflowType, workflowId } from '../../src/infra/temporal/definitions';
import { stackConfig } from '../support/stack-env';
import { bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

describe('PreflightWorkflow (dev server)', () => {
  let server: DevServer;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('preflight');

  beforeAll(async () => {
    server = await devServer();
    worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(stackConfig())));
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await server?.close();
  });

  it('round-trips through a worker and records what ran in search attributes', async () => {
    const id = `${workflowId('preflight', 'sample', new Date())}-${uniqueSuffix()}`;
    const handle = await server.client.workflow.start(WorkflowType.preflight, {
      taskQueue,
      workflowId: id,
      args: [{ database: 'sample' }],
      typedSearchAttributes: [
        { key: DatabaseSA, value: 'sample' },
        { key: OperationSA, value: 'preflight' },
      ],
    });
    const report = await handle.result();
    expect(report).toMatchObject({ database: 'sample', serverMajor: 15, storage: { writable: true } });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(DatabaseSA)).toBe('sample');
    expect(description.typedSearchAttributes.get(OperationSA)).toBe('preflight');
    // No secret may be in the history: inputs and results carry names only.
    const history = JSON.stringify(await handle.fetchHistory());
    const env = stackConfig();
    for (const secret of [env.databases[0].password!.reveal(), env.storage!.credentials!.secretAccessKey.reveal()]) {
      expect(history).not.toContain(secret);
      expect(history).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });

  it('fails without retrying on a configuration error, mapped to exit code 78', async () => {
    const err = await server.client.workflow
      .execute(WorkflowType.preflight, {
        taskQueue,
        workflowId: `preflight-nope-${uniqueSuffix()}`,
        args: [{ database: 'nope' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = describeFailure(err);
    expect(failure.exitCode).toBe(78);
    expect(failure.lines[0]).toMatch(/database "nope" is not configured on this worker/);
  });
});
