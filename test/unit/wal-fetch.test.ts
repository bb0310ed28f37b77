import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { WalFetch, WalFile } from '../../activities/wal-fetch';
import { encryptorFor } from '../../src/infra/crypto/encryptor';
import { randomKeyring } from '../support/keys';
import type { Bucket } from '../../src/infra/storage/bucket';
import { walKey } from '../../src/infra/storage/layout';
import { saveWalFile, sealWalFile } from '../../src/operations/pitr/wal-object';

const keyring = randomKeyring();
const NAMES = [
  '00000002.history',
  ...Array.from({ length: 10 }, (_, i) => `0000000200000000000000${(i + 16).toString(16).toUpperCase()}`),
];

let dir: string;
let walDir: string;
let stored: Map<string, Buffer>;
let opened: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pgwarden-walfetch-'));
  walDir = join(dir, 'wal');
  mkdirSync(walDir);
  stored = new Map();
  opened = [];
  slow = new Set();
  for (const name of NAMES) {
    const plain = join(dir, name);
    writeFileSync(plain, `contents of ${name}`);
    const sealed = await sealWalFile(plain, { algorithm: 'none', level: 0 }, encryptorFor(keyring).create, 16 * 1024 * 1024);
    stored.set(walKey('p', 's', name, { algorithm: 'none', level: 0 }), sealed.body);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Keys served slowly (a large segment, a slow connection). */
let slow: Set<string>;

/** A bucket that serves the sealed files, slowly enough for the order to matter. */
const bucket = {
  async open(key: string) {
    opened.push(key);
    await new Promise((r) => setTimeout(r, slow.has(key) ? 300 : 5));
    const body = stored.get(key);
    return body ? Readable.from([body]) : undefined;
  },
} as unknown as Bucket;

const files = (): WalFile[] => NAMES.map((name) => ({ name, key: walKey('p', 's', name, { algorithm: 'none', level: 0 }) }));
const fetcher = (list = files()) =>
  new WalFetch({ bucket, keyring }, list, { walDir, runAs: {}, doneMarker: '.all-fetched' }, () => undefined);

it('fetches the histories first, then every segment in order, and marks the end', async () => {
  const wal = fetcher();
  await wal.start(async () => undefined);
  // The histories are there as soon as start returns: recovery reads them at once.
  expect(existsSync(join(walDir, '00000002.history'))).toBe(true);
  await wal.finished();
  expect(readdirSync(walDir).sort()).toEqual(['.all-fetched', ...NAMES].sort());
  expect(readFileSync(join(walDir, NAMES[3]), 'utf8')).toBe(`contents of ${NAMES[3]}`);
  expect(
    opened.map((k) =>
      k
        .split('/')
        .at(-1)!
        .replace(/\.enc$/, ''),
    ),
  ).toEqual(NAMES);
  expect([wal.files, wal.bytes]).toEqual([NAMES.length, NAMES.reduce((n, name) => n + `contents of ${name}`.length, 0)]);
});

it('a file gone from the archive fails the fetch, says which, runs the failure hook, and never marks the end', async () => {
  stored.delete(files()[5].key);
  const failures: unknown[] = [];
  const wal = fetcher();
  await wal.start(async (err) => void failures.push(err));
  await expect(wal.finished()).rejects.toThrow(`WAL file ${NAMES[5]} disappeared from the archive while restoring`);
  await wal.settled();
  expect(failures).toHaveLength(1);
  expect(wal.error).toBe(failures[0]);
  expect(existsSync(join(walDir, '.all-fetched'))).toBe(false);
  // No half-written file is ever left where restore_command would copy it.
  expect(readdirSync(walDir).filter((n) => n.endsWith('.part'))).toEqual([]);
});

it('stops taking new files once recovery has reached its target', async () => {
  const wal = fetcher();
  await wal.start(async () => undefined);
  await wal.stop();
  expect(wal.files).toBeLessThan(NAMES.length);
  expect(readdirSync(walDir).filter((n) => /^[0-9A-F]{24}$/.test(n)).length).toBe(wal.files - 1);
});

it('a damaged file fails the fetch and leaves nothing half written', async () => {
  const key = files()[4].key;
  const body = Buffer.from(stored.get(key)!);
  body[body.length - 20] ^= 0xff; // past the header: found and opened, then refused by its authentication tag
  stored.set(key, body);
  const wal = fetcher();
  await wal.start(async () => undefined);
  await expect(wal.finished()).rejects.toThrow();
  await wal.settled();
  expect(existsSync(join(walDir, NAMES[4]))).toBe(false);
  expect(readdirSync(walDir).filter((n) => n.endsWith('.part'))).toEqual([]);
});

it('after a failure takes no new file, and settles only once the fetches under way have ended', async () => {
  const key = files()[4].key;
  const body = Buffer.from(stored.get(key)!);
  body[body.length - 20] ^= 0xff;
  stored.set(key, body);
  slow.add(files()[2].key); // still downloading when the damaged file fails
  const wal = fetcher();
  await wal.start(async () => undefined);
  await expect(wal.finished()).rejects.toThrow();
  await wal.settled();
  // The slow one finished (renamed into place), so nothing is written once the caller removes the folder.
  expect(existsSync(join(walDir, NAMES[2]))).toBe(true);
  expect(readdirSync(walDir).filter((n) => n.endsWith('.part'))).toEqual([]);
  expect(opened.length).toBeLessThan(NAMES.length);
});

it('looks at each segment (not the histories) before recovery can read it; one refused never appears', async () => {
  const seen: string[] = [];
  const refused = NAMES[6];
  const wal = new WalFetch(
    { bucket, keyring },
    files(),
    { walDir, runAs: {}, doneMarker: '.all-fetched' },
    () => undefined,
    async ({ path, name }) => {
      // The file is complete and not yet where restore_command copies from.
      expect(readFileSync(path, 'utf8')).toBe(`contents of ${name}`);
      expect(existsSync(join(walDir, name))).toBe(false);
      seen.push(name);
      if (name === refused) throw new Error(`${name} holds a tablespace's creation`);
      return undefined;
    },
  );
  await wal.start(async () => undefined);
  await expect(wal.finished()).rejects.toThrow(`${refused} holds a tablespace's creation`);
  await wal.settled();
  expect(seen).not.toContain('00000002.history');
  expect(seen).toContain(refused);
  expect(existsSync(join(walDir, refused))).toBe(false);
  expect(readdirSync(walDir).filter((n) => n.endsWith('.part'))).toEqual([]);
  expect(existsSync(join(walDir, '.all-fetched'))).toBe(false);
});

it('looks at the segments one after another in order, each with the one before it in place, however the downloads finish', async () => {
  const seen: Array<[string, string | undefined]> = [];
  slow.add(files()[3].key); // the third segment arrives after those behind it
  const wal = new WalFetch(
    { bucket, keyring },
    files(),
    { walDir, runAs: {}, doneMarker: '.all-fetched' },
    () => undefined,
    async ({ name }, previous) => {
      if (previous) expect(readFileSync(previous.path, 'utf8')).toBe(`contents of ${previous.name}`);
      seen.push([name, previous?.name]);
      return undefined;
    },
  );
  await wal.start(async () => undefined);
  await wal.finished();
  const segments = NAMES.slice(1);
  expect(seen).toEqual(segments.map((name, i) => [name, segments[i - 1]]));
});

it('serves nothing after a segment where the inspector ends the WAL, and marks the end', async () => {
  const end = NAMES[4];
  const wal = new WalFetch(
    { bucket, keyring },
    files(),
    { walDir, runAs: {}, doneMarker: '.all-fetched' },
    () => undefined,
    async ({ path, name }) => {
      if (name !== end) return undefined;
      writeFileSync(path, 'cut'); // the inspector zeroes what recovery must not read
      return 'end';
    },
  );
  await wal.start(async () => undefined);
  await wal.finished();
  expect(readFileSync(join(walDir, end), 'utf8')).toBe('cut');
  expect(readdirSync(walDir).sort()).toEqual(['.all-fetched', ...NAMES.slice(0, 5)].sort());
});

it('a damaged file saved nowhere: once saveWalFile has failed, its file cannot appear after the caller removed it', async () => {
  // Seen in CI: a tiny object whose check fails before the file is even opened; the open,
  // still under way, made the file after the caller's clean-up had run.
  const key = files()[4].key;
  const body = Buffer.from(stored.get(key)!);
  body[body.length - 20] ^= 0xff;
  stored.set(key, body);
  for (let i = 0; i < 20; i++) {
    const path = join(walDir, `attempt-${i}.part`);
    await expect(saveWalFile(bucket, key, keyring, path)).rejects.toThrow();
    rmSync(path, { force: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(path)).toBe(false);
  }
});
