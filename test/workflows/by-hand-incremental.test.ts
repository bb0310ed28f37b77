/**
 * The README's recovery by hand of an incremental base backup, on PostgreSQL 18 with no worker
 * running: every base backup of its chain decrypted with `pgwarden decrypt` and unpacked with
 * `tar`, put together with `pg_combinebackup`, and recovered by PostgreSQL with `pgwarden wal
 * fetch %f %p` as its restore_command, equal to the live table.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { Bucket } from '../../src/infra/storage/bucket';
import { pgwarden } from '../support/cli';
import { askPromotedCopy, byHandConfig, instanceOwnedFolder, recoverByHand } from '../support/by-hand';
import { pitrFixture } from '../support/pitr-fixture';
import { stackEnv } from '../support/stack-env';

const pg18Bin = stackEnv().PGWARDEN_TEST_PG18_BIN_DIR!;
const fixture = pitrFixture({ pgBinDir: pg18Bin });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workFolder = instanceOwnedFolder('pgwarden-by-hand-incr-');

const MD5 = "SELECT count(*) || ':' || md5(string_agg(note, ',' ORDER BY id)) AS n FROM orders";

it('recovers from an incremental base backup by hand: decrypt, tar, pg_combinebackup, wal fetch', async () => {
  const work = workFolder();
  const { cluster } = fixture;
  await cluster.query('ALTER SYSTEM SET summarize_wal = on');
  await cluster.query('SELECT pg_reload_conf()');
  const { db, settings } = await fixture.archivedDatabase('byhandincr', [
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 20000) g',
  ]);
  const workers = await fixture.hostWorkers('byhandincr', { ...settings, PG_BIN_DIR: pg18Bin, BASEBACKUP_INCREMENTALS: '1' });
  const [full, incremental] = await workers.runUntil(async () => {
    const first = await workers.archiveAndBaseBackup(db);
    await cluster.query("UPDATE orders SET note = 'changed before the incremental' WHERE id <= 300", [], db);
    await sleep(1100); // base backup ids are per second
    const second = await workers.run<BaseBackupManifest>(WorkflowType.baseBackup, {
      server: db,
      reason: 'test',
      hostQueue: workers.hostQueue,
    });
    await cluster.query("UPDATE orders SET note = 'changed after it' WHERE id BETWEEN 301 AND 400", [], db);
    await cluster.query('SELECT pg_switch_wal()', [], db);
    await sleep(3000); // archived
    return [first, second];
  });
  expect(incremental.incremental).toEqual({ parent: full.backupId, chain: [full.backupId] });
  const [live] = await cluster.query<{ n: string }>(MD5, [], db);

  const config = byHandConfig(join(work, 'pgwarden.env'));

  // The chain, oldest first, then the incremental itself: each decrypted and unpacked, its
  // backup_manifest (stored on its own) decrypted into it.
  const parts: string[] = [];
  for (const base of [full, incremental]) {
    const tar = join(work, `${base.backupId}.tar`);
    expect(await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', base.data.key, '--out', tar)).toMatchObject({ code: 0 });
    const dir = join(work, base.backupId);
    mkdirSync(dir, { mode: 0o700 });
    execFileSync('tar', ['-xf', tar, '-C', dir]);
    expect(base.backupManifest?.key).toBe(base.data.key.replace('.tar.zst.enc', '.backup_manifest.zst.enc'));
    const manifest = join(dir, 'backup_manifest');
    expect(await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', base.backupManifest!.key, '--out', manifest)).toMatchObject({
      code: 0,
    });
    parts.push(dir);
  }
  // A copy downloaded by other means (aws s3 cp, a replica) decrypts the same; --keep-compression stops before zstd -d.
  const copied = join(work, 'full.tar.zst.enc');
  writeFileSync(copied, (await new Bucket(workers.config.storage!).getBytes(full.data.key))!);
  const fromFile = await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', '--file', copied, '--out', join(work, 'copy.tar'));
  expect(fromFile.code).toBe(0);
  expect(readFileSync(join(work, 'copy.tar')).equals(readFileSync(join(work, `${full.backupId}.tar`)))).toBe(true);
  const kept = join(work, 'copy.tar.zst');
  expect(
    await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', '--file', copied, '--keep-compression', '--out', kept),
  ).toMatchObject({
    code: 0,
    stderr: expect.stringMatching(/^decrypted .*full\.tar\.zst\.enc \(pgwarden-gcm-v1\): /),
  });
  expect(readFileSync(kept).subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));

  const dataDir = join(work, 'data');
  execFileSync(join(pg18Bin, 'pg_combinebackup'), [...parts, '-o', dataDir]);
  const port = await recoverByHand({ dataDir, config, server: db, pgBinDir: pg18Bin });
  fixture.restored(dataDir);

  expect(await askPromotedCopy(cluster.url(db), port, MD5)).toBe(live.n);
  expect(readFileSync(join(dataDir, 'pgwarden-instance.log'), 'utf8')).toMatch(/restored log file "[0-9A-F]{24}" from archive/);
}, 300_000);
