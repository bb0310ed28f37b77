/**
 * Point-in-time recovery of a PostgreSQL 18 server with its own tools (the stack's build, with
 * PG_BIN_DIR at its bin/), on a scratch cluster of its own: WAL streamed by pg_receivewal 18, a
 * base backup by pg_basebackup 18 that verifies (pg_verifybackup 18, recovery, row counts), a
 * restore to a moment between two commits, and one table recovered as of that moment into the
 * live database beside the table a mistake emptied.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { PitrRestoreResult } from '../../activities/pitr';
import type { VerifyResult } from '../../workflows/verify';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { pitrFixture } from '../support/pitr-fixture';
import { stackEnv } from '../support/stack-env';

const pg18Bin = stackEnv().PGWARDEN_TEST_PG18_BIN_DIR!;
const fixture = pitrFixture({ pgBinDir: pg18Bin });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('archives, backs up, verifies, restores to a moment and recovers a table as of it, all with PostgreSQL 18', async () => {
  const { cluster } = fixture;
  const [{ server_version_num }] = await cluster.query<{ server_version_num: string }>('SHOW server_version_num');
  expect(Number(server_version_num)).toBeGreaterThanOrEqual(180000);
  const { db, settings } = await fixture.archivedDatabase('pitr18', [
    'CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL)',
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 500) g',
  ]);
  const workers = await fixture.hostWorkers('pitr18', { ...settings, PG_BIN_DIR: pg18Bin });
  const { hostQueue, run } = workers;
  await workers.runUntil(async () => {
    await workers.archiveAndBaseBackup(db);

    // A marker every 100 ms, each its own commit; after the fifth, the target, then the mistake.
    const writer = new Client({ connectionString: cluster.url(db) });
    await writer.connect();
    let target = '';
    for (let id = 1; id <= 10; id++) {
      await writer.query('INSERT INTO marks VALUES ($1, clock_timestamp())', [id]);
      if (id === 5) {
        // A target in milliseconds (a JS Date) is cut down: read it a few ms after the commit, so it is not before it.
        await sleep(5);
        target = (await writer.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t.toISOString();
        await sleep(50);
        await writer.query('DELETE FROM orders WHERE id > 100');
      }
      await sleep(100);
    }
    await writer.query('SELECT pg_switch_wal()');
    await writer.end();
    await sleep(3000); // the archive catches up: segments at once, the open one every second

    // The base backup verifies with 18's pg_verifybackup, a recovery and its row counts.
    const verified = await run<VerifyResult>(WorkflowType.verify, { database: db });
    expect(verified.baseBackup).toMatchObject({
      status: 'passed',
      failures: [],
      verifyBackup: { ok: true, detail: 'backup successfully verified' },
      recovery: { ok: true },
      rowCounts: { compared: true, differences: [] },
    });

    const restored = await run<PitrRestoreResult>(WorkflowType.pitrRestore, {
      server: db,
      target: { kind: 'time', time: target },
      hostQueue,
    });
    fixture.restored(restored.dataDir);
    expect(readFileSync(join(restored.dataDir, 'PG_VERSION'), 'utf8').trim()).toBe('18');
    const copy = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${restored.port}/`) });
    await copy.connect();
    try {
      expect((await copy.query<{ id: number }>('SELECT id FROM marks ORDER BY id')).rows.map((r) => r.id)).toEqual([
        1, 2, 3, 4, 5,
      ]);
      expect((await copy.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0].n).toBe('500');
    } finally {
      await copy.end();
    }
    await run(WorkflowType.pitrStop, { dataDir: restored.dataDir, hostQueue });

    // One table as of that moment, beside the live one (pg_dump 18 of the copy into psql 18).
    const recovered = await workers.recoverTableAsOf(db, 'orders', target);
    expect(recovered.tables).toMatchObject([{ table: 'public.orders', as: 'public.orders_recovered', rows: 500 }]);
    const [live] = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM orders', [], db);
    const [back] = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM orders_recovered', [], db);
    expect([live.n, back.n]).toEqual(['100', '500']);
  });
}, 240_000);
