/**
 * pgwarden's configuration, read once from the environment (and an optional env file) into
 * one typed object. Variable names follow the strategy document (BACKUP_S3_BUCKET, S3_PREFIX,
 * BACKUP_ENCRYPTION_KEY, ENCRYPTION_ALGORITHM, S3_SERVER_SIDE_ENCRYPTION, ...), libpq (PG*),
 * the AWS SDK (AWS_*) and Temporal's own client settings (TEMPORAL_ADDRESS, ...).
 *
 * Every problem is reported at once, one line per variable, and no secret is ever echoed.
 */
import { ConfigError } from '../errors/errors';
import { tmpdir } from 'node:os';
import { DatabaseTarget, readDatabases, readVerifyServer } from './databases';
import { EncryptionConfig, readEncryption } from './encryption';
import { Env } from './env-file';
import { EnvReader } from './env-reader';
import { NotificationConfig, readNotifications } from './notifications';
import { StorageConfig, readStorage } from './storage';
import { parsePrices, PriceTable } from './prices';
import type { LogFiles } from '../logs/operation-logs';
import { IncidentSettings, readIncident } from './incident';
import { cronProblem } from './cron';
import { ConsoleSettings, readConsole } from './console';
import { readWal, WalSettings } from './wal';
import { COMPRESSIONS, CompressionPolicy, LEVELS as COMPRESSION_LEVELS } from '../compression/compression';

export const BACKUP_FORMATS = ['custom', 'plain'] as const;
export type BackupFormat = (typeof BACKUP_FORMATS)[number];

export interface BackupPolicy {
  /** pg_dump format: custom (-Fc, parallel and per-table restore) or plain SQL. */
  format: BackupFormat;
  /** How the dump is compressed (zstd outside pg_dump by default) and at which level. */
  compression: CompressionPolicy;
  /** BACKUP_JOBS: how many pg_dump processes share the backup's snapshot (custom format only). */
  jobs: number;
  /** The strategy's "Retention: 30 days (configurable)". */
  retentionDays: number;
  /** Whether role passwords go into the globals dump (off: roles are restored without them). */
  globalsWithPasswords: boolean;
  /** How long a backup keeps retrying while S3 or PostgreSQL is unavailable. */
  retryWindowMinutes: number;
}

export interface TemporalSettings {
  /** Task queue the worker polls and clients start workflows on. */
  taskQueue: string;
  /** Base URL of the Temporal Web UI, used to print links to runs. */
  uiUrl?: string;
}

export interface ScheduleSettings {
  timezone: string;
  backupCron: string;
  verifyCron: string;
  cleanupCron: string;
  checkCron: string;
  /** Base backups of the servers in WAL_ARCHIVE (point-in-time recovery starts from one). */
  baseBackupCron: string;
  /** The monthly restore test; null when SCHEDULE_RESTORE_TEST_CRON=off. */
  restoreTestCron: string | null;
  /** The daily check alerts when no restore test passed within this many days (while its schedule is on). */
  maxRestoreTestAgeDays: number;
  /** The quarterly disaster recovery drill; null when SCHEDULE_DR_DRILL_CRON=off. */
  drDrillCron: string | null;
  /** The daily check alerts when no drill was resolved within this many days (while its schedule is on). */
  maxDrillAgeDays: number;
  /** The annual complete recovery scenario (a server-lost drill); null when SCHEDULE_DR_SCENARIO_CRON=off. */
  drScenarioCron: string | null;
  /** The daily check alerts when no server-lost drill was resolved within this many days (while its schedule is on). */
  maxScenarioAgeDays: number;
  /** The missing-backup check's limits. */
  maxBackupAgeHours: number;
  maxVerifiedAgeDays: number;
  /** For a server in WAL_ARCHIVE: the check alerts when its newest base backup is older (recovery replays all WAL since). */
  maxBaseBackupAgeDays: number;
}

export interface CleanupSettings {
  /** The newest N complete backups are kept whatever their age. */
  keepLast: number;
  /** Grandfather-father-son set; when set it replaces age retention. */
  gfs?: { daily: number; weekly: number; monthly: number };
  /** Data objects without a manifest and unfinished uploads older than this are removed. */
  graceHours: number;
  /** Run records (records/) older than this many days are removed. */
  recordsKeepDays: number;
  lifecycle: { enabled: boolean; glacierAfterDays: number; deepArchiveAfterDays: number };
}

