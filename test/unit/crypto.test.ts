/**
 * The encrypted containers, tested the way restic tests its checker: by breaking things.
 * OpenSSL interoperability is checked against the real `openssl` command.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { openDecryption } from '../../src/infra/crypto/decrypt';
import { decodeHeader, encodeHeader } from '../../src/infra/crypto/gcm-format';
import { GcmEncryptStream } from '../../src/infra/crypto/gcm-stream';
import { Keyring } from '../../src/infra/crypto/keyring';
import { CbcEncryptStream } from '../../src/infra/crypto/openssl-cbc';
import { EncryptionError } from '../../src/infra/errors/errors';

const KEY1 = randomBytes(32).toString('hex');
const KEY2 = randomBytes(32).toString('hex');

function keyring(env: Record<string, string>): Keyring {
  return Keyring.from(
    loadConfig({ DATABASE_URL: 'postgres://u:p@h/db', BACKUP_S3_BUCKET: 'bucket', ...env }, { require: WORKER_NEEDS }).encryption,
  );
}
const gcmRing = keyring({
  BACKUP_ENCRYPTION_KEY: KEY1,
  BACKUP_ENCRYPTION_KEY_ID: 'new',
  BACKUP_ENCRYPTION_PREVIOUS_KEYS: `old:${KEY2}`,
});

/** Feeds `data` in uneven pieces, as a network stream would. */
function source(data: Buffer, piece = 7777): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece);
    })(),
  );
}

async function gcmEncrypt(plain: Buffer, keyId = 'new', key = Buffer.from(KEY1, 'hex'), chunkSize = 4096): Promise<Buffer> {
  return buffer(source(plain).pipe(new GcmEncryptStream({ key, keyId, chunkSize })));
}

async function decrypt(stored: Buffer, ring = gcmRing, keyId?: string): Promise<Buffer> {
  const d = await openDecryption(source(stored, 5000), { keyring: ring, keyId });
  return buffer(d.plaintext);
}

describe('pgwarden-gcm-v1 container', () => {
  it('writes the documented header', () => {
    const h = encodeHeader({ chunkSize: 1 << 20, noncePrefix: Buffer.from('01020304050607', 'hex'), keyId: 'k-1' });
    expect(h.toString('hex')).toBe('50475745 4e43 01 01 00100000 01020304050607 03 6b2d31'.replace(/ /g, ''));
    expect(decodeHeader(h)).toEqual({
      header: { chunkSize: 1 << 20, noncePrefix: Buffer.from('01020304050607', 'hex'), keyId: 'k-1' },
      length: 23,
    });
  });

  it.each([0, 1, 4095, 4096, 4097, 3 * 4096, 100_003])('round-trips %i bytes', async (size) => {
    const plain = randomBytes(size);
    const stored = await gcmEncrypt(plain);
    expect(stored.length).toBe(23 + size + 16 * Math.max(1, Math.ceil(size / 4096)));
    expect(await decrypt(stored)).toEqual(plain);
  });

  it('decrypts with a previous key named in the header', async () => {
    const plain = randomBytes(10_000);
    expect(await decrypt(await gcmEncrypt(plain, 'old', Buffer.from(KEY2, 'hex')))).toEqual(plain);
  });

  const plain = randomBytes(5 * 4096 + 123);
  const chunk = (i: number) => 23 + i * (4096 + 16);

  it('detects every flipped bit position class: header, ciphertext, tag', async () => {
    const stored = await gcmEncrypt(plain);
    for (const at of [0, 10, 15, 22, chunk(0) + 5, chunk(2) + 100, chunk(3) - 1, stored.length - 1, stored.length - 20]) {
      const broken = Buffer.from(stored);
      broken[at] ^= 0x01;
      await expect(decrypt(broken)).rejects.toBeInstanceOf(EncryptionError);
    }
  });

  it('detects truncation inside a chunk and at a chunk boundary', async () => {
    const stored = await gcmEncrypt(plain);
    await expect(decrypt(stored.subarray(0, stored.length - 1))).rejects.toThrow(/failed authentication/);
    await expect(decrypt(stored.subarray(0, chunk(3)))).rejects.toThrow(/truncated: chunk 2 is not the final chunk/);
    await expect(decrypt(stored.subarray(0, 10))).rejects.toThrow(/truncated: it ends inside the container header/);
  });

  it('detects reordered and duplicated chunks, and trailing data', async () => {
    const stored = await gcmEncrypt(plain);
    const c = (i: number) => stored.subarray(chunk(i), chunk(i + 1));
    const swapped = Buffer.concat([stored.subarray(0, chunk(0)), c(1), c(0), stored.subarray(chunk(2))]);
    await expect(decrypt(swapped)).rejects.toThrow(/chunk 0 failed authentication/);
    const duplicated = Buffer.concat([stored.subarray(0, chunk(2)), c(1), stored.subarray(chunk(2))]);
    await expect(decrypt(duplicated)).rejects.toThrow(EncryptionError);
    await expect(decrypt(Buffer.concat([stored, Buffer.from('x')]))).rejects.toThrow(EncryptionError);
  });

  it('never releases plaintext of a chunk that fails', async () => {
    const stored = await gcmEncrypt(plain);
    const broken = Buffer.from(stored);
    broken[chunk(2) + 7] ^= 0x80;
    const d = await openDecryption(source(broken), { keyring: gcmRing });
    const received: Buffer[] = [];
    d.plaintext.on('data', (part: Buffer) => received.push(part));
    const error = await new Promise<Error>((resolve) => d.plaintext.once('error', resolve));
    expect(error.message).toMatch(/chunk 2 failed authentication/);
    expect(Buffer.concat(received)).toEqual(plain.subarray(0, 2 * 4096));
  });

  it('names the key id when the key is wrong or missing', async () => {
    const stored = await gcmEncrypt(plain);
    const wrongValue = keyring({ BACKUP_ENCRYPTION_KEY: KEY2, BACKUP_ENCRYPTION_KEY_ID: 'new' });
    await expect(decrypt(stored, wrongValue)).rejects.toThrow(
      'chunk 0 failed authentication with key "new": the key is wrong for this id, or the object is corrupt',
    );
    const missing = keyring({ BACKUP_ENCRYPTION_KEY: KEY2, BACKUP_ENCRYPTION_KEY_ID: 'other' });
    await expect(decrypt(stored, missing)).rejects.toThrow(
      'key "new" is not configured on this worker (configured: other); add it to BACKUP_ENCRYPTION_PREVIOUS_KEYS as new:<key>',
    );
  });
});

