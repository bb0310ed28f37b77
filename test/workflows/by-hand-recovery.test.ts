/**
 * Recovering by hand while Temporal and the worker are away, with the bucket, the key and
 * PostgreSQL's own tools, for a server archived with the strategy's AES-256-CBC and
 * BACKUP_COMPRESSION=none (objects no configured key opened before: CBC keys are told by the
 * plaintext, and uncompressed WAL and tars were not recognised): `pgwarden decrypt` turns the
 * base backup back into pg_basebackup's tar, and with `pgwarden wal fetch %f %p` as restore_command the unpacked copy recovers to the
 * newest WAL archived (the open segment's .partial included) and matches the live database.
 * What would make recovery end early and promote without WAL (S3 away, a wrong key, a typo in
 * the command) exits 126, which PostgreSQL takes as "stop"; a file the archive does not hold
 * exits 66, which it takes as the end of the WAL.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ephemeralPort } from '../../src/infra/net/ports';
import { Bucket } from '../../src/infra/storage/bucket';
import { pgwarden } from '../support/cli';
import { askPromotedCopy, byHandConfig, instanceOwnedFolder, recoverByHand } from '../support/by-hand';
import { pitrFixture } from '../support/pitr-fixture';

const fixture = pitrFixture();
const CBC = { ENCRYPTION_ALGORITHM: 'AES-256-CBC' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workFolder = instanceOwnedFolder('pgwarden-by-hand-');

it('recovers a server from its base backup and WAL archive with pgwarden decrypt and wal fetch alone', async () => {
  const work = workFolder();
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('byhand', [
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 5000) g',
  ]);
  const workers = await fixture.hostWorkers('byhand', { ...settings, ...CBC, BACKUP_COMPRESSION: 'none' });
  const base = await workers.runUntil(async () => {
    const taken = await workers.archiveAndBaseBackup(db);
    // After the base backup: a completed segment to replay, then rows only the open segment's .partial holds.
    await cluster.query("INSERT INTO orders SELECT g, 'after the base backup' FROM generate_series(5001, 6000) g", [], db);
    await cluster.query('SELECT pg_switch_wal()', [], db);
    await cluster.query("INSERT INTO orders SELECT g, 'in the open segment' FROM generate_series(6001, 6100) g", [], db);
    await sleep(4000); // archived, the .partial too (WAL_PARTIAL_UPLOAD_SECONDS=1)
    return taken;
  });
  // From here on no worker runs: only the CLI, S3 and PostgreSQL's programs.
  const [live] = await cluster.query<{ n: string }>(
    "SELECT count(*) || ':' || md5(string_agg(note, ',' ORDER BY id)) AS n FROM orders",
    [],
    db,
  );

  const config = byHandConfig(join(work, 'pgwarden.env'), CBC);
  const tar = join(work, 'base.tar');
  const decrypted = await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', base.data.key, '--out', tar);
  expect(decrypted).toMatchObject({ code: 0 });
  expect(decrypted.stderr).toMatch(
    /^decrypted s3:\/\/.+\.tar\.enc \(openssl-cbc\): .+ stored, SHA-256 [0-9a-f]{64} as basebackups\/base_\d{8}_\d{6}\.json records; .+ written to /,
  );
  expect(decrypted.stderr).toContain(base.data.sha256);

  // A copy downloaded by other means (aws s3 cp, a replica) decrypts the same.
  const copied = join(work, 'base.tar.enc');
  writeFileSync(copied, (await new Bucket(workers.config.storage!).getBytes(base.data.key))!);
  const fromFile = await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', '--file', copied, '--out', join(work, 'copy.tar'));
  expect(fromFile.code).toBe(0);
  expect(readFileSync(join(work, 'copy.tar')).equals(readFileSync(tar))).toBe(true);
  // CBC has no authentication: a damaged object decrypts to something, and the manifest's SHA-256 says it is not the backup.
  const bucket = new Bucket(workers.config.storage!);
  const damaged = Buffer.from(readFileSync(copied));
  damaged[damaged.length >> 1] ^= 0xff;
  const damagedKey = base.data.key.replace(base.backupId, 'base_20200101_000000');
  await bucket.put(damagedKey, damaged);
  await bucket.put(
    damagedKey.replace(/\.tar\.enc$/, '.json'),
    JSON.stringify({ backupId: 'base_20200101_000000', data: { ...base.data, key: damagedKey } }),
  );
  const refusedCopy = await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', damagedKey, '--out', join(work, 'damaged.tar'));
  expect(refusedCopy.code).toBe(1);
  expect(refusedCopy.stderr).toMatch(
    /^pgwarden: s3:\/\/.+: SHA-256 [0-9a-f]{64}, but basebackups\/base_20200101_000000\.json records [0-9a-f]{64}: the object is damaged or was replaced; use another backup\n$/,
  );
  expect(existsSync(join(work, 'damaged.tar'))).toBe(false);
  expect(existsSync(join(work, 'damaged.tar.part'))).toBe(false);
  // Refused before its first byte (not an object pgwarden wrote): the file being opened for it does not outlive the refusal.
  writeFileSync(join(work, 'junk.tar.enc'), 'not a sealed object');
  const junk = await pgwarden(
    { PGWARDEN_CONFIG: config },
    'decrypt',
    '--file',
    join(work, 'junk.tar.enc'),
    '--out',
    join(work, 'junk.tar'),
  );
  expect(junk.code).not.toBe(0);
  expect(readdirSync(work).filter((f) => f.startsWith('junk.tar') && f !== 'junk.tar.enc')).toEqual([]);
  await bucket.delete(damagedKey);
  await bucket.delete(damagedKey.replace(/\.tar\.enc$/, '.json'));

  // An existing file is never overwritten.
  expect(await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', '--file', copied, '--out', tar)).toMatchObject({ code: 64 });

  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  execFileSync('tar', ['-xf', tar, '-C', dataDir]);
  const port = await recoverByHand({ dataDir, config, server: db });
  fixture.restored(dataDir);

  expect(
    await askPromotedCopy(
      cluster.url(db),
      port,
      "SELECT count(*) || ':' || md5(string_agg(note, ',' ORDER BY id)) AS n FROM orders",
    ),
  ).toBe(live.n);
  expect(live.n).toMatch(/^6100:/);
  // The same file with a wrong key: recovery must stop (126), not take it for the end of the WAL.
  const wrongKey = byHandConfig(join(work, 'wrong-key.env'), { ...CBC, BACKUP_ENCRYPTION_KEY: 'ab'.repeat(32) });
  const refused = await pgwarden(
    { PGWARDEN_CONFIG: wrongKey },
    'wal',
    'fetch',
    base.start.walFile,
    join(work, 'RECOVERYXLOG'),
    '--server',
    db,
  );
  expect(refused.code).toBe(126);
  expect(refused.stderr).toMatch(/^pgwarden: .*key.*\(recovery stops here; start the server again once fixed\)\n$/);
  expect(refused.stderr).not.toContain('ab'.repeat(32));
  expect(existsSync(join(work, 'RECOVERYXLOG'))).toBe(false);
  expect(existsSync(join(work, 'RECOVERYXLOG.pgwarden-part'))).toBe(false); // nothing half written stays

  const log = readFileSync(join(dataDir, 'pgwarden-instance.log'), 'utf8');
  expect(log).toMatch(/restored log file "[0-9A-F]{24}" from archive/);
  expect(log).toContain('(as far as it was archived: its .partial)');
});

it('stops a recovery (exit 126) on what it cannot read, and says the end of the archive with 66', async () => {
  const work = workFolder();
  const { db } = await fixture.archivedDatabase('byhandfail', []);
  const config = byHandConfig(join(work, 'fail.env'));
  const into = join(work, 'RECOVERYXLOG');

  const missing = await pgwarden({ PGWARDEN_CONFIG: config }, 'wal', 'fetch', '0000000100000000000000FF', into, '--server', db);
  expect(missing).toMatchObject({ code: 66 });
  expect(missing.stderr).toBe(`pgwarden: 0000000100000000000000FF is not in the WAL archive of ${db}\n`);

  // S3 away: not "the end of the WAL", which would promote a server missing what comes after.
  const away = await pgwarden(
    { PGWARDEN_CONFIG: byHandConfig(join(work, 'away.env'), { S3_ENDPOINT: `http://127.0.0.1:${await ephemeralPort()}` }) },
    'wal',
    'fetch',
    '000000010000000000000001',
    into,
    '--server',
    db,
  );
  expect(away.code).toBe(126);
  expect(away.stderr).toMatch(/^pgwarden: .*\(recovery stops here; start the server again once fixed\)\n$/);

  // A command without --server where none is configured: a typo must stop recovery too.
  const unnamed = await pgwarden({ PGWARDEN_CONFIG: config }, 'wal', 'fetch', '000000010000000000000001', into);
  expect(unnamed.code).toBe(126);
  expect(unnamed.stderr).toContain('pass --server ID');

  // A typo in an option of the command line: the same.
  const typo = await pgwarden({ PGWARDEN_CONFIG: config }, 'wal', 'fetch', '000000010000000000000001', into, '--sever', db);
  expect(typo.code).toBe(126);
  expect(typo.stderr).toContain("unknown option '--sever'");

  const noObject = await pgwarden(
    { PGWARDEN_CONFIG: config },
    'decrypt',
    `${db}/basebackups/base_20200101_000000.tar.zst.enc`,
    '--out',
    join(work, 'x'),
  );
  expect(noObject.code).toBe(66);
  expect(noObject.stderr).toMatch(/does not exist; give the key as the bucket lists it/);
});
