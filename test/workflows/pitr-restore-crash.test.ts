/**
 * A worker killed while it restores a server to a point in time (its whole process group, as
 * when a machine dies), and another worker of the same host taking over: once the server gives
 * up on the dead attempt (2 minutes without a heartbeat), the next one clears what it left and
 * completes the restore. Before, the restore made one attempt: the run failed, hours of a
 * disaster recovery lost.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { PitrRestoreResult } from '../../activities/pitr';
import { createHostWorker } from '../../src/app/worker/create-worker';
import { hostQueueVariable } from '../../src/infra/config/wal';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { highestAttempt, startDoomedWorker } from '../support/doomed-worker';
import { pitrFixture } from '../support/pitr-fixture';
import { uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

const fixture = pitrFixture();

it('survives a worker killed mid-restore: the next attempt starts the folder over and completes', async () => {
  const { server, cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('pcrash', [
    // Enough that unpacking and recovery take a moment to be killed in.
    `CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 300000) g`,
  ]);
  const workers = await fixture.hostWorkers('pcrash', settings);
  const dataDir = join(settings.PGWARDEN_WORK_DIR, 'restored');
  await workers.runUntil(async () => {
    await workers.archiveAndBaseBackup(db);
    // The host's work goes to a worker process of its own, killed once the restore writes its folder.
    const hostQueue = uniqueTaskQueue('pcrash-host');
    const doomed = startDoomedWorker({
      ...settings,
      PGWARDEN_TASK_QUEUE: uniqueTaskQueue('pcrash-doomed'),
      [hostQueueVariable(db)]: hostQueue,
      METRICS_PORT: '0',
    });
    let handle;
    try {
      handle = await server.client.workflow.start(WorkflowType.pitrRestore, {
        taskQueue: workers.taskQueue,
        workflowId: `pitr-${db}-${uniqueSuffix()}`,
        args: [{ server: db, target: { kind: 'latest' }, hostQueue, dataDir }],
      });
      fixture.track(handle);
      await doomed.killMidStep(handle, 'the restore writing its folder', async () => existsSync(join(dataDir, 'data')), 60);
    } finally {
      // Killed whatever happened: a test that failed before must not leave the process behind.
      doomed.killHard();
    }

    const replacement = await createHostWorker({
      connection: server.nativeConnection,
      namespace: server.namespace,
      taskQueue: hostQueue,
      activities: workers.activities,
    });
    const result = (await replacement.runUntil(handle.result())) as PitrRestoreResult;
    fixture.restored(result.dataDir);
    expect(await highestAttempt(handle)).toBeGreaterThanOrEqual(2);
    expect(result.dataDir).toBe(join(dataDir, 'data'));
    const c = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${result.port}/`) });
    await c.connect();
    try {
      expect((await c.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0].n).toBe('300000');
    } finally {
      await c.end();
    }
  });
}, 400_000);
