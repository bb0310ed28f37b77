import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { EnvReader } from '../../src/infra/config/env-reader';
import { CONFIG_VARIABLES } from '../../src/infra/config/variables';

/** An environment where every branch of the readers runs, recording each name they look up. */
function recordReads(): Set<string> {
  const full: Record<string, string> = {
    DATABASE_URL: 'postgres://u:p@h/app',
    DATABASE_URL_OTHER: 'postgres://u:p@o/other',
    PGHOST: 'h',
    PGPORT: '5432',
    PGUSER: 'u',
    PGPASSWORD: 'p',
    PGDATABASE: 'd',
    PGSSLMODE: 'require',
    BACKUP_DATABASES: 'app',
    BACKUP_S3_BUCKET: 'bucket',
    S3_PREFIX: 'p',
    S3_ENDPOINT: 'http://s3',
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'a',
    AWS_SECRET_ACCESS_KEY: 'b',
    S3_STORAGE_CLASS: 'STANDARD',
    S3_SERVER_SIDE_ENCRYPTION: 'aws:kms',
    S3_SSE_KMS_KEY_ID: 'k',
    S3_OBJECT_LOCK_MODE: 'GOVERNANCE',
    S3_OBJECT_LOCK_DAYS: '7',
    ENCRYPTION_ALGORITHM: 'AES-256-GCM',
    BACKUP_ENCRYPTION_KEY: 'a'.repeat(64),
    BACKUP_ENCRYPTION_KEY_ID: 'k1',
    BACKUP_ENCRYPTION_PREVIOUS_KEYS: `k0:${'b'.repeat(64)}`,
    BACKUP_FORMAT: 'plain',
    BACKUP_COMPRESSION_LEVEL: '3',
    BACKUP_RETENTION_DAYS: '30',
    BACKUP_GLOBALS_WITH_PASSWORDS: 'false',
    PG_BIN_DIR: '/usr/bin',
    SMTP_HOST: 'mail',
    SMTP_PORT: '25',
    SMTP_SECURE: 'false',
    SMTP_USER: 'u',
    SMTP_PASSWORD: 'p',
    NOTIFY_EMAIL_FROM: 'a@b',
    NOTIFY_EMAIL_TO: 'c@d',
    SLACK_WEBHOOK_URL: 'https://hooks.example/x',
    PGWARDEN_TASK_QUEUE: 'q',
    TEMPORAL_UI_URL: 'http://ui',
    BACKUP_KEEP_LAST: '3',
    BACKUP_GFS_DAILY: '7',
    BACKUP_GFS_WEEKLY: '4',
    BACKUP_GFS_MONTHLY: '12',
    CLEANUP_GRACE_HOURS: '24',
    S3_LIFECYCLE: 'true',
    S3_LIFECYCLE_GLACIER_DAYS: '30',
    S3_LIFECYCLE_DEEP_ARCHIVE_DAYS: '90',
    SCHEDULE_TIMEZONE: 'UTC',
    SCHEDULE_BACKUP_CRON: '0 2 * * *',
    SCHEDULE_VERIFY_CRON: '0 3 * * 0',
    SCHEDULE_CLEANUP_CRON: '0 4 1 * *',
    SCHEDULE_CHECK_CRON: '0 6 * * *',
    MISSING_BACKUP_MAX_AGE_HOURS: '26',
    MISSING_VERIFICATION_MAX_AGE_DAYS: '8',
    VERIFY_DATABASE_URL: 'postgres://u:p@scratch/postgres',
    VERIFY_SIZE_CHANGE_PERCENT: '50',
    VERIFY_SIZE_HISTORY: '7',
    VERIFY_RESTORE_JOBS: '2',
    PGWARDEN_WORK_DIR: '/tmp',
    WAL_ARCHIVE: 'app',
    TASK_QUEUE_APP: 'q-app',
    PGWARDEN_WORKER_SERVES: 'app',
  };
  const reads = new Set<string>();
  const env = new Proxy(full, {
    get(target, key) {
      if (typeof key === 'string') reads.add(key);
      return target[key as string];
    },
  });
  loadConfig(env, { require: WORKER_NEEDS });
  return reads;
}

describe('the variable table', () => {
  const documented = new Set(CONFIG_VARIABLES.map((v) => v.name));

  it('lists every variable the configuration readers use', () => {
    const undocumented = [...recordReads()].filter((name) => !documented.has(name) && !/^(DATABASE_URL|TASK_QUEUE)_/.test(name));
    expect(undocumented).toEqual([]);
  });

  it('marks every variable read as a secret (kept out of logs, errors and printed configuration) as one', () => {
    const read = jest.spyOn(EnvReader.prototype, 'secret');
    let secrets: Set<string>;
    try {
      recordReads();
      secrets = new Set(read.mock.calls.map(([name]) => name));
    } finally {
      read.mockRestore();
    }
    expect(secrets.size).toBeGreaterThan(5);
    const unmarked = [...secrets].filter((name) => CONFIG_VARIABLES.find((v) => v.name === name)?.secret !== true);
    expect(unmarked).toEqual([]);
  });

  it('is what the README documents', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const missing = CONFIG_VARIABLES.map((v) => v.name).filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
