/**
 * Where backups go: the S3 bucket and prefix of the strategy document, the storage class
 * and server-side encryption it names, and how to reach an S3-compatible server.
 */
import { EnvReader } from './env-reader';
import { Secret } from './secret';

export const STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
export const SSE_MODES = ['none', 'AES256', 'aws:kms'] as const;
export type ServerSideEncryption = (typeof SSE_MODES)[number];
export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;

export interface StorageConfig {
  bucket: string;
  /** Key prefix without leading or trailing slash; backups live under `<prefix>/<database>/`. */
  prefix: string;
  region: string;
  /** Custom endpoint for S3-compatible servers (MinIO, SeaweedFS, ...). */
  endpoint?: string;
  forcePathStyle: boolean;
  /** Static credentials; when absent the AWS SDK's default chain (env, profile, IAM role) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: Secret };
  storageClass: StorageClass;
  serverSideEncryption: ServerSideEncryption;
  kmsKeyId?: string;
  objectLock?: { mode: (typeof OBJECT_LOCK_MODES)[number]; days: number };
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function readStorage(r: EnvReader, required: boolean): StorageConfig | undefined {
  const bucket = required
    ? r.required('BACKUP_S3_BUCKET', 'name the S3 bucket that holds the backups')
    : r.string('BACKUP_S3_BUCKET');
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) {
    r.problem('BACKUP_S3_BUCKET', `"${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
  }
  const endpoint = r.string('S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    r.problem('S3_ENDPOINT', `expected an http(s) URL such as http://127.0.0.1:9000, got "${endpoint}"`);
  }
  const accessKeyId = r.string('AWS_ACCESS_KEY_ID');
  const secretAccessKey = r.secret('AWS_SECRET_ACCESS_KEY');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    r.problem(
      accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID',
      'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to use the default AWS credential chain',
    );
  }
  const serverSideEncryption = r.oneOf('S3_SERVER_SIDE_ENCRYPTION', SSE_MODES, 'AES256');
  const kmsKeyId = r.string('S3_SSE_KMS_KEY_ID');
  if (serverSideEncryption === 'aws:kms' && !kmsKeyId) {
    r.problem('S3_SSE_KMS_KEY_ID', 'missing; S3_SERVER_SIDE_ENCRYPTION=aws:kms needs the KMS key id or ARN');
  }
  let objectLock: StorageConfig['objectLock'];
  if (r.has('S3_OBJECT_LOCK_MODE')) {
    const mode = r.oneOf('S3_OBJECT_LOCK_MODE', OBJECT_LOCK_MODES, 'GOVERNANCE');
    const days = r.integer('S3_OBJECT_LOCK_DAYS', 0, { min: 1, max: 36500 });
    if (!r.has('S3_OBJECT_LOCK_DAYS'))
      r.problem('S3_OBJECT_LOCK_DAYS', 'missing; S3_OBJECT_LOCK_MODE needs the number of days to lock each backup');
    objectLock = { mode, days };
  }
  const storage: StorageConfig = {
    bucket: bucket ?? '',
    prefix: r.string('S3_PREFIX', 'database-backups').replace(/^\/+|\/+$/g, ''),
    region: r.string('AWS_REGION') ?? r.string('AWS_DEFAULT_REGION', 'us-east-1'),
    endpoint,
    forcePathStyle: r.boolean('S3_FORCE_PATH_STYLE', endpoint !== undefined),
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    storageClass: r.oneOf('S3_STORAGE_CLASS', STORAGE_CLASSES, 'STANDARD_IA'),
    serverSideEncryption,
    kmsKeyId,
    objectLock,
  };
  return bucket === undefined ? undefined : storage;
}
