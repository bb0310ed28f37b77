/**
 * Synchronous archiving (WAL_SYNCHRONOUS=true with the archiver in synchronous_standby_names):
 * a commit returns only once pg_receivewal has flushed its WAL on the worker's disk, so when
 * the server is lost mid-write, every commit it confirmed is recovered from the archive. RPO
 * zero for committed transactions, checked against a writer committing as fast as it can.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { PitrRestoreResult } from '../../activities/pitr';
import { instanceUser, stopInstance } from '../../src/infra/postgres/instance';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { slotNameFor } from '../../src/operations/pitr/spool';
import { uniqueDatabaseName } from '../support/databases';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { stackConfig } from '../support/stack-env';
import { bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: DevServer;
let cluster: ScratchCluster;
const runs: WorkflowHandle[] = [];
const restored: string[] = [];
beforeAll(async () => {
  server = await devServer();
  cluster = await startScratchCluster();
});
afterAll(async () => {
  for (const run of runs) await run.terminate('test over').catch(() => undefined);
  for (const dataDir of restored) await stopInstance({ dataDir, runAs: instanceUser() }).catch(() => undefined);
  await cluster?.stop();
  await server.close();
});

it('every commit the server confirmed is recovered after the server is lost mid-write', async () => {
  const db = uniqueDatabaseName('pitrsync');
  await cluster.query(`CREATE DATABASE ${db}`);
  await cluster.query('CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL)', [], db);
  const workDir = join(tmpdir(), `pgwarden-sync-test-${randomUUID().slice(0, 8)}`);
  mkdirSync(workDir, { recursive: true });
  const config = stackConfig({
    DATABASE_URL: cluster.url(db),
    WAL_ARCHIVE: db,
    WAL_SYNCHRONOUS: 'true',
    WAL_PARTIAL_UPLOAD_SECONDS: '1',
    PGWARDEN_WORK_DIR: workDir,
  });
  const taskQueue = uniqueTaskQueue('pitrsync');
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  await worker.runUntil(async () => {
    const archiving = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600 }],
    });
    runs.push(archiving);
    await server.client.workflow.execute(WorkflowType.baseBackup, {
      taskQueue,
      workflowId: `base-backup-${db}-${uniqueSuffix()}`,
      args: [{ server: db, reason: 'test' }],
    });
    // From now on a commit waits for the archiver (the documented quorum, here with no standby).
    const slot = slotNameFor(db);
    await cluster.query(`ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (${slot})'`);
    await cluster.query('SELECT pg_reload_conf()');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = await cluster.query<{ s: string }>(
        'SELECT sync_state AS s FROM pg_stat_replication WHERE application_name = $1',
        [slot],
      );
      if (rows.some((r) => r.s === 'quorum')) break;
      if (Date.now() > deadline) throw new Error('the archiver never became a synchronous standby');
      await sleep(200);
    }

    // A writer commits as fast as it can; the server is killed under it.
    const writer = new Client({ connectionString: cluster.url(db) });
    await writer.connect();
    writer.on('error', () => undefined);
    const confirmed: number[] = [];
    const writing = (async () => {
      for (let id = 1; ; id++) {
        try {
          await writer.query('INSERT INTO marks VALUES ($1, clock_timestamp())', [id]);
        } catch {
          return;
        }
        confirmed.push(id);
      }
    })();
    await sleep(1500);
    await cluster.crash();
    await writing;
    await writer.end().catch(() => undefined);
    expect(confirmed.length).toBeGreaterThan(20);
    // The round fails with its server gone, after shipping what its spool holds.
    await sleep(4000);
    await archiving.terminate('the server is lost');

    const result: PitrRestoreResult = await server.client.workflow.execute(WorkflowType.pitrRestore, {
      taskQueue,
      workflowId: `pitr-${db}-${uniqueSuffix()}`,
      args: [{ server: db, target: { kind: 'latest' } }],
    });
    restored.push(result.dataDir);
    const c = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${result.port}/`) });
    await c.connect();
    try {
      const ids = new Set((await c.query<{ id: number }>('SELECT id FROM marks')).rows.map((r) => r.id));
      const lost = confirmed.filter((id) => !ids.has(id));
      expect({ confirmed: confirmed.length, lost }).toEqual({ confirmed: confirmed.length, lost: [] });
    } finally {
      await c.end();
    }
  });
  rmSync(workDir, { recursive: true, force: true });
}, 300_000);
