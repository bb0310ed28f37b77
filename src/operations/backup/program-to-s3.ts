/**
 * The streamed pipeline of a backup object: a dump program's output (pg_dump, pg_dumpall, pg_basebackup), compressed (zstd, lz4, gzip or not),
 * encrypted, hashed and uploaded, with no temporary file and bounded memory. If the program
 * fails, the stream errors before the encryptor writes its final chunk, so the upload is
 * aborted and no complete-looking object is ever stored. A file a program finished (the tars
 * pg_basebackup writes to a folder) goes the same way.
 */
import { createReadStream } from 'node:fs';
import { pipeline, Readable, Transform, TransformCallback } from 'node:stream';
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
export class ExitGate extends Transform {
  constructor(
    /** The exit, or how to learn it when the stream ends. */
    private readonly exited: Promise<ExitResult> | (() => Promise<ExitResult>),
    private readonly program: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    (typeof this.exited === 'function' ? this.exited() : this.exited).then(
      (r) => (r.code === 0 ? done() : done(classifyDumpFailure(this.program, r))),
      (err: Error) => done(err),
    );
  }
}

/** Where and how one object is stored: everything but its source. */
export interface SealedUpload {
  bucket: Bucket;
  /** Applied to the source before encryption (none: stored as it is). */
  compression: CompressionPolicy;
  encryptor: () => Transform;
  upload: Omit<UploadSpec, 'body' | 'signal'>;
  signal: AbortSignal;
  /** Called about once a second with raw (source) and stored (uploaded) byte counts. */
  onProgress(rawBytes: number, storedBytes: number): void;
}

export interface ProgramToS3 extends SealedUpload {
  program: string;
  programName: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Each line the program writes on stderr, as it comes (pg_basebackup's progress and WAL range). */
  onStderrLine?(line: string): void;
}

export async function streamProgramToS3(spec: ProgramToS3): Promise<StoredObject> {
  spec.signal.throwIfAborted();
  const proc = spawnStreaming(spec.program, spec.args, spec.env, spec.onStderrLine);
  return sealAndUpload([proc.stdout, new Coalesce(COALESCE_BYTES), new ExitGate(proc.exited, spec.programName)], spec, () =>
    proc.kill(),
  );
}

/** A finished file, read once from disk. */
export async function streamFileToS3(path: string, spec: SealedUpload): Promise<StoredObject> {
  spec.signal.throwIfAborted();
  return streamToS3([createReadStream(path, { highWaterMark: COALESCE_BYTES })], spec);
}

/** A stream (a file still being written) compressed as asked, encrypted and uploaded. */
export async function streamToS3(source: [Readable, ...Transform[]], spec: SealedUpload): Promise<StoredObject> {
  spec.signal.throwIfAborted();
  return sealAndUpload(source, spec, () => source[0].destroy());
}

async function sealAndUpload(
  source: [Readable, ...Transform[]],
  spec: SealedUpload,
  stopSource: () => void,
): Promise<StoredObject> {
  const raw = new Measure();
  const stored = new Measure({ hash: true });
  let streamError: Error | undefined;
  pipeline([...source, raw, ...compressor(spec.compression), spec.encryptor(), stored], (err) => {
    if (err) streamError = err;
  });
  spec.signal.addEventListener('abort', stopSource, { once: true });
  const ticker = setInterval(() => spec.onProgress(raw.bytes, stored.bytes), 1000);
  try {
    await spec.bucket.upload({ ...spec.upload, body: stored, signal: spec.signal });
  } catch (err) {
    stopSource();
    // The stream's own failure (pg_dump, encryption) explains an upload failure best.
    throw streamError instanceof PgwardenError ? streamError : err;
  } finally {
    clearInterval(ticker);
    spec.signal.removeEventListener('abort', stopSource);
  }
  if (streamError) throw streamError;
  spec.onProgress(raw.bytes, stored.bytes);
  return { key: spec.upload.key, rawBytes: raw.bytes, storedBytes: stored.bytes, ...stored.digests() };
}
