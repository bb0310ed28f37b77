/**
 * A server with a tablespace copied through the spool by a real pg_basebackup, stored by an
 * upload slower than the copy: pg_basebackup is stopped while the spool holds more than its
 * limit and continued once the upload has caught up, so the worker's disk holds a few megabytes
 * of a copy many times that; every tar comes out whole. Where the folder cannot be watched (the
 * host's inotify limits), the copy is stored after pg_basebackup has finished, whole too.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { SpooledCopy, spoolCanStream, spooledCopy } from '../../activities/base-backup-spool';
import { pgBasebackupCompressArg } from '../../src/infra/compression/compression';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { handOver, instanceUser } from '../../src/infra/postgres/instance';
import type { Tablespace } from '../../src/infra/postgres/tablespaces';
import type { Bucket } from '../../src/infra/storage/bucket';
import type { UploadSpec } from '../../src/infra/storage/upload';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import type { Logger } from '@temporalio/common';
import { activityEnvironment, warningsLogger } from '../support/temporal';

const MiB = 1024 * 1024;
const LIMIT = 4 * MiB;
let cluster: ScratchCluster;
let location: string;
let work: string;
beforeAll(async () => {
  cluster = await startScratchCluster();
  location = mkdtempSync(join(tmpdir(), 'pgwarden-spool-tablespace-'));
  handOver(location, instanceUser());
  work = mkdtempSync(join(tmpdir(), 'pgwarden-spool-work-'));
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  for (const dir of [location, work]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An upload that takes about `bytesPerSecond`, keeping what it stored. */
function slowBucket(bytesPerSecond: number) {
  const stored = new Map<string, Buffer>();
  const bucket = {
    async upload(spec: UploadSpec) {
      const chunks: Buffer[] = [];
      for await (const chunk of spec.body as Readable) {
        chunks.push(chunk as Buffer);
        await new Promise((resolve) => setTimeout(resolve, ((chunk as Buffer).length / bytesPerSecond) * 1000));
      }
      stored.set(spec.key, Buffer.concat(chunks));
    },
  } as unknown as Bucket;
  return { bucket, stored };
}

/** What the spool's files take on disk now, read apart from the code under test. */
const spoolDisk = (spool: string) => {
  try {
    return readdirSync(spool).reduce((sum, name) => sum + statSync(join(spool, name)).blocks * 512, 0);
  } catch {
    return 0;
  }
};

/** The members of a zstd-compressed tar and their sizes. */
const members = (tar: Buffer) =>
  new Map(
    execFileSync('sh', ['-c', 'zstd -q -d -c | tar -tvf -'], { input: tar, maxBuffer: 64 * MiB })
      .toString()
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/))
      .map((f) => [f.at(-1)!, Number(f[2])] as const),
  );

/** The table of about 100 MiB in a tablespace of its own (compressing about 2x: many times the limit), made once. */
let made: { tablespaces: Tablespace[]; oid: number; path: string; bytes: number } | undefined;
async function bigTable() {
  if (made) return made;
  await cluster.query(`CREATE TABLESPACE spooled LOCATION '${location}'`);
  await cluster.query(
    `CREATE TABLE big TABLESPACE spooled AS SELECT g AS id, (SELECT string_agg(encode(sha512((g * 4 + k)::text::bytea), 'hex'), '') FROM generate_series(0, 3) k) AS note FROM generate_series(1, 200000) g`,
  );
  const [{ oid, path, bytes }] = await cluster.query<{ oid: number; path: string; bytes: string }>(
    `SELECT t.oid::int AS oid, pg_relation_filepath('big') AS path, pg_relation_size('big')::text AS bytes
       FROM pg_tablespace t WHERE spcname = 'spooled'`,
  );
  made = { tablespaces: [{ oid, name: 'spooled', location }], oid, path, bytes: Number(bytes) };
  return made;
}

