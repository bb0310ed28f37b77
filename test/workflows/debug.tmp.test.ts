import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { stackEnv } from '../support/stack-env';
import { quietRuntime } from '../support/temporal';
it('debug', async () => {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: stackEnv().PGWARDEN_TEST_SERVER_PATH! } } });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'dbg', workflowsPath: require.resolve('../../workflows'), activities: { resolveRestoreSource: async () => ({ kind: 'pgwarden', backupId: 'b', dataKey: 'k', format: 'custom', storageClass: 'STANDARD', storedBytes: 1 }), notifyRestore: async () => [], restoreDatabase: async () => ({ restoredInto: 'c', keptAs: null, restoreMs: 1, tables: 1, rowCountsChecked: true }) } });
  await worker.runUntil(async () => {
    const h = await env.client.workflow.start('RestoreWorkflow', { taskQueue: 'dbg', workflowId: 'dbg-1', args: [{ database: 'db', newDatabase: 'c' }] });
    await new Promise((r) => setTimeout(r, 5000));
    const hist = await h.fetchHistory();
    for (const e of hist.events ?? []) {
      const f = e.workflowTaskFailedEventAttributes;
      console.log(e.eventType, f ? JSON.stringify(f.failure?.message) : '');
    }
  });
  await env.teardown();
}, 60000);
