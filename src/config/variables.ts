/**
 * Every environment variable pgwarden reads, with its meaning and default: the README's
 * configuration table and docker-compose.yml are checked against this list by tests, and a
 * test proves the readers touch no variable missing from it.
 */
export interface VariableDoc {
  name: string;
  description: string;
  default?: string;
  secret?: boolean;
}

export const CONFIG_VARIABLES: VariableDoc[] = [
  { name: 'DATABASE_URL', description: 'database to back up: postgres://user:password@host:5432/db', secret: true },
  { name: 'PGHOST', description: 'libpq alternative to DATABASE_URL: host', default: 'localhost' },
  { name: 'PGPORT', description: 'libpq: port', default: '5432' },
  { name: 'PGUSER', description: 'libpq: user', default: 'postgres' },
  { name: 'PGPASSWORD', description: 'libpq: password', secret: true },
  { name: 'PGDATABASE', description: 'libpq: database' },
  { name: 'PGSSLMODE', description: 'libpq: sslmode (require, verify-full, ...)' },
  { name: 'BACKUP_DATABASES', description: 'several databases of that server, comma-separated', default: 'the database of DATABASE_URL' },
  { name: 'DATABASE_URL_<ALIAS>', description: 'a database on another server, known to pgwarden as <alias>', secret: true },
  { name: 'BACKUP_S3_BUCKET', description: 'S3 bucket for backups (strategy document)' },
  { name: 'S3_PREFIX', description: 'key prefix; backups go under <prefix>/<database>/', default: 'database-backups' },
  { name: 'S3_ENDPOINT', description: 'S3-compatible endpoint (MinIO, SeaweedFS); unset for AWS' },
  { name: 'S3_FORCE_PATH_STYLE', description: 'path-style addressing', default: 'true when S3_ENDPOINT is set' },
  { name: 'AWS_REGION', description: 'AWS region (AWS_DEFAULT_REGION also read)', default: 'us-east-1' },
  { name: 'AWS_DEFAULT_REGION', description: 'fallback for AWS_REGION' },
  { name: 'AWS_ACCESS_KEY_ID', description: 'static S3 credentials; unset: the AWS default chain (profile, IAM role)' },
  { name: 'AWS_SECRET_ACCESS_KEY', description: 'static S3 credentials', secret: true },
  { name: 'S3_STORAGE_CLASS', description: 'storage class of backup data objects', default: 'STANDARD_IA' },
  { name: 'S3_SERVER_SIDE_ENCRYPTION', description: 'none, AES256 or aws:kms (strategy document)', default: 'AES256' },
  { name: 'S3_SSE_KMS_KEY_ID', description: 'KMS key for aws:kms' },
  { name: 'S3_OBJECT_LOCK_MODE', description: 'GOVERNANCE or COMPLIANCE: write-once backups' },
  { name: 'S3_OBJECT_LOCK_DAYS', description: 'days each backup stays locked' },
  { name: 'ENCRYPTION_ALGORITHM', description: 'AES-256-GCM (authenticated) or AES-256-CBC (OpenSSL-compatible, strategy document)', default: 'AES-256-GCM' },
  { name: 'BACKUP_ENCRYPTION_KEY', description: 'active key: 32 bytes as hex or base64 (CBC also takes a passphrase)', secret: true },
  { name: 'BACKUP_ENCRYPTION_KEY_ID', description: 'id recorded with each backup', default: 'derived from the key' },
  { name: 'BACKUP_ENCRYPTION_PREVIOUS_KEYS', description: 'retired keys for decrypting older backups: id:key,id:key', secret: true },
  { name: 'BACKUP_FORMAT', description: 'custom (pg_dump -Fc) or plain (SQL, gzip)', default: 'custom' },
  { name: 'BACKUP_COMPRESSION_LEVEL', description: 'gzip level 0-9', default: '6' },
  { name: 'BACKUP_RETENTION_DAYS', description: 'days backups are kept (strategy: 30)', default: '30' },
  { name: 'BACKUP_KEEP_LAST', description: 'the newest N complete backups cleanup always keeps', default: '3' },
  { name: 'BACKUP_GFS_DAILY', description: 'grandfather-father-son: newest backup of each of the last D days (set all three to use GFS instead of age)' },
  { name: 'BACKUP_GFS_WEEKLY', description: 'GFS: newest backup of each of the last W ISO weeks' },
  { name: 'BACKUP_GFS_MONTHLY', description: 'GFS: newest backup of each of the last M months' },
  { name: 'CLEANUP_GRACE_HOURS', description: 'data objects without a manifest and unfinished uploads older than this are removed', default: '24' },
  { name: 'S3_LIFECYCLE', description: 'apply the S3 lifecycle rule for data objects', default: 'true' },
  { name: 'S3_LIFECYCLE_GLACIER_DAYS', description: 'data objects move to GLACIER after this many days', default: '30' },
  { name: 'S3_LIFECYCLE_DEEP_ARCHIVE_DAYS', description: 'data objects move to DEEP_ARCHIVE after this many days', default: '90' },
  { name: 'BACKUP_GLOBALS_WITH_PASSWORDS', description: 'include role passwords in the globals dump', default: 'false' },
  { name: 'PG_BIN_DIR', description: 'folder with pg_dump/pg_restore/psql', default: 'newest /usr/lib/postgresql/<v>/bin, else PATH' },
  { name: 'SMTP_HOST', description: 'SMTP server for e-mail notices; unset: no e-mail' },
  { name: 'SMTP_PORT', description: 'SMTP port', default: '587' },
  { name: 'SMTP_SECURE', description: 'TLS from the first byte (port 465)', default: 'true when SMTP_PORT is 465' },
  { name: 'SMTP_USER', description: 'SMTP login' },
  { name: 'SMTP_PASSWORD', description: 'SMTP password', secret: true },
  { name: 'NOTIFY_EMAIL_FROM', description: 'sender of notices', default: 'pgwarden@localhost' },
  { name: 'NOTIFY_EMAIL_TO', description: 'recipients of notices, comma-separated' },
  { name: 'SLACK_WEBHOOK_URL', description: 'Slack incoming webhook for notices; unset: no Slack', secret: true },
  { name: 'VERIFY_DATABASE_URL', description: 'server for test restores (its database is used for admin connections); needs CREATEDB', default: 'the backed-up database\'s server', secret: true },
  { name: 'VERIFY_SIZE_CHANGE_PERCENT', description: 'size change against earlier backups that warns', default: '50' },
  { name: 'VERIFY_SIZE_HISTORY', description: 'how many earlier backups the size is compared with', default: '7' },
  { name: 'VERIFY_RESTORE_JOBS', description: 'pg_restore --jobs for test restores', default: '2' },
  { name: 'PGWARDEN_WORK_DIR', description: 'folder for the decrypted dump a parallel test restore reads (removed afterwards)', default: 'the system temp folder' },
  { name: 'PGWARDEN_TASK_QUEUE', description: 'Temporal task queue of the worker', default: 'pgwarden' },
  { name: 'PGWARDEN_CONFIG', description: 'env file to read (same as --config)' },
  { name: 'TEMPORAL_UI_URL', description: 'Temporal Web UI base URL, for links to runs' },
  { name: 'TEMPORAL_ADDRESS', description: 'Temporal frontend host:port (Temporal convention)', default: 'localhost:7233' },
  { name: 'TEMPORAL_NAMESPACE', description: 'Temporal namespace', default: 'default' },
  { name: 'TEMPORAL_API_KEY', description: 'API key for Temporal Cloud', secret: true },
  { name: 'TEMPORAL_TLS', description: 'use TLS to Temporal (with TEMPORAL_TLS_CLIENT_CERT_PATH, ..._KEY_PATH, ..._SERVER_CA_CERT_PATH)' },
  { name: 'TEMPORAL_PROFILE', description: 'profile of the temporal.toml config file (TEMPORAL_CONFIG_FILE)' },
];
