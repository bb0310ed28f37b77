/**
 * `pgwarden wal push %p` as an archive_command, the built CLI against the local stack's S3
 * with WAL files made for the test (the real archiver's use is in the workflow tests'
 * wal-push.test.ts): each file stored once, the same bytes again accepted, other bytes or
 * another cluster's WAL refused with the archive left as it was, files no recovery reads
 * passed over, and every refusal a non-zero exit, which makes PostgreSQL keep the file and
 * try again.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encryptorFor } from '../../src/infra/crypto/encryptor';
import { proveActiveKey } from '../../src/infra/crypto/key-proof';
import { Keyring } from '../../src/infra/crypto/keyring';
import { Bucket } from '../../src/infra/storage/bucket';
import { walFolder, walKey } from '../../src/infra/storage/layout';
import { WAL_SYSTEM_ID } from '../../src/operations/pitr/system-identifier';
import { sealWalFile, WAL_PLAIN_SHA256 } from '../../src/operations/pitr/wal-object';
import { pgwarden } from '../support/cli';
import { stackConfig } from '../support/stack-env';

const SEGMENT = 16 * 1024 * 1024;
const SERVER = 'shop';
const prefix = `wal-push-test-${randomUUID().slice(0, 8)}`;
const settings = { S3_PREFIX: prefix };
const config = stackConfig(settings);
const bucket = new Bucket(config.storage!);
const keyring = Keyring.from(config.encryption);
const folder = walFolder(config.storage!.prefix, SERVER);
let work: string;
beforeAll(() => (work = mkdtempSync(join(tmpdir(), 'pgwarden-wal-push-'))));
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  for (const o of await bucket.list(`${prefix}/`)) await bucket.delete(o.key);
});

/** A segment as PostgreSQL writes one: a long page header naming the cluster, then WAL (here a pattern). */
function segment(name: string, systemId: bigint, fill: number): string {
  const bytes = Buffer.alloc(SEGMENT, fill);
  bytes.writeUInt16LE(0xd110, 0); // xlp_magic
  bytes.writeUInt16LE(0x0002, 2); // xlp_info: XLP_LONG_HEADER
  bytes.writeUInt32LE(1, 4); // xlp_tli
  bytes.writeBigUInt64LE(systemId, 24);
  bytes.writeUInt32LE(SEGMENT, 32);
  bytes.writeUInt32LE(8192, 36);
  const path = join(work, `${fill}`, name);
  writeFile(path, bytes);
  return path;
}

function writeFile(path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

const push = (path: string, env: Record<string, string> = {}) =>
  pgwarden({ ...settings, ...env }, 'wal', 'push', path, '--server', SERVER);
const fetched = async (name: string) => {
  const into = join(work, `fetched-${name}`);
  rmSync(into, { force: true });
  const r = await pgwarden(settings, 'wal', 'fetch', name, into, '--server', SERVER);
  expect(r.code).toBe(0);
  return readFileSync(into);
};
const stored = async () => (await bucket.list(folder)).map((o) => o.key.slice(folder.length)).sort();

const A = 7000000000000000001n;
const B = 7000000000000000002n;

it('stores a segment once, takes the same bytes again, and refuses other bytes under its name', async () => {
  const first = segment('000000010000000000000005', A, 1);
  // An open segment's copy left by streaming: the completed segment supersedes it.
  const partial = walKey(config.storage!.prefix, SERVER, '000000010000000000000005.partial', config.backup.compression);
  await bucket.put(partial, (await sealWalFile(first, config.backup.compression, encryptorFor(keyring).create, SEGMENT)).body);

  const r = await push(first);
  expect(r).toMatchObject({ code: 0, stdout: '' });
  expect(r.stderr).toMatch(/^archived 000000010000000000000005 \(16\.0 MiB, [\d.]+ (B|KiB|MiB) stored\) in s3:\/\/.+\.enc\n$/);
  expect(await stored()).toEqual(['000000010000000000000005.zst.enc']);
  const head = await bucket.head(`${folder}000000010000000000000005.zst.enc`);
  expect(head?.Metadata?.[WAL_SYSTEM_ID]).toBe(A.toString());
  expect(head?.Metadata?.[WAL_PLAIN_SHA256]).toMatch(/^[0-9a-f]{64}$/);
  expect((await fetched('000000010000000000000005')).equals(readFileSync(first))).toBe(true);

  // PostgreSQL archives a file again when it did not hear the first exit 0 (a crash in between).
  const again = await push(first);
  expect(again).toMatchObject({ code: 0 });
  expect(again.stderr).toMatch(/^000000010000000000000005 was archived already, with the same bytes \(/);

  const other = await push(segment('000000010000000000000005', A, 2));
  expect(other.code).toBe(1);
  expect(other.stderr).toMatch(
    /^pgwarden: s3:\/\/.+000000010000000000000005\.zst\.enc already holds different contents for WAL file 000000010000000000000005; it is kept as it is and archiving stops: is another cluster archiving as "shop"\?\n$/,
  );
  expect((await fetched('000000010000000000000005')).equals(readFileSync(first))).toBe(true);

  // A push whose env file says another compression than the worker's: the file under its other suffix counts.
  const gzip = { BACKUP_COMPRESSION: 'gzip' };
  expect((await push(first, gzip)).stderr).toMatch(
    /^000000010000000000000005 was archived already, with the same bytes .+\.zst\.enc\n$/,
  );
  expect(await push(segment('000000010000000000000005', A, 2), gzip)).toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/000000010000000000000005\.zst\.enc already holds different contents/),
  });
  expect(await stored()).toEqual(['000000010000000000000005.zst.enc']);
});

