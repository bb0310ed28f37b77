/**
 * One member of a tar stream, kept as the stream passes: pg_basebackup writing to stdout puts
 * PostgreSQL's backup_manifest inside the tar, and an incremental base backup needs the one
 * before it as a file. Reads ustar headers only (names, sizes, also base-256 ones over 8 GiB)
 * and skips every other member's bytes; nothing is buffered but the member asked for.
 */
import { Writable } from 'node:stream';

const BLOCK = 512;

/** A header's size field: octal digits, or base-256 when its first byte has the high bit set. */
export function tarSize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if (field[0] & 0x80) {
    let n = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const text = field.toString('ascii').replace(/\0.*$/, '').trim();
  return text ? parseInt(text, 8) : 0;
}

/** A header's path: the ustar prefix (when there is one) and the name. */
export function tarPath(header: Buffer): string {
  const field = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
  const name = field(0, 100);
  const prefix = header.subarray(257, 262).toString('ascii') === 'ustar' ? field(345, 500) : '';
  return prefix ? `${prefix}/${name}` : name;
}

export class TarMember extends Writable {
  private header = Buffer.alloc(0);
  /** Bytes of the current member's data (then padding) still to pass. */
  private dataLeft = 0;
  private paddingLeft = 0;
  private keeping = false;
  private kept: Buffer[] = [];
  private found = false;
  private ended = false;

  constructor(private readonly path: string) {
    super();
  }

  /** The member's bytes once the stream has finished (undefined: not in it). */
  get contents(): Buffer | undefined {
    return this.found ? Buffer.concat(this.kept) : undefined;
  }

  override _write(chunk: Buffer, _e: BufferEncoding, done: (err?: Error | null) => void): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - at);
        if (this.keeping) this.kept.push(Buffer.from(chunk.subarray(at, at + n)));
        this.dataLeft -= n;
        at += n;
        if (this.dataLeft === 0) this.keeping = false;
        continue;
      }
      if (this.paddingLeft > 0) {
        const n = Math.min(this.paddingLeft, chunk.length - at);
        this.paddingLeft -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.header.length, chunk.length - at);
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + n)]);
      at += n;
      if (this.header.length < BLOCK) continue;
      const header = this.header;
      this.header = Buffer.alloc(0);
      // Two zero blocks end the archive; what follows (padding to a record) is not read.
      if (header.every((b) => b === 0)) {
        this.ended = true;
        break;
      }
      const size = tarSize(header);
      const type = String.fromCharCode(header[156]);
      this.dataLeft = size;
      this.paddingLeft = (BLOCK - (size % BLOCK)) % BLOCK;
      // A regular file of that path; a later one of the same path replaces an earlier (as tar -x would).
      if ((type === '0' || type === '\0') && tarPath(header) === this.path) {
        this.keeping = size > 0;
        this.kept = [];
        this.found = true;
      }
    }
    done();
  }
}
