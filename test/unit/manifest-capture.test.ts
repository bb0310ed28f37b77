import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { captureBackupManifest } from '../../src/operations/pitr/manifest-capture';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgwarden-capture-'));
  writeFileSync(join(dir, 'big'), randomBytes(3 << 20));
  writeFileSync(join(dir, 'backup_manifest'), '{"PostgreSQL-Backup-Manifest-Version": 2}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tar = () => execFileSync('tar', ['-c', '-C', dir, 'big', 'backup_manifest'], { maxBuffer: 64 << 20 });
const pieces = (b: Buffer) =>
  Array.from({ length: Math.ceil(b.length / 65536) }, (_, i) => b.subarray(i * 65536, (i + 1) * 65536));

it.each([
  ['zstd', (b: Buffer) => execFileSync('zstd', ['-q', '-c'], { input: b, maxBuffer: 64 << 20 })],
  ['gzip', (b: Buffer) => gzipSync(b)],
  ['none', (b: Buffer) => b],
] as const)('keeps the manifest of a %s tar, passing every byte on unchanged', async (algorithm, compress) => {
  const stream = compress(tar());
  const capture = captureBackupManifest(algorithm);
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces(stream)),
    capture.tap,
    new Writable({ write: (c: Buffer, _e, done) => (out.push(c), done()) }),
  );
  expect(Buffer.concat(out).equals(stream)).toBe(true);
  expect((await capture.manifest()).toString()).toBe('{"PostgreSQL-Backup-Manifest-Version": 2}');
});

it('a stream it cannot decompress fails the stream it passes on, and says so', async () => {
  const capture = captureBackupManifest('zstd');
  const passing = pipeline(
    Readable.from(pieces(randomBytes(4 << 20))),
    capture.tap,
    new Writable({ write: (_c, _e, done) => done() }),
  );
  await expect(passing).rejects.toThrow("reading the backup_manifest from pg_basebackup's tar failed");
  await expect(capture.manifest()).rejects.toThrow("reading the backup_manifest from pg_basebackup's tar failed");
});

it('a tar without one is said so', async () => {
  const capture = captureBackupManifest('none');
  const plain = execFileSync('tar', ['-c', '-C', dir, 'big'], { maxBuffer: 64 << 20 });
  await pipeline(Readable.from(pieces(plain)), capture.tap, new Writable({ write: (_c, _e, done) => done() }));
  await expect(capture.manifest()).rejects.toThrow("pg_basebackup's tar held no backup_manifest");
});
