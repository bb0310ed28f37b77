/**
 * Base backups of a server with a tablespace besides the main one, against a real cluster and
 * S3: copied through a spool on the worker's disk into one object per tablespace; a
 * point-in-time restore on the same host puts the tablespace in its own folder, never at the
 * server's location; verification recovers it and compares the rows; cleanup deletes every
 * object of a base backup it drops. A tablespace created after the base backup: a target
 * before its creation is restored on the server's host (the WAL cut just before it), one past it
 * or none is refused in one line, and the server's folder is never touched.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import type { WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { PitrRestoreResult } from '../../activities/pitr';
import { formatPitr } from '../../src/app/cli/commands/pitr';
import { describeFailure } from '../../src/app/cli/failure';
import { ephemeralPort } from '../../src/infra/net/ports';
import { handOver, instanceUser } from '../../src/infra/postgres/instance';
import { Bucket } from '../../src/infra/storage/bucket';
import { baseBackupFolder } from '../../src/infra/storage/layout';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import type { RecoveryTarget } from '../../src/operations/pitr/target';
import type { CleanupResult } from '../../workflows/cleanup';
import type { VerifyResult } from '../../workflows/verify';
import { uniqueDatabaseName } from '../support/databases';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { stackConfig } from '../support/stack-env';
import { bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

let server: DevServer;
let cluster: ScratchCluster;
let location: string;
const runs: WorkflowHandle[] = [];
const restored: string[] = [];
beforeAll(async () => {
  server = await devServer();
  // A cluster of its own: its tablespace makes every base backup of it go through the spool.
  cluster = await startScratchCluster();
  location = mkdtempSync(join(tmpdir(), 'pgwarden-tablespace-'));
  handOver(location, instanceUser());
});
afterAll(async () => {
  for (const run of runs) await run.terminate('test over').catch(() => undefined);
  await cluster?.stop();
  await server?.close();
  for (const dir of [location, ...restored]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every file under a folder with its size and modification time. */
const filesUnder = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const at = statSync(join(e.parentPath, e.name));
      return `${join(e.parentPath, e.name)} ${at.size} ${at.mtimeMs}`;
    })
    .sort();

const count = async (c: Client, table: string) =>
  Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

