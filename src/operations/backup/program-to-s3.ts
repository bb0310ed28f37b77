/**
 * The streamed pipeline of a backup object: a dump program's output (pg_dump, pg_dumpall, pg_basebackup), compressed (zstd, lz4, gzip or not),
 * encrypted, hashed and uploaded, with no temporary file and bounded memory. If the program
 * fails, the stream errors before the encryptor writes its final chunk, so the upload is
 * aborted and no complete-looking object is ever stored.
 */
import { pipeline, Transform, TransformCallback } from 'node:stream';
import { CompressionPolicy } from '../../infra/compression/compression';
import { compressor } from '../../infra/compression/streams';
import { PgwardenError } from '../../infra/errors/errors';
import { classifyDumpFailure } from '../../infra/postgres/dump-errors';
import { spawnStreaming } from '../../infra/process/spawn-stream';
import { Coalesce } from '../../infra/streams/coalesce';
import { Measure } from '../../infra/streams/measure';
import type { Bucket } from '../../infra/storage/bucket';
import type { UploadSpec } from '../../infra/storage/upload';
import { StoredObject } from './manifest';

/** The program's output is passed on in pieces of this size (see Coalesce). */
const COALESCE_BYTES = 256 * 1024;

type ExitResult = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** Holds the end of the stream until the program has exited, and fails it unless with status 0. */
class ExitGate extends Transform {
  constructor(
    private readonly exited: Promise<ExitResult>,
    private readonly program: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    this.exited.then(
      (r) => (r.code === 0 ? done() : done(classifyDumpFailure(this.program, r))),
      (err: Error) => done(err),
    );
  }
}

export interface ProgramToS3 {
  bucket: Bucket;
  program: string;
  programName: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Applied to the program's output before encryption (none: stored as it is). */
  compression: CompressionPolicy;
  encryptor: () => Transform;
  upload: Omit<UploadSpec, 'body' | 'signal'>;
  signal: AbortSignal;
  /** Called about once a second with raw (program output) and stored (uploaded) byte counts. */
  onProgress(rawBytes: number, storedBytes: number): void;
  /** Each line the program writes on stderr, as it comes (pg_basebackup's progress and WAL range). */
  onStderrLine?(line: string): void;
}

export async function streamProgramToS3(spec: ProgramToS3): Promise<StoredObject> {
  spec.signal.throwIfAborted();
  const proc = spawnStreaming(spec.program, spec.args, spec.env, spec.onStderrLine);
  const raw = new Measure();
  const stored = new Measure({ hash: true });
  let streamError: Error | undefined;
  const compress = compressor(spec.compression);
  pipeline(
    [
      proc.stdout,
      new Coalesce(COALESCE_BYTES),
      new ExitGate(proc.exited, spec.programName),
      raw,
      ...compress,
      spec.encryptor(),
      stored,
    ],
    (err) => {
      if (err) streamError = err;
    },
  );
  const body = stored;
  const onAbort = () => proc.kill();
  spec.signal.addEventListener('abort', onAbort, { once: true });
  const ticker = setInterval(() => spec.onProgress(raw.bytes, stored.bytes), 1000);
  try {
    await spec.bucket.upload({ ...spec.upload, body, signal: spec.signal });
  } catch (err) {
    proc.kill();
    // The stream's own failure (pg_dump, encryption) explains an upload failure best.
    throw streamError instanceof PgwardenError ? streamError : err;
  } finally {
    clearInterval(ticker);
    spec.signal.removeEventListener('abort', onAbort);
  }
  if (streamError) throw streamError;
  spec.onProgress(raw.bytes, stored.bytes);
  return { key: spec.upload.key, rawBytes: raw.bytes, storedBytes: stored.bytes, ...stored.digests() };
}
