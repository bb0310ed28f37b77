/**
 * Streams a body to one S3 key with everything pgwarden's data objects need: multipart in
 * bounded memory, a SHA-256 checksum per part that the store verifies, server-side
 * encryption, storage class, tags, optional Object Lock, and `If-None-Match: *` so an
 * existing object is never overwritten. A failed or aborted upload aborts its multipart.
 * Tags go with the upload itself (`x-amz-tagging`), so an object never exists untagged and
 * no extra request follows the upload.
 */
import { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { StorageConfig } from '../config/storage';
import { StorageError } from '../errors/errors';
import { isPreconditionFailed, storageError } from './s3-errors';

export const PART_SIZE = 8 * 1024 * 1024;
export const PARTS_IN_FLIGHT = 2;

export interface UploadSpec {
  key: string;
  body: Readable | Buffer | string;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  storageClass?: string;
  contentType?: string;
  objectLockUntil?: Date;
  signal?: AbortSignal;
}

/** Server-side encryption request parameters for the configured mode (none adds nothing). */
export function sseParams(storage: StorageConfig): Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId'> {
  if (storage.serverSideEncryption === 'none') return {};
  return {
    ServerSideEncryption: storage.serverSideEncryption,
    ...(storage.serverSideEncryption === 'aws:kms' ? { SSEKMSKeyId: storage.kmsKeyId } : {}),
  };
}

/** `x-amz-tagging`: tags as URL query parameters, percent-encoded (never `+` for a space). */
export function taggingHeader(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

export function uploadParams(storage: StorageConfig, spec: UploadSpec): PutObjectCommandInput {
  return {
    Bucket: storage.bucket,
    Key: spec.key,
    Body: spec.body,
    Metadata: spec.metadata,
    StorageClass: spec.storageClass as PutObjectCommandInput['StorageClass'],
    ContentType: spec.contentType ?? 'application/octet-stream',
    ...(spec.tags && Object.keys(spec.tags).length ? { Tagging: taggingHeader(spec.tags) } : {}),
    ChecksumAlgorithm: 'SHA256',
    IfNoneMatch: '*',
    ...sseParams(storage),
    ...(spec.objectLockUntil && storage.objectLock
      ? { ObjectLockMode: storage.objectLock.mode, ObjectLockRetainUntilDate: spec.objectLockUntil }
      : {}),
  } as PutObjectCommandInput;
}

export async function uploadOnce(s3: S3Client, storage: StorageConfig, spec: UploadSpec): Promise<void> {
  const upload = new Upload({
    client: s3,
    params: uploadParams(storage, spec),
    partSize: PART_SIZE,
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  const onAbort = () => void upload.abort().catch(() => undefined);
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
  } catch (err) {
    if (isPreconditionFailed(err)) {
      throw new StorageError(`s3://${storage.bucket}/${spec.key} already exists; pgwarden never overwrites a stored object`);
    }
    throw err instanceof StorageError || !(err as { $metadata?: unknown }).$metadata
      ? err
      : storageError(err, { bucket: storage.bucket, endpoint: storage.endpoint, operation: `upload of ${spec.key}` });
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
  }
}
