/**
 * PostgreSQL's backup_manifest kept from the tar pg_basebackup streams (it is the tar's last
 * member): the next incremental base backup is taken against it, so it is stored on its own.
 * The compressed stream is passed on unchanged; a copy is decompressed beside it and only the
 * manifest's bytes are kept.
 */
import { PassThrough, Transform, TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressionAlgorithm } from '../../infra/compression/compression';
import { decompressor } from '../../infra/compression/streams';
import { TarMember } from '../../infra/streams/tar-member';

/** Passes every chunk on and into `side`, as fast as the slower of the two takes them. */
class Tee extends Transform {
  failed: Error | undefined;
  constructor(private readonly side: Writable) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    if (this.failed) return done(this.failed);
    if (this.side.write(chunk)) done(null, chunk);
    else this.side.once('drain', () => done(this.failed ?? null, chunk));
  }
  override _flush(done: TransformCallback): void {
    this.side.end();
    done(this.failed ?? null);
  }
}

export function captureBackupManifest(compressed: CompressionAlgorithm): { tap: Transform; manifest(): Promise<Buffer> } {
  const side = new PassThrough({ highWaterMark: 1 << 20 });
  const member = new TarMember('backup_manifest');
  const tee = new Tee(side);
  const done = pipeline([side, ...decompressor(compressed), member]).catch((err: Error) => {
    tee.failed = new Error(`reading the backup_manifest from pg_basebackup's tar failed: ${err.message}`);
    side.emit('drain'); // a chunk waiting for room goes on, to fail
    throw tee.failed;
  });
  done.catch(() => undefined); // awaited by manifest(); the tee fails the upload meanwhile
  return {
    tap: tee,
    async manifest() {
      await done;
      const text = member.contents;
      if (!text?.length) throw new Error("pg_basebackup's tar held no backup_manifest");
      return text;
    },
  };
}
