/**
 * An archived backup (GLACIER / DEEP_ARCHIVE) is retrieved first and waited for on durable
 * timers, hours of them, on the time-skipping server. The S3 and database activities are
 * faked here (SeaweedFS has no archive tiers); the workflow code is the real one.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { RestoreSource } from '../../activities/restore';
import type { RestoreResult } from '../../workflows/restore';
import { uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import { timeSkippingEnvironment } from '../support/time-skipping';

describe('RestoreWorkflow from an archive storage class (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await timeSkippingEnvironment();
  });
  afterAll(() => env?.teardown());

  it.each([
    ['GLACIER', ['archived', 'retrieving', 'retrieving', 'readable'], 60, true],
    ['DEEP_ARCHIVE', ['archived', ...Array(6).fill('retrieving'), 'readable'], 7 * 60, false],
  ])('%s: requests a retrieval and waits on timers until readable', async (storageClass, states, minMinutes, withinRto) => {
    const calls: string[] = [];
    const pending = [...states];
    const source: RestoreSource = {
      kind: 'pgwarden',
      backupId: 'backup_20240101_120000',
      dataKey: 'p/db/data/backup_20240101_120000.dump.enc',
      format: 'custom',
      keyId: 'k',
      takenAt: new Date().toISOString(),
      storageClass,
      storedBytes: 10,
    };
    const activities = {
      resolveRestoreSource: async () => source,
      checkRestoreTarget: async () => undefined,
      requestArchiveRetrieval: async (i: { key: string; storageClass: string; days: number }) => (
        calls.push(`retrieve ${i.key} ${i.storageClass} ${i.days}d`),
        'requested'
      ),
      archiveState: async () => (calls.push('state'), pending.shift()),
      notifyRestore: async (o: { status: string }) => (calls.push(`notify ${o.status}`), []),
      restoreDatabase: async () => (
        calls.push('restore'),
        { restoredInto: 'copy', keptAs: null, restoreMs: 1000, tables: 1, rowCountsChecked: true }
      ),
    };
    const taskQueue = uniqueTaskQueue('archive');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities,
    });
    const wall = Date.now();
    const result: RestoreResult = await worker.runUntil(
      env.client.workflow.execute('RestoreWorkflow', {
        taskQueue,
        workflowId: `restore-archive-${uniqueSuffix()}`,
        args: [{ database: 'db', newDatabase: 'copy' }],
      }),
    );
    const waited = [`retrieve ${source.dataKey} ${storageClass} 2d`, ...states.map(() => 'state')];
    expect(calls.slice(0, waited.length)).toEqual(waited);
    // The "started" notice goes out beside the restore (either may run first); the outcome's after both.
    expect(calls.slice(waited.length, -1).sort()).toEqual(['notify started', 'restore']);
    expect(calls[calls.length - 1]).toBe('notify succeeded');
    expect(calls).toHaveLength(waited.length + 3);
    expect(result.recoveryMs).toBeGreaterThanOrEqual(minMinutes * 60_000);
    expect(result.withinRto).toBe(withinRto);
    expect(Date.now() - wall).toBeLessThan(30_000);
  });
});
