/**
 * Joins small chunks into pieces of at least `size` bytes. pg_dump writes about 4 KiB at a time,
 * so its output arrives in thousands of small chunks, and each one costs every later stage
 * (encryption, hashing, the upload's chunker) a call and a buffer; joined, they cost one copy.
 * Memory stays below `size` plus one incoming chunk.
 */
import { Transform, TransformCallback } from 'node:stream';

export class Coalesce extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly size: number) {
    super();
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= this.size) this.release();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.heldBytes > 0) this.release();
    done();
  }

  private release(): void {
    this.push(this.held.length === 1 ? this.held[0] : Buffer.concat(this.held, this.heldBytes));
    this.held = [];
    this.heldBytes = 0;
  }
}
