/** A pass-through that counts bytes and, optionally, hashes them (SHA-256 and MD5) on the way. */
import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

export class Measure extends Transform {
  bytes = 0;
  private readonly sha256?: Hash;
  private readonly md5?: Hash;

  /** `md5: false`: SHA-256 alone (MD5 costs more CPU than SHA-256 and adds nothing to it when checking). */
  constructor(options: { hash?: boolean; md5?: boolean } = {}) {
    super();
    if (options.hash) {
      this.sha256 = createHash('sha256');
      if (options.md5 !== false) this.md5 = createHash('md5');
    }
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.add(chunk);
    done(null, chunk);
  }

  /** Counts (and hashes) bytes that did not pass through this stream. */
  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.sha256?.update(chunk);
    this.md5?.update(chunk);
  }

  /** Hex digests; call once, after the stream has ended. */
  digests(): { sha256: string; md5: string } {
    if (!this.sha256 || !this.md5) throw new Error('this Measure does not hash with MD5');
    return { sha256: this.sha256.digest('hex'), md5: this.md5.digest('hex') };
  }

  /** Hex SHA-256; call once, after the stream has ended. */
  sha256Digest(): string {
    if (!this.sha256) throw new Error('this Measure does not hash');
    return this.sha256.digest('hex');
  }
}
