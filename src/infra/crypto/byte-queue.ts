/** A FIFO of byte chunks that hands out exact-size pieces without re-copying the whole buffer. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0; // offset into chunks[0]
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Removes and returns the first n bytes (n <= length), as one new buffer. */
  take(n: number): Buffer {
    return Buffer.concat(this.takeViews(n), n);
  }

  /** Removes the first n bytes (n <= length) and returns them as views of the queued chunks, not copies. */
  takeViews(n: number): Buffer[] {
    if (n > this.length) throw new RangeError(`take(${n}) with only ${this.length} bytes queued`);
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const first = this.chunks[0];
      const part = first.subarray(this.head, this.head + Math.min(first.length - this.head, left));
      out.push(part);
      left -= part.length;
      this.head += part.length;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= n;
    return out;
  }

  /** The first n bytes without removing them. */
  peek(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = Math.min(n, this.length);
    for (let i = 0; need > 0; i++) {
      const start = i === 0 ? this.head : 0;
      const part = this.chunks[i].subarray(start, start + need);
      parts.push(part);
      need -= part.length;
    }
    return Buffer.concat(parts);
  }
}
