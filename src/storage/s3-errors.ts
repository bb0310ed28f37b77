/**
 * Turns AWS SDK errors into StorageError lines a person can act on, naming the bucket and
 * endpoint (never credentials), and saying whether a retry may help.
 */
import { StorageError } from '../errors/errors';

export interface S3Context {
  bucket: string;
  endpoint?: string;
  operation: string;
}

export function storageError(err: unknown, ctx: S3Context): StorageError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const where = `bucket "${ctx.bucket}"${ctx.endpoint ? ` at ${ctx.endpoint}` : ''}`;
  const name = e.name ?? e.code ?? '';
  if (name === 'NoSuchBucket' || (name === 'NotFound' && ctx.operation === 'HeadBucket') || (status === 404 && ctx.operation === 'HeadBucket')) {
    return new StorageError(`${ctx.operation} failed: ${where} does not exist; create it or fix BACKUP_S3_BUCKET`);
  }
  if (status === 403 || name === 'AccessDenied' || name === 'Forbidden') {
    return new StorageError(`${ctx.operation} failed: access denied to ${where}; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy`);
  }
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return new StorageError(`${ctx.operation} failed: ${where} rejected the credentials (${name}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`);
  }
  const network = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'TimeoutError'].find((c) => (e.code ?? name) === c || e.message?.includes(c));
  if (network) {
    return new StorageError(`${ctx.operation} failed: cannot reach ${where} (${network}); check S3_ENDPOINT / network access`, { retryable: true });
  }
  const transient = status !== undefined && (status >= 500 || status === 429);
  return new StorageError(`${ctx.operation} failed on ${where}: ${name || 'error'}${e.message ? `: ${e.message.split('\n')[0]}` : ''}`, { retryable: transient || status === undefined });
}

type SdkError = { name?: string; $metadata?: { httpStatusCode?: number } };

/** The key (or bucket) does not exist. */
export function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  return e?.$metadata?.httpStatusCode === 404 || e?.name === 'NotFound' || e?.name === 'NoSuchKey';
}

/** An If-None-Match / If-Match condition failed: the object already exists (or changed). */
export function isPreconditionFailed(err: unknown): boolean {
  const e = err as SdkError;
  return e?.$metadata?.httpStatusCode === 412 || e?.name === 'PreconditionFailed';
}
