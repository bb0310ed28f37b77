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
  const failure = describeStorageFailure(err, ctx);
  return new StorageError(failure.message, { retryable: failure.retryable, cause: err });
}

/** The store's own error code behind a failure (e.g. AccessDenied), for per-key reports. */
export function storeErrorCode(err: unknown): string {
  const inner = (err instanceof StorageError ? err.cause : err) as { name?: string; Code?: string } | undefined;
  return inner?.Code ?? inner?.name ?? 'Error';
}

/** What to change for the store's refusals that are not a policy's: the key, the secret, the clock, a token. */
const CREDENTIAL_REFUSALS: Record<string, string> = {
  InvalidAccessKeyId: 'the store knows no such access key; check AWS_ACCESS_KEY_ID',
  SignatureDoesNotMatch: 'the secret does not match the access key; check AWS_SECRET_ACCESS_KEY',
  RequestTimeTooSkewed:
    "this worker's clock is more than 15 minutes off the store's, and signed requests carry the time; set the clock right (timedatectl set-ntp true, or the host's time service)",
  ExpiredToken:
    'the temporary credentials have expired; renew AWS_SESSION_TOKEN with its key pair, or use credentials that renew themselves (an instance or task role)',
  InvalidToken: 'the session token is not valid for these credentials; check AWS_SESSION_TOKEN',
};

function describeStorageFailure(err: unknown, ctx: S3Context): { message: string; retryable?: boolean } {
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const status = e.$metadata?.httpStatusCode;
  const where = `bucket "${ctx.bucket}"${ctx.endpoint ? ` at ${ctx.endpoint}` : ''}`;
  const name = e.name ?? e.code ?? '';
  // S3 services (AWS, MinIO, SeaweedFS, Ceph) give every answer a request id; a web server or
  // proxy at a wrong S3_ENDPOINT answers a bare 404, which is not a missing bucket.
  if (status === 404 && ctx.operation === 'HeadBucket' && ctx.endpoint && !e.$metadata?.requestId) {
    return {
      message: `${ctx.operation} failed: ${ctx.endpoint} answered 404 without an S3 request id, so it may not be an S3 service; check S3_ENDPOINT, then that bucket "${ctx.bucket}" exists`,
    };
  }
  if (
    name === 'NoSuchBucket' ||
    (name === 'NotFound' && ctx.operation === 'HeadBucket') ||
    (status === 404 && ctx.operation === 'HeadBucket')
  ) {
    return { message: `${ctx.operation} failed: ${where} does not exist; create it or fix BACKUP_S3_BUCKET` };
  }
  // S3 answers 403 for an object in GLACIER or DEEP_ARCHIVE too: not a matter of credentials.
  // (pgwarden's restores ask for the retrieval themselves; by hand it is the operator's step.)
  if (name === 'InvalidObjectState') {
    const key = ctx.operation.replace(/^\S+ /, '');
    return {
      message: `${ctx.operation} failed: the object is in an archive storage class (GLACIER or DEEP_ARCHIVE) in ${where}; bring it back first (aws s3api restore-object --bucket ${ctx.bucket} --key ${key} --restore-request Days=2: hours from GLACIER, up to 48 from DEEP_ARCHIVE), then try again`,
    };
  }
  // These come as 403 too, each with its own fix: before the plain access denied.
  const refusal = CREDENTIAL_REFUSALS[name];
  if (refusal) return { message: `${ctx.operation} failed: ${where} refused the request (${name}): ${refusal}` };
  if (status === 403 || name === 'AccessDenied' || name === 'Forbidden') {
    return {
      message: `${ctx.operation} failed: access denied to ${where}; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy`,
    };
  }
  const network = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'TimeoutError'].find(
    (c) => (e.code ?? name) === c || e.message?.includes(c),
  );
  if (network) {
    return {
      message: `${ctx.operation} failed: cannot reach ${where} (${network}); check S3_ENDPOINT / network access`,
      retryable: true,
    };
  }
  const transient = status !== undefined && (status >= 500 || status === 429);
  return {
    message: `${ctx.operation} failed on ${where}: ${name || 'error'}${e.message ? `: ${e.message.split('\n')[0]}` : ''}`,
    retryable: transient || status === undefined,
  };
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

export interface DeleteFailure {
  key: string;
  /** The store's error code for this key, e.g. AccessDenied. */
  code: string;
}

const DELETE_HINTS: Record<string, string> = {
  AccessDenied: 'the S3 credentials (AWS_ACCESS_KEY_ID) may not delete objects here: allow s3:DeleteObject on the bucket',
};

/**
 * One line for the objects a cleanup could not delete: how many, which error codes, one
 * example key, and what to do. Pure.
 */
export function deleteFailuresMessage(failures: DeleteFailure[], backupsDeleted: number): string {
  const byCode = new Map<string, number>();
  for (const f of failures) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
  const codes = [...byCode].map(([code, n]) => (n > 1 ? `${code} x${n}` : code)).join(', ');
  const hints = [...byCode.keys()].map((code) => DELETE_HINTS[code]).filter(Boolean);
  const todo = hints.length
    ? `${hints.join('; ')}, then run pgwarden cleanup again`
    : 'run pgwarden cleanup again; if it fails the same way, check the S3 store';
  return `deleted ${backupsDeleted} backup(s) but could not delete ${failures.length} object(s) (${codes}; e.g. ${failures[0].key}): ${todo}`;
}
