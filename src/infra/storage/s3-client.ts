/**
 * The one S3 client factory. Path-style addressing and the "checksum only when required"
 * setting make the AWS SDK work against S3-compatible servers (MinIO, SeaweedFS), which
 * reject the SDK's default trailing-checksum headers; uploads that want checksums ask for
 * them explicitly.
 *
 * A connection that is not accepted within CONNECT_TIMEOUT_MS fails (a firewall that drops
 * packets, a wrong address): without it each attempt waited for the system's TCP give-up
 * (about two minutes) and a preflight took its activity's retries to say "cannot reach". No
 * timeout on an open connection: a download pauses while pg_restore or psql catches up.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { StorageConfig } from '../config/storage';

export const CONNECT_TIMEOUT_MS = 10_000;

/** `connectTimeoutMs`: tests of the timeout only. */
export function createS3Client(storage: StorageConfig, options: { connectTimeoutMs?: number } = {}): S3Client {
  return new S3Client({
    region: storage.region,
    endpoint: storage.endpoint,
    forcePathStyle: storage.forcePathStyle,
    credentials: storage.credentials
      ? { accessKeyId: storage.credentials.accessKeyId, secretAccessKey: storage.credentials.secretAccessKey.reveal() }
      : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS },
  });
}
