/**
 * The one S3 client factory. Path-style addressing and the "checksum only when required"
 * setting make the AWS SDK work against S3-compatible servers (MinIO, SeaweedFS), which
 * reject the SDK's default trailing-checksum headers; uploads that want checksums ask for
 * them explicitly.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { StorageConfig } from '../config/storage';

export function createS3Client(storage: StorageConfig): S3Client {
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
  });
}