it("refuses another cluster's segment, whichever segment the archive holds before it", async () => {
  const refused = await push(segment('000000010000000000000006', B, 3));
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(
    new RegExp(
      `^pgwarden: shop: the archive holds the WAL of database system ${A} but the server is database system ${B}, so it is another cluster .+\\n$`,
    ),
  );
  // After a gap too: the newest segment the archive holds speaks for it.
  expect((await push(segment('000000010000000000000009', B, 3))).code).toBe(1);
  expect(await stored()).toEqual(['000000010000000000000005.zst.enc']);

  expect((await push(segment('000000010000000000000006', A, 3))).code).toBe(0);
  expect(await stored()).toEqual(['000000010000000000000005.zst.enc', '000000010000000000000006.zst.enc']);
});

it('stores timeline histories, passes over backup history files, and refuses what is no WAL file', async () => {
  const history = join(work, '00000002.history');
  writeFile(history, '1\t0/7000000\tno recovery target specified\n');
  expect(await push(history)).toMatchObject({ code: 0 });
  expect((await fetched('00000002.history')).toString()).toBe('1\t0/7000000\tno recovery target specified\n');

  const label = join(work, '000000010000000000000006.00000028.backup');
  writeFile(label, 'START WAL LOCATION: 0/6000028\n');
  const skipped = await push(label);
  expect(skipped).toMatchObject({ code: 0 });
  expect(skipped.stderr).toBe(
    'not archived 000000010000000000000006.00000028.backup: a backup history file (the base backup manifests record the same)\n',
  );

  const half = join(work, 'half', '000000010000000000000007');
  writeFile(half, Buffer.alloc(1000));
  expect(await push(half)).toMatchObject({
    code: 1,
    stderr: 'pgwarden: 000000010000000000000007: 1000 bytes is not a whole WAL segment\n',
  });
  const missing = await push(join(work, 'nowhere', '000000010000000000000007'));
  expect(missing.code).not.toBe(0);
  expect(missing.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(missing.stderr).toContain('000000010000000000000007');
  expect(await stored()).toEqual([
    '000000010000000000000005.zst.enc',
    '000000010000000000000006.zst.enc',
    '00000002.history.zst.enc',
  ]);
});

it('writes nothing with a key other than the one its id stands for in the bucket', async () => {
  const wrong = 'cd'.repeat(32);
  await proveActiveKey(bucket, keyring); // the check the first push of the right key records
  // Under the id the right key has in this bucket (a new id would be a new key, its check recorded).
  const r = await push(segment('000000010000000000000007', A, 4), {
    BACKUP_ENCRYPTION_KEY: wrong,
    BACKUP_ENCRYPTION_KEY_ID: keyring.activeKeyId,
  });
  expect(r.code).toBe(4);
  expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(r.stderr).not.toContain(wrong);
  expect(await stored()).not.toContain('000000010000000000000007.zst.enc');
});