/** The cluster copied through a 4 MiB spool to an upload of `bytesPerSecond`, its disk sampled every 10 ms. */
async function copyThroughSpool(bytesPerSecond: number, logger?: Logger) {
  const { tablespaces } = await bigTable();
  const spool = join(work, 'spool');
  const { bucket, stored } = slowBucket(bytesPerSecond);
  let peakSeen = 0;
  const sampler = setInterval(() => (peakSeen = Math.max(peakSeen, spoolDisk(spool))), 10);
  const paused: Array<[boolean, number]> = [];
  const compression = { algorithm: 'zstd', level: 1 } as const;
  const copy: SpooledCopy = await activityEnvironment(undefined, logger)
    .run<Parameters<typeof spooledCopy>, SpooledCopy, typeof spooledCopy>(spooledCopy, {
      program: pgProgram('pg_basebackup'),
      args: [
        `--dbname=${cluster.url()}`,
        '--format=tar',
        '--wal-method=fetch',
        '--checkpoint=fast',
        '--progress',
        '--no-password',
        // Slowed a little, so what it writes between two looks at the spool (0.1 s) is small next to the limit.
        '--max-rate=20M',
        pgBasebackupCompressArg(compression)!,
      ],
      env: { ...process.env, LC_MESSAGES: 'C' },
      spool,
      tablespaces,
      compression,
      keys: { data: 'base', tablespace: (o: number) => `tablespace-${o}`, backupManifest: 'backup_manifest' },
      upload: (key: string) => ({
        bucket,
        compression: { algorithm: 'none', level: 0 } as const,
        encryptor: () => new PassThrough(),
        upload: { key },
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
      onStderrLine: () => undefined,
      onUploading: () => undefined,
      onPaused: (p: boolean, bytes: number) => paused.push([p, bytes]),
      limitBytes: LIMIT,
      signal: new AbortController().signal,
    })
    .finally(() => clearInterval(sampler));
  // The spool is gone.
  expect(() => statSync(spool)).toThrow();
  return { copy, stored, peakSeen, paused };
}

/** Whole: the table's file in the tablespace's tar at its size, the main tar with pg_control, and the manifest. */
function expectWhole(copy: SpooledCopy, stored: Map<string, Buffer>) {
  const { oid, path, bytes } = made!;
  const tablespaceTar = stored.get(`tablespace-${oid}`)!;
  expect(members(tablespaceTar).get(path.replace(`pg_tblspc/${oid}/`, ''))).toBe(bytes);
  expect(members(stored.get('base')!).has('global/pg_control')).toBe(true);
  expect(copy.tablespaces.map((t) => [t.oid, t.data.key, t.data.storedBytes])).toEqual([
    [oid, `tablespace-${oid}`, tablespaceTar.length],
  ]);
  expect(
    JSON.parse(execFileSync('zstd', ['-q', '-d', '-c'], { input: stored.get('backup_manifest')! }).toString()),
  ).toMatchObject({ 'PostgreSQL-Backup-Manifest-Version': expect.any(Number) });
}

it('holds part of a larger copy on disk, pausing pg_basebackup for a slow upload; every tar whole', async () => {
  const { copy, stored, peakSeen, paused } = await copyThroughSpool(5 * MiB);
  const tar = stored.get(`tablespace-${made!.oid}`)!.length;
  expect(tar).toBeGreaterThan(8 * LIMIT);
  // Stopped when the spool passed the limit, continued once the upload brought it to half, in turn.
  expect(copy.spool.pauses).toBeGreaterThanOrEqual(2);
  expect(paused.slice(0, 4).map(([p]) => p)).toEqual([true, false, true, false]);
  for (const [p, bytes] of paused) expect([p, p ? bytes > LIMIT : bytes <= LIMIT / 2]).toEqual([p, true]);
  // Read bytes were given back: the spool never held the whole tar. How far past the limit it went
  // depends on the machine's load (0.1 s between looks, and what the socket held while
  // pg_basebackup was stopped): 6.7 MiB on a quiet machine, 18.7 MiB under the full suite.
  expect(peakSeen).toBeLessThan(tar);
  expect(copy.spool.peakBytes).toBeLessThan(tar);
  expectWhole(copy, stored);
}, 120_000);

it('where the folder cannot be watched (inotify limits), holds the whole copy and stores it afterwards, whole', async () => {
  const watch = jest.spyOn(fs, 'watch').mockImplementation(() => {
    throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
  });
  try {
    // The probe before the copy and the copy itself: the log says why once.
    const logger = warningsLogger();
    await expect(activityEnvironment(undefined, logger).run(spoolCanStream, work)).resolves.toBe(false);
    expect(logger.warnings).toEqual([]);
    const { copy, stored, peakSeen, paused } = await copyThroughSpool(50 * MiB, logger);
    expect(logger.warnings).toEqual([
      expect.stringMatching(/^the spool folder cannot be watched \(fs\.inotify\.max_user_instances/),
    ]);
    expect([copy.spool.pauses, paused.length]).toEqual([0, 0]);
    // Nothing was read before pg_basebackup finished: the spool held every tar at once.
    expect(peakSeen).toBeGreaterThan(stored.get(`tablespace-${made!.oid}`)!.length);
    expectWhole(copy, stored);
  } finally {
    watch.mockRestore();
  }
  await expect(activityEnvironment().run(spoolCanStream, work)).resolves.toBe(true);
}, 120_000);
