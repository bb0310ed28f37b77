/**
 * Streaming encryption and decryption in the pgwarden-gcm-v1 container (docs/FORMAT.md,
 * section 2). Memory stays at about two chunks whatever the object size. The decryptor
 * releases a chunk only after its tag verifies, and fails on any truncation, reordering,
 * tampering or trailing data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { EncryptionError } from '../errors/errors';
import { ByteQueue } from './byte-queue';
import {
  chunkNonce,
  decodeHeader,
  DEFAULT_CHUNK_SIZE,
  encodeHeader,
  GCM_NONCE_PREFIX_BYTES,
  GCM_TAG_BYTES,
  GcmHeader,
} from './gcm-format';

export interface GcmEncryptOptions {
  key: Buffer;
  keyId: string;
  chunkSize?: number;
}

export class GcmEncryptStream extends Transform {
  private readonly header: Buffer;
  private readonly prefix: Buffer;
  private readonly chunkSize: number;
  private readonly pending = new ByteQueue();
  private index = 0;

  constructor(private readonly options: GcmEncryptOptions) {
    super();
    if (options.key.length !== 32) throw new EncryptionError('AES-256-GCM needs a 32-byte key');
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.prefix = randomBytes(GCM_NONCE_PREFIX_BYTES);
    this.header = encodeHeader({ chunkSize: this.chunkSize, noncePrefix: this.prefix, keyId: options.keyId });
    this.push(this.header);
  }

  /** Encrypts one chunk, given as the pieces it arrived in: no copy of the plaintext is made. */
  private seal(plaintext: Buffer[], final: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.options.key, chunkNonce(this.prefix, this.index++, final), {
      authTagLength: GCM_TAG_BYTES,
    });
    cipher.setAAD(this.header);
    for (const piece of plaintext) this.push(cipher.update(piece));
    cipher.final();
    this.push(cipher.getAuthTag());
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.pending.push(chunk);
      // Hold back a full chunk until more data proves it is not the last one.
      while (this.pending.length > this.chunkSize) this.seal(this.pending.takeViews(this.chunkSize), false);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.seal(this.pending.takeViews(this.pending.length), true);
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}

export class GcmDecryptStream extends Transform {
  private readonly pending = new ByteQueue();
  private header?: GcmHeader;
  private headerBytes?: Buffer;
  private key?: Buffer;
  private index = 0;
  private finished = false;

  /** `keyFor` returns the 32-byte key for a key id, or throws an EncryptionError naming it. */
  constructor(private readonly keyFor: (keyId: string) => Buffer) {
    super();
  }

  /** The key id the object was written with, once the header has been read. */
  get keyId(): string | undefined {
    return this.header?.keyId;
  }

  private open(sealed: Buffer, final: boolean): Buffer {
    const h = this.header!;
    const decipher = createDecipheriv('aes-256-gcm', this.key!, chunkNonce(h.noncePrefix, this.index, final), {
      authTagLength: GCM_TAG_BYTES,
    });
    decipher.setAAD(this.headerBytes!);
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
    const plain = decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES));
    try {
      decipher.final();
    } catch {
      const where = `chunk ${this.index}${final ? ' (the last)' : ''}`;
      if (this.index === 0) {
        throw new EncryptionError(
          `${where} failed authentication with key "${h.keyId}": the key is wrong for this id, or the object is corrupt`,
        );
      }
      throw new EncryptionError(`${where} failed authentication: the object is corrupt, truncated or was tampered with`);
    }
    this.index++;
    return plain;
  }

  private verifiesAsNonFinal(sealed: Buffer): boolean {
    try {
      this.open(sealed, false);
      return true;
    } catch {
      return false;
    }
  }

  private readHeader(): boolean {
    const parsed = decodeHeader(this.pending.peek(84));
    if (!parsed) return false;
    this.headerBytes = this.pending.take(parsed.length);
    this.header = parsed.header;
    this.key = this.keyFor(parsed.header.keyId);
    return true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.finished) throw new EncryptionError('unexpected bytes after the final chunk: the object was tampered with');
      this.pending.push(chunk);
      if (!this.header && !this.readHeader()) return done();
      const sealedSize = this.header!.chunkSize + GCM_TAG_BYTES;
      // Only a chunk followed by more bytes is known not to be the last.
      while (this.pending.length > sealedSize) this.push(this.open(this.pending.take(sealedSize), false));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.header) throw new EncryptionError('the object is truncated: it ends inside the container header');
      if (this.pending.length < GCM_TAG_BYTES) {
        throw new EncryptionError(`the object is truncated: it ends after chunk ${this.index - 1} without the final chunk`);
      }
      const last = this.pending.take(this.pending.length);
      let plain: Buffer;
      try {
        plain = this.open(last, true);
      } catch (err) {
        // A full chunk that verifies as non-final means the object was cut at a chunk boundary.
        const index = this.index;
        if (last.length === this.header.chunkSize + GCM_TAG_BYTES && this.verifiesAsNonFinal(last)) {
          throw new EncryptionError(
            `the object is truncated: chunk ${index} is not the final chunk, so the chunks after it are missing`,
          );
        }
        throw err;
      }
      this.push(plain);
      this.finished = true;
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}
