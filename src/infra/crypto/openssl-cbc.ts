/**
 * OpenSSL-compatible AES-256-CBC (docs/FORMAT.md, section 3): "Salted__" || salt ||
 * ciphertext, key and IV from the passphrase. pgwarden writes PBKDF2-HMAC-SHA256 with 10000
 * iterations (`openssl enc -aes-256-cbc -pbkdf2`); for the strategy's old scripts it also
 * reads OpenSSL's legacy EVP_BytesToKey derivation (MD5 or SHA-256, one iteration).
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

export const SALTED_MAGIC = Buffer.from('Salted__', 'ascii');
export const CBC_HEADER_BYTES = 16;
export const PBKDF2_ITERATIONS = 10_000;

export type CbcKdf = 'pbkdf2-sha256-10000' | 'evp-sha256' | 'evp-md5';
export const LEGACY_KDFS: CbcKdf[] = ['pbkdf2-sha256-10000', 'evp-sha256', 'evp-md5'];

export interface CbcKeyIv {
  key: Buffer;
  iv: Buffer;
}

/** OpenSSL's EVP_BytesToKey with count 1: D_i = H(D_{i-1} || pass || salt). */
function evpBytesToKey(passphrase: Buffer, salt: Buffer, hash: 'md5' | 'sha256'): CbcKeyIv {
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let total = 0;
  while (total < 48) {
    prev = createHash(hash)
      .update(Buffer.concat([prev, passphrase, salt]))
      .digest();
    out.push(prev);
    total += prev.length;
  }
  const all = Buffer.concat(out);
  return { key: all.subarray(0, 32), iv: all.subarray(32, 48) };
}

export function deriveCbcKey(passphrase: string, salt: Buffer, kdf: CbcKdf): CbcKeyIv {
  const pass = Buffer.from(passphrase, 'utf8');
  if (kdf === 'pbkdf2-sha256-10000') {
    const both = pbkdf2Sync(pass, salt, PBKDF2_ITERATIONS, 48, 'sha256');
    return { key: both.subarray(0, 32), iv: both.subarray(32, 48) };
  }
  return evpBytesToKey(pass, salt, kdf === 'evp-md5' ? 'md5' : 'sha256');
}

export function startsWithSalted(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.subarray(0, 8).equals(SALTED_MAGIC);
}

/** Decrypts the whole 16-byte blocks of `ciphertext` without padding checks: used to test a candidate key. */
export function decryptLeadingBlocks(ciphertext: Buffer, k: CbcKeyIv): Buffer {
  const d = createDecipheriv('aes-256-cbc', k.key, k.iv);
  d.setAutoPadding(false);
  return d.update(ciphertext.subarray(0, ciphertext.length - (ciphertext.length % 16)));
}

/** Encrypts as `openssl enc -aes-256-cbc -pbkdf2 -iter 10000 -md sha256` does. */
export class CbcEncryptStream extends Transform {
  private readonly cipher;
  constructor(passphrase: string) {
    super();
    const salt = randomBytes(8);
    const { key, iv } = deriveCbcKey(passphrase, salt, 'pbkdf2-sha256-10000');
    this.cipher = createCipheriv('aes-256-cbc', key, iv);
    this.push(Buffer.concat([SALTED_MAGIC, salt]));
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    done(null, this.cipher.update(chunk));
  }
  override _flush(done: TransformCallback): void {
    done(null, this.cipher.final());
  }
}

/** Decrypts ciphertext that follows a Salted__ header, with an already chosen key and IV. */
export class CbcDecryptStream extends Transform {
  private readonly decipher;
  constructor(
    k: CbcKeyIv,
    private readonly onBadPadding: () => Error,
  ) {
    super();
    this.decipher = createDecipheriv('aes-256-cbc', k.key, k.iv);
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    done(null, this.decipher.update(chunk));
  }
  override _flush(done: TransformCallback): void {
    try {
      done(null, this.decipher.final());
    } catch {
      done(this.onBadPadding());
    }
  }
}