export interface VerifySettings {
  /** Where test restores run; default: the server of the backed-up database. */
  server?: DatabaseTarget;
  /** A size change beyond this percentage of the median of earlier backups is a warning. */
  sizeChangePercent: number;
  /** How many earlier backups the size is compared with. */
  sizeHistory: number;
  /** The monthly restore test creates the roles the test-restore server lacks from the backup's globals. */
  createRoles: boolean;
  /** pg_restore --jobs for custom-format test restores. */
  restoreJobs: number;
  /** Folder for the decrypted dump a parallel pg_restore reads; removed after each restore. */
  workDir: string;
  /** WAL segments a verify run reads back at most (the rest waits for the next run); 0: none. */
  walSegments: number;
  /** Days after which a pass reads every archived segment again (within walSegments, after the new ones); 0: never. */
  walRereadDays: number;
}

export interface ToolSettings {
  /** Folder with pg_dump / pg_restore / psql; default: the newest /usr/lib/postgresql/<v>/bin, else PATH. */
  pgBinDir?: string;
}

export interface Config {
  databases: DatabaseTarget[];
  storage?: StorageConfig;
  encryption?: EncryptionConfig;
  backup: BackupPolicy;
  notifications: NotificationConfig;
  temporal: TemporalSettings;
  tools: ToolSettings;
  verify: VerifySettings;
  cleanup: CleanupSettings;
  schedules: ScheduleSettings;
  /** The storage prices of the cost estimate; with a budget, the daily check warns above it (USD a month per database). */
  report: { prices: PriceTable; budgetUsd?: number };
  /** The worker's log files of backups, restores and notices (the strategy's /var/log files); none by default. */
  logs: LogFiles;
  metrics: MetricsSettings;
  incident: IncidentSettings;
  wal: WalSettings;
  console: ConsoleSettings;
}

export interface MetricsSettings {
  /** Prometheus endpoint of the worker; null: off (METRICS_PORT=0). */
  bindAddress: string | null;
}

/** The parts a process cannot run without: a worker needs all of them, a CLI client none. */
export type RequiredPart = 'databases' | 'storage' | 'encryption';

export interface LoadOptions {
  require?: RequiredPart[];
}

