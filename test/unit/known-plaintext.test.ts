/**
 * CBC objects carry no key id: the key is the one that turns the object's start into something
 * pgwarden stores. Every kind must be recognised, compressed or not (BACKUP_COMPRESSION=none
 * stored WAL and base backups no configured key would open before).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { openDecryption } from '../../src/infra/crypto/decrypt';
import { encryptorFor } from '../../src/infra/crypto/encryptor';
import { isKnownPlaintext } from '../../src/infra/crypto/known-plaintext';
import { Keyring } from '../../src/infra/crypto/keyring';

/** A WAL segment's first page header as PostgreSQL writes it: magic, info, timeline, page address. */
function walPage(magic: number, timeline: number): Buffer {
  const page = Buffer.alloc(8192);
  page.writeUInt16LE(magic, 0);
  page.writeUInt16LE(0x0007, 2); // XLP_FIRST_IS_CONTRECORD | XLP_LONG_HEADER | XLP_BKP_REMOVABLE
  page.writeUInt32LE(timeline, 4);
  return page;
}

function realTar(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-tar-'));
  try {
    writeFileSync(join(dir, 'backup_label'), 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n');
    execFileSync('tar', ['-cf', join(dir, 'base.tar'), '-C', dir, 'backup_label']);
    return readFileSync(join(dir, 'base.tar'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KINDS: Array<[string, Buffer]> = [
  ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00])],
  ['lz4', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40])],
  ['custom-format dump', Buffer.from('PGDMP\x01\x0f\x00')],
  ['plain SQL', Buffer.from('--\n-- PostgreSQL database dump\n--\n')],
  ['globals', Buffer.from('--\n-- PostgreSQL database cluster dump\n--\n')],
  ['uncompressed tar', realTar()],
  ['WAL segment, PostgreSQL 15', walPage(0xd110, 1)],
  ['WAL segment, PostgreSQL 18, timeline 3', walPage(0xd118, 3)],
  ['timeline history file', Buffer.from('1\t0/3000000\tno recovery target specified\n')],
  ['backup_manifest', Buffer.from('{ "PostgreSQL-Backup-Manifest-Version": 2,\n"System-Identifier": 7, "Files": [\n')],
];

describe('isKnownPlaintext', () => {
  it.each(KINDS)('%s', (_kind, plain) => expect(isKnownPlaintext(plain)).toBe(true));

  it('takes almost no random block for one (a wrong key is refused, not passed on)', () => {
    let taken = 0;
    for (let i = 0; i < 20000; i++) if (isKnownPlaintext(randomBytes(512))) taken++;
    expect(taken).toBe(0);
  });
});

describe('CBC objects of every kind decrypt with the key they were written with, and no other', () => {
  const keyring = (key: string) =>
    Keyring.from(
      loadConfig(
        {
          DATABASE_URL: 'postgres://u:p@h/db',
          BACKUP_S3_BUCKET: 'bucket',
          BACKUP_ENCRYPTION_KEY: key,
          BACKUP_ENCRYPTION_KEY_ID: 'k',
          ENCRYPTION_ALGORITHM: 'AES-256-CBC',
        },
        { require: WORKER_NEEDS },
      ).encryption,
    );
  const right = keyring(randomBytes(32).toString('hex'));
  const wrong = keyring(randomBytes(32).toString('hex'));

  it.each(KINDS)('%s', async (_kind, plain) => {
    const sealed = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const enc = encryptorFor(right).create();
      enc
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
      enc.end(plain);
    });
    const opened = await openDecryption(Readable.from([sealed]), { keyring: right });
    expect(opened.container).toBe('openssl-cbc');
    expect((await buffer(opened.plaintext)).equals(plain)).toBe(true);
    await expect(openDecryption(Readable.from([sealed]), { keyring: wrong })).rejects.toThrow(
      /none of the configured keys \(k\) decrypts this object/,
    );
  });
});
