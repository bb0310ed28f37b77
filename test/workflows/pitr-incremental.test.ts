/**
 * Incremental base backups on PostgreSQL 18 (summarize_wal on, BASEBACKUP_INCREMENTALS=2): a
 * full one, then incrementals holding only what changed, each with its backup_manifest stored
 * for the next, then a full one again once the chain is as long as asked. A point-in-time
 * restore from the newest incremental puts its chain back together (pg_combinebackup 18) and
 * recovers it; its verification passes (pg_verifybackup of the combined copy, recovery, row
 * counts); with summarize_wal turned off, or the summaries back to the parent's start gone, the
 * next one is full and says why; `basebackup --full` takes a full one where an incremental would follow; with a
 * tablespace besides the main one, incrementals are spooled and a restore and verification from
 * them put each tablespace together too. (Why a base backup is full when an incremental cannot be taken is table-tested in
 * test/unit/incremental.test.ts.)
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { PitrRestoreResult } from '../../activities/pitr';
import type { VerifyResult } from '../../workflows/verify';
import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { handOver, instanceUser } from '../../src/infra/postgres/instance';
import { formatPitr } from '../../src/app/cli/commands/pitr';
import { pitrFixture } from '../support/pitr-fixture';
import { stackEnv } from '../support/stack-env';

const pg18Bin = stackEnv().PGWARDEN_TEST_PG18_BIN_DIR!;
// summarize_wal is set with ALTER SYSTEM, as the full backup's reason tells a user to, not on the
// command line: there it would win over ALTER SYSTEM and the test could not turn it off.
const fixture = pitrFixture({ pgBinDir: pg18Bin });
let location: string;
beforeAll(() => {
  location = mkdtempSync(join(tmpdir(), 'pgwarden-incr-tablespace-'));
  handOver(location, instanceUser());
});
afterAll(() => rmSync(location, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('takes incrementals on a full base backup up to the chain asked for, and restores and verifies from the newest', async () => {
  const { cluster } = fixture;
  const summarizeWal = async (on: boolean) => {
    await cluster.query(`ALTER SYSTEM SET summarize_wal = ${on ? 'on' : 'off'}`);
    await cluster.query('SELECT pg_reload_conf()');
  };
  await summarizeWal(true);
  const { db, settings } = await fixture.archivedDatabase('incr', [
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 150000) g',
  ]);
  const workers = await fixture.hostWorkers('incr', { ...settings, PG_BIN_DIR: pg18Bin, BASEBACKUP_INCREMENTALS: '2' });
  const { hostQueue, run } = workers;
  const take = async () => {
    await sleep(1100); // base backup ids are per second
    return run<BaseBackupManifest>(WorkflowType.baseBackup, { server: db, reason: 'test', hostQueue });
  };
  /** A point-in-time restore to the newest WAL, once what was written last is archived. */
  const restoreLatestFrom = async (baseBackupId: string) => {
    await cluster.query('SELECT pg_switch_wal()', [], db);
    await sleep(3000); // archived
    const restored = await run<PitrRestoreResult>(WorkflowType.pitrRestore, {
      server: db,
      target: { kind: 'latest' },
      baseBackupId,
      hostQueue,
    });
    fixture.restored(restored.dataDir);
    return restored;
  };
  /** Each query (one value, `n`) answers the same on the copy recovered at `port` as on the live database. */
  const expectAsLive = async (port: number, queries: string[]) => {
    const copy = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${port}/`) });
    await copy.connect();
    try {
      for (const sql of queries) {
        const [live] = await cluster.query<{ n: string }>(sql, [], db);
        expect((await copy.query<{ n: string }>(sql)).rows[0].n).toBe(live.n);
      }
    } finally {
      await copy.end();
    }
  };
  await workers.runUntil(async () => {
    const first = await workers.archiveAndBaseBackup(db);
    expect(first).toMatchObject({ formatVersion: 1, fullBecause: 'there is no base backup yet to build on' });
    expect(first.incremental).toBeUndefined();
    expect(first.backupManifest?.storedBytes).toBeGreaterThan(100);

    await cluster.query('UPDATE orders SET note = $1 WHERE id <= 200', ['changed once'], db);
    const second = await take();
    expect(second).toMatchObject({
      formatVersion: 3,
      incremental: { parent: first.backupId, chain: [first.backupId] },
    });
    expect(second.fullBecause).toBeUndefined();
    // Only what changed: the table's unchanged blocks are left out.
    const [{ size }] = await cluster.query<{ size: string }>("SELECT pg_relation_size('orders') AS size", [], db);
    expect(first.data.rawBytes - second.data.rawBytes).toBeGreaterThan(0.8 * Number(size));

    await cluster.query("INSERT INTO orders SELECT g, 'added' FROM generate_series(150001, 150500) g", [], db);
    const third = await take();
    expect(third.incremental).toEqual({ parent: second.backupId, chain: [first.backupId, second.backupId] });

    await cluster.query('DELETE FROM orders WHERE id BETWEEN 1000 AND 1099', [], db);

    // Restored from the newest incremental: its chain put back together, then the WAL since replayed.
    const restored = await restoreLatestFrom(third.backupId);
    // pg_combinebackup's share of the unpacking is its own phase.
    expect(formatPitr(restored)).toMatch(/unpacked in [\d.]+ s \(pg_combinebackup [\d.]+ s of it\)/);
    await expectAsLive(restored.port, [
      'SELECT count(*) AS n FROM orders',
      "SELECT count(*) AS n FROM orders WHERE note = 'changed once'",
      "SELECT count(*) AS n FROM orders WHERE note = 'added'",
      "SELECT md5(string_agg(note, ',' ORDER BY id)) AS n FROM orders",
    ]);
    await run(WorkflowType.pitrStop, { dataDir: restored.dataDir, hostQueue });

    // Its verification: pg_verifybackup of the combined copy, a recovery, the row counts.
    const verified = await run<VerifyResult>(WorkflowType.verify, { database: db, baseBackupId: third.backupId });
    expect(verified.baseBackup).toMatchObject({
      backupId: third.backupId,
      status: 'passed',
      verifyBackup: { ok: true, detail: 'backup successfully verified' },
      rowCounts: { compared: true, differences: [] },
    });

    // Two incrementals followed the full one: the next is full again.
    const fourth = await take();
    expect(fourth).toMatchObject({
      formatVersion: 1,
      fullBecause: `2 incremental base backup(s) followed the full one ${first.backupId}`,
      fullReason: 'chain-complete',
    });
    expect(fourth.incremental).toBeUndefined();

    // summarize_wal turned off: full, saying how to turn it on again.
    await summarizeWal(false);
    const offFull = await take();
    expect(offFull).toMatchObject({
      formatVersion: 1,
      fullBecause: 'summarize_wal is off on the server (ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf())',
      fullReason: 'summaries-off',
    });
    // On again, but the summaries back to offFull's start are gone (as wal_summary_keep_time
    // removes them): pg_basebackup --incremental would fail, so the next one is full, and says why.
    await summarizeWal(true);
    await cluster.query('SELECT pg_switch_wal()');
    await cluster.query('CHECKPOINT');
    // Once summarized past offFull's start, every summary there is goes: what is written after begins later.
    for (let i = 0; ; i++) {
      const [state] = await cluster.query<{ past: boolean }>(
        'SELECT summarized_lsn > $1::pg_lsn AS past, * FROM pg_get_wal_summarizer_state()',
        [offFull.start.lsn],
      );
      if (state.past) break;
      if (i > 300) throw new Error(`the WAL summarizer did not pass ${offFull.start.lsn}: ${JSON.stringify(state)}`);
      await sleep(100);
    }
    const [{ dir }] = await cluster.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
    const summaries = join(dir, 'pg_wal', 'summaries');
    for (const file of readdirSync(summaries)) rmSync(join(summaries, file));
    await cluster.query("UPDATE orders SET note = 'changed after the summaries went' WHERE id <= 5", [], db);
    const gapFull = await take();
    expect(gapFull).toMatchObject({
      formatVersion: 1,
      fullBecause: `the server's WAL summaries no longer reach back to the start of ${offFull.backupId} (${offFull.start.lsn}; wal_summary_keep_time)`,
      fullReason: 'summaries-short',
    });

    // Where an incremental would follow, a full one asked for is full, and says so.
    await cluster.query("UPDATE orders SET note = 'changed twice' WHERE id <= 10", [], db);
    await sleep(1100);
    const fifth = await run<BaseBackupManifest>(WorkflowType.baseBackup, { server: db, reason: 'test', hostQueue, full: true });
    expect(fifth).toMatchObject({
      formatVersion: 1,
      fullBecause: 'asked for (pgwarden basebackup --full)',
      fullReason: 'asked',
    });
    expect(fifth.incremental).toBeUndefined();

    // A tablespace besides the main one: created after the full one, then changed. The
    // incrementals go through the spool; a restore unpacks each part's tablespace beside it and
    // puts the chain together into a tablespace folder of its own, never the server's.
    const space = `ts_${db}`;
    await cluster.query(`CREATE TABLESPACE ${space} LOCATION '${location}'`);
    await cluster.query(
      `CREATE TABLE ledger TABLESPACE ${space} AS SELECT g AS id, repeat(md5(g::text), 4) AS note FROM generate_series(1, 20000) g`,
      [],
      db,
    );
    const sixth = await take();
    expect(sixth.incremental).toEqual({ parent: fifth.backupId, chain: [fifth.backupId] });
    expect(sixth.tablespaces).toHaveLength(1);
    await cluster.query("UPDATE ledger SET note = 'changed' WHERE id <= 100", [], db);
    await cluster.query("INSERT INTO orders SELECT g, 'after the tablespace' FROM generate_series(150501, 150600) g", [], db);
    const seventh = await take();
    expect(seventh.incremental).toEqual({ parent: sixth.backupId, chain: [fifth.backupId, sixth.backupId] });
    const withSpace = await restoreLatestFrom(seventh.backupId);
    const [oidRow] = await cluster.query<{ oid: number }>('SELECT oid::int AS oid FROM pg_tablespace WHERE spcname = $1', [
      space,
    ]);
    expect(readlinkSync(join(withSpace.dataDir, 'pg_tblspc', String(oidRow.oid)))).not.toContain(location);
    await expectAsLive(withSpace.port, [
      "SELECT count(*) || ':' || md5(string_agg(note, ',' ORDER BY id)) AS n FROM ledger",
      "SELECT count(*) || ':' || md5(string_agg(note, ',' ORDER BY id)) AS n FROM orders",
    ]);
    await run(WorkflowType.pitrStop, { dataDir: withSpace.dataDir, hostQueue });
    const spaceVerified = await run<VerifyResult>(WorkflowType.verify, { database: db, baseBackupId: seventh.backupId });
    expect(spaceVerified.baseBackup).toMatchObject({
      backupId: seventh.backupId,
      status: 'passed',
      verifyBackup: { ok: true },
      rowCounts: { compared: true, differences: [] },
    });
  });
}, 420_000);