/** Parses and validates; throws ConfigError listing every problem. */
export function loadConfig(env: Env, options: LoadOptions = {}): Config {
  const need = new Set(options.require ?? []);
  const r = new EnvReader(env);
  const notifications = readNotifications(r);
  const databases = readDatabases(r, need.has('databases'));
  const taskQueue = r.string('PGWARDEN_TASK_QUEUE', 'pgwarden');
  const config: Config = {
    databases,
    storage: readStorage(r, need.has('storage')),
    encryption: readEncryption(r, need.has('encryption')),
    backup: {
      format: r.oneOf('BACKUP_FORMAT', BACKUP_FORMATS, 'custom'),
      compression: readCompression(r),
      jobs: readBackupJobs(r),
      retentionDays: r.integer('BACKUP_RETENTION_DAYS', 30, { min: 1, max: 36500 }),
      globalsWithPasswords: r.boolean('BACKUP_GLOBALS_WITH_PASSWORDS', false),
      retryWindowMinutes: r.integer('BACKUP_RETRY_WINDOW_MINUTES', 10, { min: 1, max: 1440 }),
    },
    notifications,
    temporal: {
      taskQueue,
      uiUrl: r.string('TEMPORAL_UI_URL')?.replace(/\/+$/, ''),
    },
    tools: { pgBinDir: r.string('PG_BIN_DIR') },
    cleanup: readCleanup(r),
    schedules: readSchedules(r),
    report: { prices: readPrices(r), ...readBudget(r) },
    logs: {
      backup: r.string('BACKUP_LOG_FILE'),
      restore: r.string('RESTORE_LOG_FILE'),
      notification: r.string('NOTIFICATION_LOG_FILE'),
    },
    metrics: readMetrics(r),
    incident: readIncident(r, notifications.email?.to ?? []),
    console: readConsole(r),
    wal: readWal(
      r,
      databases.map((d) => d.id),
      taskQueue,
    ),
    verify: {
      server: readVerifyServer(r),
      sizeChangePercent: r.integer('VERIFY_SIZE_CHANGE_PERCENT', 50, { min: 1, max: 10000 }),
      sizeHistory: r.integer('VERIFY_SIZE_HISTORY', 7, { min: 1, max: 365 }),
      restoreJobs: r.integer('VERIFY_RESTORE_JOBS', 2, { min: 1, max: 64 }),
      createRoles: r.boolean('RESTORE_TEST_CREATE_ROLES', false),
      workDir: r.string('PGWARDEN_WORK_DIR', tmpdir()),
      walSegments: r.integer('VERIFY_WAL_SEGMENTS', 4096, { min: 0, max: 10_000_000 }),
      walRereadDays: r.integer('VERIFY_WAL_REREAD_DAYS', 30, { min: 0, max: 3650 }),
    },
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

function readPrices(r: EnvReader): PriceTable {
  const { prices, problems } = parsePrices(r.string('S3_STORAGE_PRICES'));
  for (const p of problems) r.problem('S3_STORAGE_PRICES', p);
  return prices;
}

function readBudget(r: EnvReader): { budgetUsd?: number } {
  const text = r.string('STORAGE_BUDGET_USD');
  if (text === undefined) return {};
  const budgetUsd = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(budgetUsd > 0)) {
    r.problem('STORAGE_BUDGET_USD', `expected US dollars a month above 0, e.g. 25 or 12.50, got "${text}"`);
    return {};
  }
  return { budgetUsd };
}

function readMetrics(r: EnvReader): MetricsSettings {
  const port = r.integer('METRICS_PORT', 9464, { min: 0, max: 65535 });
  const host = r.string('METRICS_HOST', '0.0.0.0');
  return { bindAddress: port === 0 ? null : `${host}:${port}` };
}

/** The strategy's crontab, as Temporal Schedules: times and time zone configurable. */
function readSchedules(r: EnvReader): ScheduleSettings {
  const cron = (name: string, fallback: string) => {
    const v = r.string(name, fallback);
    const problem = cronProblem(v);
    if (problem) r.problem(name, `"${v}" is not a cron expression like "${fallback}": ${problem}`);
    return v;
  };
  const timezone = r.string('SCHEDULE_TIMEZONE', 'UTC');
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    r.problem('SCHEDULE_TIMEZONE', `"${timezone}" is not an IANA time zone (e.g. UTC, Europe/Berlin)`);
  }
  return {
    timezone,
    backupCron: cron('SCHEDULE_BACKUP_CRON', '0 2 * * *'),
    verifyCron: cron('SCHEDULE_VERIFY_CRON', '0 3 * * 0'),
    cleanupCron: cron('SCHEDULE_CLEANUP_CRON', '0 4 1 * *'),
    checkCron: cron('SCHEDULE_CHECK_CRON', '0 6 * * *'),
    baseBackupCron: cron('SCHEDULE_BASEBACKUP_CRON', '0 1 * * 0'),
    // The strategy's monthly restore test needs no staging server (a temporary database and instance): on by default.
    restoreTestCron:
      r.string('SCHEDULE_RESTORE_TEST_CRON', '0 5 2 * *') === 'off' ? null : cron('SCHEDULE_RESTORE_TEST_CRON', '0 5 2 * *'),
    maxRestoreTestAgeDays: r.integer('RESTORE_TEST_MAX_AGE_DAYS', 35, { min: 1, max: 3650 }),
    // The strategy's quarterly drill, in working hours: on by default (it restores into a database of its own).
    drDrillCron:
      r.string('SCHEDULE_DR_DRILL_CRON', '0 10 15 1,4,7,10 *') === 'off'
        ? null
        : cron('SCHEDULE_DR_DRILL_CRON', '0 10 15 1,4,7,10 *'),
    maxDrillAgeDays: r.integer('DR_DRILL_MAX_AGE_DAYS', 100, { min: 1, max: 3650 }),
    // The strategy's annual complete recovery scenario; it needs a WAL archive, so it runs for the servers in WAL_ARCHIVE.
    drScenarioCron:
      r.string('SCHEDULE_DR_SCENARIO_CRON', '0 10 1 2 *') === 'off' ? null : cron('SCHEDULE_DR_SCENARIO_CRON', '0 10 1 2 *'),
    maxScenarioAgeDays: r.integer('DR_SCENARIO_MAX_AGE_DAYS', 380, { min: 1, max: 3650 }),
    maxBackupAgeHours: r.integer('MISSING_BACKUP_MAX_AGE_HOURS', 26, { min: 1, max: 8760 }),
    maxVerifiedAgeDays: r.integer('MISSING_VERIFICATION_MAX_AGE_DAYS', 8, { min: 1, max: 3650 }),
    // The weekly base backup schedule, and a day of slack.
    maxBaseBackupAgeDays: r.integer('BASEBACKUP_MAX_AGE_DAYS', 8, { min: 1, max: 3650 }),
  };
}

