/**
 * A worker killed in the middle of loading a restore (its whole process group, as when a
 * machine dies) and another one taking over: the restore completes, matching the source, and
 * nothing is left behind: no decrypted dump in PGWARDEN_WORK_DIR, no half-loaded database.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { WORK_FOLDER } from '../../src/operations/restore/work-files';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BackupSummary } from '../../workflows/backup';
import type { RestoreResult } from '../../workflows/restore';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  tableFingerprints,
  uniqueDatabaseName,
  withClient,
} from '../support/databases';
import { stackConfig } from '../support/stack-env';
import { highestAttempt, startDoomedWorker } from '../support/doomed-worker';
import { bundledWorker, devServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

it('survives a worker killed mid-load: the restore completes, no plaintext and no stray database left', async () => {
  const db = uniqueDatabaseName('rcrash');
  const target = `${db}_copy`;
  await createDatabase(db);
  await withClient(db, (c) =>
    c.query(
      `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) AS pad FROM generate_series(1, 1500000) g; CREATE INDEX ON big (pad)`,
    ),
  );
  const taskQueue = uniqueTaskQueue('rcrash');
  const overrides = { DATABASE_URL: databaseUrl(db), PGWARDEN_TASK_QUEUE: taskQueue, METRICS_PORT: '0' };
  const config = stackConfig(overrides);
  const server = await devServer();
  const helper = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  const backup = (await helper.runUntil(
    server.client.workflow.execute(WorkflowType.backup, {
      taskQueue,
      workflowId: `backup-${db}-${uniqueSuffix()}`,
      args: [{ database: db, reason: 'crash test' }],
    }),
  )) as BackupSummary;

  const doomed = startDoomedWorker(overrides);
  const handle = await server.client.workflow.start(WorkflowType.restore, {
    taskQueue,
    workflowId: `restore-${db}-${uniqueSuffix()}`,
    args: [{ database: db, file: backup.backupId, newDatabase: target }],
  });
  // Kill it once the index build (pg_restore's last, long step) is under way in the database
  // loading under its working name (the target's, then _restore_ and the run).
  await doomed.killMidStep(
    handle,
    'the index build under way',
    async () =>
      (await withClient(
        'postgres',
        async (c) =>
          (
            await c.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname LIKE $1 AND query ILIKE 'CREATE INDEX%'`,
              [`${target}\\_restore\\_%`],
            )
          ).rows[0].n,
      )) > 0,
    90,
  );

  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  const result = (await worker.runUntil(handle.result())) as RestoreResult;
  expect(result).toMatchObject({ restoredInto: target, rowCountsChecked: true });
  expect(await tableFingerprints(target)).toEqual(await tableFingerprints(db));
  expect(await highestAttempt(handle)).toBeGreaterThanOrEqual(2);

  const workFiles = await readdir(join(config.verify.workDir, WORK_FOLDER)).catch(() => [] as string[]);
  expect(workFiles.filter((f) => f.includes(handle.workflowId.replace(/\./g, '%2E')))).toEqual([]);
  const left = await withClient('postgres', async (c) =>
    (await c.query<{ d: string }>(`SELECT datname AS d FROM pg_database WHERE datname LIKE $1`, [`${db}%`])).rows.map((r) => r.d),
  );
  expect(left.sort()).toEqual([db, target].sort());

  await server.close();
  await dropDatabase(target);
  await dropDatabase(db);
}, 240_000);