describe('OpenSSL-compatible AES-256-CBC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-cbc-'));
  const passphrase = 'the old scripts used a passphrase';
  const cbcRing = keyring({
    ENCRYPTION_ALGORITHM: 'AES-256-CBC',
    BACKUP_ENCRYPTION_KEY: passphrase,
    BACKUP_ENCRYPTION_KEY_ID: 'legacy',
  });
  const gz = gzipSync(randomBytes(50_000));

  it('writes what `openssl enc -d -aes-256-cbc -pbkdf2` decrypts (the README command)', async () => {
    const stored = await buffer(source(gz).pipe(new CbcEncryptStream(passphrase)));
    writeFileSync(join(dir, 'ours.enc'), stored);
    const out = execFileSync(
      'openssl',
      [
        'enc',
        '-d',
        '-aes-256-cbc',
        '-pbkdf2',
        '-iter',
        '10000',
        '-md',
        'sha256',
        '-pass',
        'env:BACKUP_ENCRYPTION_KEY',
        '-in',
        join(dir, 'ours.enc'),
      ],
      {
        env: { ...process.env, BACKUP_ENCRYPTION_KEY: passphrase },
      },
    );
    expect(out).toEqual(gz);
    expect(await decrypt(stored, cbcRing, 'legacy')).toEqual(gz);
  });

  it.each([
    ['-salt (OpenSSL 3 default digest)', ['-md', 'sha256']],
    ['-salt -md md5 (OpenSSL 1.0 scripts)', ['-md', 'md5']],
    ['-salt -pbkdf2', ['-pbkdf2']],
  ])('reads backups of the old `pg_dump | gzip | openssl enc -aes-256-cbc %s`', async (_name, flags) => {
    writeFileSync(join(dir, 'plain.gz'), gz);
    execFileSync(
      'openssl',
      ['enc', '-aes-256-cbc', '-salt', ...flags, '-k', passphrase, '-in', join(dir, 'plain.gz'), '-out', join(dir, 'old.enc')],
      { stdio: 'ignore' },
    );
    const stored = readFileSync(join(dir, 'old.enc'));
    const d = await openDecryption(source(stored), { keyring: cbcRing });
    expect(d.keyId).toBe('legacy');
    expect(await buffer(d.plaintext)).toEqual(gz);
  });

  it('reports a wrong key instead of producing garbage', async () => {
    const stored = await buffer(source(gz).pipe(new CbcEncryptStream('another passphrase')));
    await expect(decrypt(stored, cbcRing)).rejects.toThrow(
      'none of the configured keys (legacy) decrypts this object; add the key it was written with to BACKUP_ENCRYPTION_PREVIOUS_KEYS',
    );
    await expect(decrypt(stored, cbcRing, 'legacy')).rejects.toThrow('key "legacy" does not decrypt this object');
  });

  it('rejects data that is neither container', async () => {
    await expect(decrypt(gz)).rejects.toThrow(/not an encrypted backup/);
  });
});
