/**
 * A stored object is only trusted when it is exactly what its manifest recorded: size and
 * SHA-256 of the stored (encrypted) bytes (and MD5 where the whole object is checked on its
 * own). An object that merely decrypts may be another backup's object put in its place, so
 * restores check the size and SHA-256 while streaming.
 */
import { Transform, TransformCallback } from 'node:stream';
import { IntegrityError } from '../../infra/errors/errors';
import { Measure } from '../../infra/streams/measure';
import type { StoredObject } from '../backup/manifest';

export type ExpectedObject = Pick<StoredObject, 'key' | 'storedBytes' | 'sha256' | 'md5'>;

export interface MeasuredObject {
  bytes: number;
  sha256: string;
  /** Left out by checks that stream a restore: SHA-256 and the size decide alone there. */
  md5?: string;
}

/** The differences between what the manifest recorded and what was read, one phrase each. Pure. */
export function objectMismatches(expected: ExpectedObject, found: MeasuredObject): string[] {
  const problems: string[] = [];
  if (found.bytes !== expected.storedBytes) problems.push(`expected ${expected.storedBytes} bytes, found ${found.bytes}`);
  if (found.sha256 !== expected.sha256) problems.push(`expected sha256 ${expected.sha256}, computed ${found.sha256}`);
  if (found.md5 !== undefined && found.md5 !== expected.md5) problems.push(`expected md5 ${expected.md5}, computed ${found.md5}`);
  return problems;
}

/** The one line a restore refuses a mismatching object with. */
export function integrityMessage(where: string, problems: string[]): string {
  return `${where} does not match its manifest (${problems.join('; ')}): it was replaced or damaged after the backup; restore another backup (pgwarden restore --list) and run pgwarden verify on this one`;
}

/**
 * A pass-through over the stored bytes that fails the stream at its end when they are not
 * the manifest's, so whatever consumes it (pg_restore's file, psql) never completes on them.
 */
export class IntegrityCheck extends Transform {
  // SHA-256 and the size: MD5 would add CPU on the restore's critical path and no certainty.
  private readonly measure = new Measure({ hash: true, md5: false });

  constructor(
    private readonly expected: ExpectedObject,
    private readonly where: string,
  ) {
    super();
  }

  get bytes(): number {
    return this.measure.bytes;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.measure.add(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const problems = objectMismatches(this.expected, { bytes: this.measure.bytes, sha256: this.measure.sha256Digest() });
    done(problems.length ? new IntegrityError(integrityMessage(this.where, problems)) : null);
  }
}