it('a server with a tablespace: spooled into an object per tablespace, restored beside the server, verified, cleaned up whole', async () => {
  const db = uniqueDatabaseName('basetbs');
  const space = `ts_${db}`;
  await cluster.query(`CREATE TABLESPACE ${space} LOCATION '${location}'`);
  await cluster.query(`CREATE DATABASE ${db}`);
  await cluster.query('CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 1000) g', [], db);
  await cluster.query(
    `CREATE TABLE history TABLESPACE ${space} AS SELECT g AS id, repeat(md5(g::text), 4) AS note FROM generate_series(1, 5000) g`,
    [],
    db,
  );
  await cluster.query(`CREATE INDEX history_id ON history (id) TABLESPACE ${space}`, [], db);
  const [{ oid }] = await cluster.query<{ oid: number }>('SELECT oid::int AS oid FROM pg_tablespace WHERE spcname = $1', [space]);
  // Keep-last 1 and one daily: of two base backups taken today, cleanup keeps the newer.
  const overrides = {
    WAL_ARCHIVE: db,
    WAL_PARTIAL_UPLOAD_SECONDS: '1',
    BACKUP_KEEP_LAST: '1',
    BACKUP_GFS_DAILY: '1',
    BACKUP_GFS_WEEKLY: '0',
    BACKUP_GFS_MONTHLY: '0',
  };
  const config = stackConfig({ ...overrides, DATABASE_URL: cluster.url(db) });
  const taskQueue = uniqueTaskQueue('basetbs');
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  const s3 = createS3Client(config.storage!);
  const bucket = new Bucket(config.storage!, s3);
  const folder = baseBackupFolder(config.storage!.prefix, db);
  try {
    await worker.runUntil(async () => {
      const archiving = await server.client.workflow.start(WorkflowType.walArchive, {
        taskQueue,
        workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
        args: [{ server: db, roundSeconds: 600 }],
      });
      runs.push(archiving);
      const take = (): Promise<BaseBackupManifest> =>
        server.client.workflow.execute(WorkflowType.baseBackup, {
          taskQueue,
          workflowId: `base-backup-${db}-${uniqueSuffix()}`,
          args: [{ server: db, reason: 'test' }],
        });

      const older = await take();
      expect(older).toMatchObject({
        formatVersion: 2,
        data: { key: `${folder}${older.backupId}.tar.zst.enc` },
        tablespaces: [{ oid, name: space, location, data: { key: `${folder}${older.backupId}.tablespace-${oid}.tar.zst.enc` } }],
        backupManifest: { key: `${folder}${older.backupId}.backup_manifest.zst.enc` },
      });
      // The tablespace's tar holds its rows: ~300 kB of them, compressed.
      expect(older.tablespaces![0].data.storedBytes).toBeGreaterThan(20_000);
      expect((await bucket.list(`${folder}${older.backupId}.`)).map((o) => o.key).sort()).toEqual(
        [older.data.key, older.tablespaces![0].data.key, older.backupManifest!.key, `${folder}${older.backupId}.json`].sort(),
      );
      // The spool is gone.
      expect(readdirSync(join(tmpdir(), 'pgwarden-work')).filter((n) => n.endsWith('.basebackup-spool'))).toEqual([]);

      // Rows written into the tablespace after it are replayed from the archive.
      await cluster.query('INSERT INTO history SELECT g, md5(g::text) FROM generate_series(5001, 6000) g', [], db);
      await new Promise((r) => setTimeout(r, 1100)); // base backup ids are per second
      const newer = await take();
      await cluster.query('INSERT INTO history SELECT g, md5(g::text) FROM generate_series(6001, 6500) g', [], db);
      await cluster.query('SELECT pg_switch_wal()', [], db);
      await new Promise((r) => setTimeout(r, 3000)); // the archive catches up: segments at once, the open one every second

      // Restored from the older one on this host, the server's own: the tablespace in the restore's folder.
      const result: PitrRestoreResult = await server.client.workflow.execute(WorkflowType.pitrRestore, {
        taskQueue,
        workflowId: `pitr-${db}-${uniqueSuffix()}`,
        args: [{ server: db, target: { kind: 'latest' }, baseBackupId: older.backupId }],
      });
      restored.push(join(result.dataDir, '..'));
      expect(result.baseBackupId).toBe(older.backupId);
      expect(formatPitr(result)).toContain(older.backupId);
      const mine = join(result.dataDir, '..', 'tablespaces', String(oid));
      expect(readlinkSync(join(result.dataDir, 'pg_tblspc', String(oid)))).toBe(mine);
      const c = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${result.port}/`) });
      await c.connect();
      try {
        expect(await count(c, 'history')).toBe(6500);
        expect(await count(c, 'orders')).toBe(1000);
        const [{ at }] = (
          await c.query<{ at: string }>('SELECT pg_tablespace_location(oid) AS at FROM pg_tablespace WHERE spcname = $1', [space])
        ).rows;
        expect(at).toBe(mine);
        // Writes to the restored copy's tablespace stay there: the server's rows are untouched.
        await c.query('DELETE FROM history');
        await c.query('CHECKPOINT');
      } finally {
        await c.end();
      }
      expect(Number((await cluster.query<{ n: string }>('SELECT count(*) AS n FROM history', [], db))[0].n)).toBe(6500);
      const stopping = await server.client.workflow.start(WorkflowType.pitrStop, {
        taskQueue,
        workflowId: `pitr-stop-${db}-${uniqueSuffix()}`,
        args: [{ dataDir: result.dataDir }],
      });
      await stopping.result();

      // Verified as any other: pg_verifybackup sees the tablespace's files, the rows compare exactly.
      const verified: VerifyResult = await server.client.workflow.execute(WorkflowType.verify, {
        taskQueue,
        workflowId: `verify-${db}-${uniqueSuffix()}`,
        args: [{ database: db, allUnverified: true }],
      });
      for (const b of [...(verified.olderBaseBackups ?? []), verified.baseBackup!])
        expect(b).toMatchObject({
          status: 'passed',
          verifyBackup: { ok: true, detail: 'backup successfully verified' },
          rowCounts: { compared: true, differences: [] },
        });
      expect(verified.baseBackup!.backupId).toBe(newer.backupId);
      expect(newer.rowCounts!.tables).toContainEqual({ schema: 'public', table: 'history', rows: 6000 });
      // Cleanup drops the older base backup with every object it had.
      const cleaned: CleanupResult = await server.client.workflow.execute(WorkflowType.cleanup, {
        taskQueue,
        workflowId: `cleanup-${db}-${uniqueSuffix()}`,
        args: [{ database: db }],
      });
      expect(cleaned.archive).toMatchObject({ baseBackupsDeleted: [older.backupId], baseBackupsKept: [newer.backupId] });
      expect(await bucket.list(`${folder}${older.backupId}.`)).toEqual([]);
      expect((await bucket.list(`${folder}${newer.backupId}.`)).length).toBe(4);

      // A tablespace made after the newest base backup: replaying its creation on this host would
      // write into the server's own folder (PostgreSQL links it there). A commit on each side of
      // it, a second apart, so a time target can stop short of it or lie past it.
      const serverTime = async () =>
        (await cluster.query<{ t: Date }>('SELECT clock_timestamp() AS t', [], db))[0].t.toISOString();
      const pause = () => new Promise((r) => setTimeout(r, 1200));
      const beforeLate = await serverTime();
      await pause();
      await cluster.query('CREATE TABLE before_late AS SELECT 1 AS one', [], db);
      const later = mkdtempSync(join(tmpdir(), 'pgwarden-tablespace-'));
      restored.push(later);
      handOver(later, instanceUser());
      await cluster.query(`CREATE TABLESPACE ${space}_late LOCATION '${later}'`);
      await cluster.query(`CREATE TABLE late TABLESPACE ${space}_late AS SELECT g FROM generate_series(1, 100) g`, [], db);
      await pause();
      const afterLate = await serverTime();
      await pause();
      await cluster.query('CREATE TABLE after_late AS SELECT 1 AS one', [], db);
      // Read once (hint bits) and flushed, so the server itself has nothing left to write there.
      await cluster.query('SELECT count(*) FROM late', [], db);
      await cluster.query('CHECKPOINT');
      await cluster.query('SELECT pg_switch_wal()', [], db);
      await new Promise((r) => setTimeout(r, 3000)); // archived
      const before = filesUnder(later);
      const pitr = (target: RecoveryTarget, taskQueueOf = taskQueue) =>
        server.client.workflow.execute(WorkflowType.pitrRestore, {
          taskQueue: taskQueueOf,
          workflowId: `pitr-${db}-${uniqueSuffix()}`,
          args: [{ server: db, target }],
        });
      // With no target, nothing starts: cutting the WAL short would promote an earlier state without a word.
      const refused = await pitr({ kind: 'latest' }).catch((e: unknown) => e);
      const line = `${db}: tablespace ${space}_late was created after base backup ${newer.backupId}, and recovering past its creation on this host would write into ${later}, the server's own files; give a target before its creation (--to TIME, --to-lsn or --to-name), take a new base backup (pgwarden basebackup --server ${db}) and recover from it, or recover on another host`;
      expect(describeFailure(refused)).toEqual({ lines: [line], exitCode: 64 });
      // A target before the creation is restored here: the WAL is cut just before it.
      const early: PitrRestoreResult = await pitr({ kind: 'time', time: beforeLate });
      restored.push(join(early.dataDir, '..'));
      const e = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${early.port}/`) });
      await e.connect();
      try {
        expect(await count(e, 'history')).toBe(6500);
        const tables = (
          await e.query<{ t: string }>("SELECT relname AS t FROM pg_class WHERE relname IN ('before_late', 'late')")
        ).rows;
        expect(tables).toEqual([]);
      } finally {
        await e.end();
      }
      await server.client.workflow.execute(WorkflowType.pitrStop, {
        taskQueue,
        workflowId: `pitr-stop-${db}-${uniqueSuffix()}`,
        args: [{ dataDir: early.dataDir }],
      });
      // A target past it: recovery ends at the cut, and says so in one line.
      const past = await pitr({ kind: 'time', time: afterLate }).catch((err: unknown) => err);
      expect(describeFailure(past)).toEqual({
        lines: [
          expect.stringMatching(
            new RegExp(
              `^${db}: the target lies past the creation of a tablespace \\(oid \\d+\\) at ([0-9A-F]+/[0-9A-F]+), after base backup ${newer.backupId}, and recovering past it on this host would write into ${later}, the server's own files; give a target before \\1, take a new base backup`,
            ),
          ),
        ],
        exitCode: 64,
      });
      // Neither refused run left an instance or a folder: only the two restores' folders are there.
      const runFolders = () =>
        readdirSync(join(result.dataDir, '..', '..'))
          .filter((n) => n.startsWith(`${db}-`))
          .sort();
      expect(runFolders()).toEqual([basename(join(result.dataDir, '..')), basename(join(early.dataDir, '..'))].sort());
      // The base backup's verification recovers to just after its own end, before the creation: it passes.
      const reverified: VerifyResult = await server.client.workflow.execute(WorkflowType.verify, {
        taskQueue,
        workflowId: `verify-${db}-${uniqueSuffix()}`,
        args: [{ database: db, baseBackupId: newer.backupId }],
      });
      expect(reverified.baseBackup).toMatchObject({ status: 'passed', rowCounts: { compared: true, differences: [] } });
      expect(filesUnder(later)).toEqual(before);

      // The server cannot be asked (lost, as far as this worker knows): the WAL is looked at
      // before recovery reads it, and the segment holding the creation stops it.
      const [{ lateOid }] = await cluster.query<{ lateOid: number }>(
        'SELECT oid::int AS "lateOid" FROM pg_tablespace WHERE spcname = $1',
        [`${space}_late`],
      );
      const lostQueue = uniqueTaskQueue('basetbslost');
      const lostConfig = stackConfig({
        ...overrides,
        DATABASE_URL: cluster.url(db).replace(/:\d+\//, `:${await ephemeralPort()}/`),
      });
      const lostWorker = await bundledWorker(server, lostQueue, createActivities(createActivityDeps(lostConfig)));
      const unasked = await lostWorker.runUntil(pitr({ kind: 'latest' }, lostQueue).catch((e: unknown) => e));
      expect(describeFailure(unasked)).toEqual({
        lines: [
          expect.stringMatching(
            new RegExp(
              `^${db}: a tablespace \\(oid ${lateOid}\\) was created after base backup ${newer.backupId} \\(at [0-9A-F]+/[0-9A-F]+, in [0-9A-F]{24}\\), and recovering past its creation on this host would write into ${later}, the server's own files; give a target before its creation \\(--to TIME, --to-lsn or --to-name\\), take a new base backup`,
            ),
          ),
        ],
        exitCode: 64,
      });
      expect(filesUnder(later)).toEqual(before);
      expect(Number((await cluster.query<{ n: string }>('SELECT count(*) AS n FROM late', [], db))[0].n)).toBe(100);

      await archiving.cancel();
      await archiving.result();
    });
  } finally {
    s3.destroy();
  }
}, 300_000);
