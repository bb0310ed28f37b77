/**
 * Point-in-time work on a PostgreSQL 15 server with versions 15 and 18 installed side by side
 * (PG_BIN_DIR at a folder of them, as Debian and PGDG lay them out): the newest WAL and base
 * backup tools serve the older server, the recovered copy runs under its own 15, and a table
 * recovered as of a moment is dumped by a pg_dump whose output 15 can load (pg_dump 18's sets
 * transaction_timeout, which 15 rejects).
 */
import { Client } from 'pg';
import type { VerifyResult } from '../../workflows/verify';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { pitrFixture } from '../support/pitr-fixture';
import { versionsFolder } from '../support/versions-folder';

const fixture = pitrFixture();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let versions: ReturnType<typeof versionsFolder>;
beforeAll(() => void (versions = versionsFolder()));
afterAll(() => versions.remove());

it('archives, backs up, verifies and recovers a table of a PostgreSQL 15 server with 18 installed beside it', async () => {
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('pitrv', [
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 300) g',
  ]);
  const workers = await fixture.hostWorkers('pitrv', { ...settings, PG_BIN_DIR: versions.dir });
  await workers.runUntil(async () => {
    await workers.archiveAndBaseBackup(db);

    // The moment to recover to, then the mistake.
    const writer = new Client({ connectionString: cluster.url(db) });
    await writer.connect();
    const target = (await writer.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t.toISOString();
    await sleep(50);
    await writer.query('DELETE FROM orders WHERE id > 30');
    await writer.query('SELECT pg_switch_wal()');
    await writer.end();
    await sleep(3000); // the archive catches up: segments at once, the open one every second

    const verified = await workers.run<VerifyResult>(WorkflowType.verify, { database: db });
    expect(verified.baseBackup).toMatchObject({
      status: 'passed',
      verifyBackup: { ok: true, detail: 'backup successfully verified' },
      recovery: { ok: true },
      rowCounts: { compared: true, differences: [] },
    });

    const recovered = await workers.recoverTableAsOf(db, 'orders', target);
    expect(recovered.tables).toMatchObject([{ table: 'public.orders', as: 'public.orders_recovered', rows: 300 }]);
    const [live] = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM orders', [], db);
    expect(live.n).toBe('30');
  });
}, 240_000);
