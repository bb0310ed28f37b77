import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { TarMember, tarSize } from '../../src/infra/streams/tar-member';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pgwarden-tar-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A tar made by the system's tar, fed in pieces of every size. */
async function member(files: Record<string, Buffer | string>, wanted: string, piece: number) {
  const src = join(dir, 'src');
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(src, name, '..'), { recursive: true });
    writeFileSync(join(src, name), body);
  }
  const tar = execFileSync('tar', ['--format=ustar', '-c', '-C', src, ...Object.keys(files)], { maxBuffer: 64 << 20 });
  const catcher = new TarMember(wanted);
  const pieces = Array.from({ length: Math.ceil(tar.length / piece) }, (_, i) => tar.subarray(i * piece, (i + 1) * piece));
  await pipeline(Readable.from(pieces), catcher);
  return catcher.contents;
}

const manifest = JSON.stringify({ 'PostgreSQL-Backup-Manifest-Version': 2, Files: [] });
const big = randomBytes(700_001);

it.each([1, 511, 512, 513, 4096, 1 << 20])('finds the member among others, fed %i bytes at a time', async (piece) => {
  const found = await member(
    { 'global/pg_control': big, 'base/1/1259': 'x'.repeat(512), backup_manifest: manifest, 'pg_wal/00000001': '' },
    'backup_manifest',
    piece,
  );
  expect(found?.toString()).toBe(manifest);
});

it('is undefined when the member is not there, and not confused by one deeper of the same name', async () => {
  expect(await member({ 'base/backup_manifest': manifest, 'global/x': big }, 'backup_manifest', 4096)).toBeUndefined();
});

it('keeps an empty member as empty', async () => {
  expect((await member({ backup_manifest: '' }, 'backup_manifest', 512))?.length).toBe(0);
});

it('reads both encodings of a size: octal, and base-256 past 8 GiB', () => {
  const header = Buffer.alloc(512);
  header.write('00000001750\0', 124, 'ascii');
  expect(tarSize(header)).toBe(1000);
  const large = Buffer.alloc(512);
  large[124] = 0x80;
  large.writeUIntBE(10 * 1024 ** 3, 130, 6);
  expect(tarSize(large)).toBe(10 * 1024 ** 3);
});

it('reads a real tar file from disk the same', async () => {
  writeFileSync(join(dir, 'backup_manifest'), manifest);
  execFileSync('tar', ['-c', '-f', join(dir, 't.tar'), '-C', dir, 'backup_manifest']);
  const catcher = new TarMember('backup_manifest');
  await pipeline(Readable.from([readFileSync(join(dir, 't.tar'))]), catcher);
  expect(catcher.contents?.toString()).toBe(manifest);
});