function readCleanup(r: EnvReader): CleanupSettings {
  const gfsNames = ['BACKUP_GFS_DAILY', 'BACKUP_GFS_WEEKLY', 'BACKUP_GFS_MONTHLY'] as const;
  const given = gfsNames.filter((n) => r.has(n));
  if (given.length > 0 && given.length < 3)
    r.problem(
      gfsNames.find((n) => !r.has(n))!,
      'missing; set all of BACKUP_GFS_DAILY, BACKUP_GFS_WEEKLY and BACKUP_GFS_MONTHLY, or none for age retention',
    );
  const [daily, weekly, monthly] = gfsNames.map((n) => r.integer(n, 0, { min: 0, max: 10000 }));
  const glacierAfterDays = r.integer('S3_LIFECYCLE_GLACIER_DAYS', 30, { min: 1, max: 36500 });
  const deepArchiveAfterDays = r.integer('S3_LIFECYCLE_DEEP_ARCHIVE_DAYS', 90, { min: 1, max: 36500 });
  // The colder class comes later; a rule in the other order would be refused by S3.
  if (deepArchiveAfterDays <= glacierAfterDays)
    r.problem('S3_LIFECYCLE_DEEP_ARCHIVE_DAYS', `must be greater than S3_LIFECYCLE_GLACIER_DAYS (${glacierAfterDays})`);
  return {
    keepLast: r.integer('BACKUP_KEEP_LAST', 3, { min: 1, max: 10000 }),
    gfs: given.length === 3 ? { daily, weekly, monthly } : undefined,
    graceHours: r.integer('CLEANUP_GRACE_HOURS', 24, { min: 0, max: 8760 }),
    recordsKeepDays: r.integer('RECORDS_KEEP_DAYS', 400, { min: 1, max: 36500 }),
    lifecycle: { enabled: r.boolean('S3_LIFECYCLE', true), glacierAfterDays, deepArchiveAfterDays },
  };
}

function readCompression(r: EnvReader): CompressionPolicy {
  const algorithm = r.oneOf('BACKUP_COMPRESSION', COMPRESSIONS, 'zstd');
  const range = COMPRESSION_LEVELS[algorithm];
  return { algorithm, level: r.integer('BACKUP_COMPRESSION_LEVEL', range.default, { min: range.min, max: range.max }) };
}

/** Parallel dumps are custom-format archives restored section by section; plain SQL has no sections to split. */
function readBackupJobs(r: EnvReader): number {
  const jobs = r.integer('BACKUP_JOBS', 1, { min: 1, max: 16 });
  if (jobs > 1 && r.string('BACKUP_FORMAT') === 'plain')
    r.problem('BACKUP_JOBS', `${jobs} parallel dumps need BACKUP_FORMAT=custom; set BACKUP_JOBS=1 for plain SQL backups`);
  return jobs;
}

export const WORKER_NEEDS: RequiredPart[] = ['databases', 'storage', 'encryption'];

/** The configuration a worker runs with: what it cannot work without is there. */
export type WorkerConfig = Config & { storage: StorageConfig; encryption: EncryptionConfig };

/** The configuration as a worker's, or a ConfigError naming what is missing. */
export function workerConfig(config: Config): WorkerConfig {
  const problems = [
    ...(config.storage ? [] : ['the worker needs storage: set BACKUP_S3_BUCKET']),
    ...(config.encryption ? [] : ['the worker needs an encryption key: set BACKUP_ENCRYPTION_KEY']),
  ];
  if (problems.length) throw new ConfigError(problems);
  return config as WorkerConfig;
}

export function findDatabase(config: Config, id: string): DatabaseTarget | undefined {
  return config.databases.find((d) => d.id === id);
}

/**
 * Where test restores of database `id` load: VERIFY_DATABASE_URL's server when set (a scratch or
 * staging server, so a test does not load production), else the database's own.
 */
export function testRestoreServer(config: Config, id: string): DatabaseTarget {
  return config.verify.server ?? serverOf(config, id);
}

/**
 * The server of the configured database `id`, reached through its `postgres` database: work on
 * the server (creating and dropping databases) must not need the database itself, which a
 * disaster may have taken.
 */
export function serverOf(config: Config, id: string): DatabaseTarget {
  return { ...requireDatabase(config, id), database: 'postgres' };
}

/** The configured database `id`, or a ConfigError naming the ones this worker has. */
export function requireDatabase(config: Config, id: string): DatabaseTarget {
  const target = findDatabase(config, id);
  if (target) return target;
  const known = config.databases.map((d) => d.id).join(', ') || 'none';
  throw new ConfigError([
    `database "${id}" is not configured on this worker (configured: ${known}); check DATABASE_URL / BACKUP_DATABASES`,
  ]);
}
