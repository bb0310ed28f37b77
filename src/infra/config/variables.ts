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
  { name: 'PGSSLMODE', description: 'libpq: sslmode (require, verify-full, ...); also the default for DATABASE_URL' },
  {
    name: 'PGSSLROOTCERT',
    description:
      "libpq: the CA certificate verify-ca/verify-full check the server against ('system': the system's CAs); sslrootcert in a URL wins",
    default: '~/.postgresql/root.crt',
  },
  {
    name: 'PGSSLCERT',
    description: 'libpq: a client certificate, for servers that ask for one; sslcert in a URL wins',
    default: '~/.postgresql/postgresql.crt',
  },
  {
    name: 'PGSSLKEY',
    description: "libpq: the client certificate's key; sslkey in a URL wins",
    default: '~/.postgresql/postgresql.key',
  },
  {
    name: 'PGCHANNELBINDING',
    description:
      'libpq: channel_binding (disable, prefer, require: bind the SCRAM login to the TLS channel, refuse a login without); channel_binding in a URL wins',
  },
  {
    name: 'BACKUP_DATABASES',
    description: 'several databases of that server, comma-separated',
    default: 'the database of DATABASE_URL',
  },
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
  {
    name: 'ENCRYPTION_ALGORITHM',
    description: 'AES-256-GCM (authenticated) or AES-256-CBC (OpenSSL-compatible, strategy document)',
    default: 'AES-256-GCM',
  },
  {
    name: 'BACKUP_ENCRYPTION_KEY',
    description: 'active key: 32 bytes as hex or base64 (CBC also takes a passphrase)',
    secret: true,
  },
  { name: 'BACKUP_ENCRYPTION_KEY_ID', description: 'id recorded with each backup', default: 'derived from the key' },
  {
    name: 'BACKUP_ENCRYPTION_PREVIOUS_KEYS',
    description:
      'retired keys for decrypting older backups: id:key,id:key (an old script passphrase is accepted whatever the algorithm)',
    secret: true,
  },
  { name: 'BACKUP_FORMAT', description: 'custom (pg_dump -Fc) or plain (SQL)', default: 'custom' },
  {
    name: 'BACKUP_COMPRESSION',
    description: 'zstd (outside pg_dump, two threads), gzip (inside pg_dump for custom, as before), lz4 or none',
    default: 'zstd',
  },
  {
    name: 'BACKUP_COMPRESSION_LEVEL',
    description: 'zstd 1-19, gzip 1-9, lz4 1-12 (none: 0)',
    default: 'zstd 1, gzip 6, lz4 1',
  },
  {
    name: 'BACKUP_JOBS',
    description:
      'pg_dump processes sharing one snapshot (1-16, custom format): the largest tables are dumped beside the rest and restored in parallel',
    default: '1',
  },
  {
    name: 'BACKUP_RETRY_WINDOW_MINUTES',
    description: 'how long a backup keeps retrying while S3 or PostgreSQL is unavailable before it fails (1-1440)',
    default: '10',
  },
  { name: 'BACKUP_RETENTION_DAYS', description: 'days backups are kept (strategy: 30)', default: '30' },
  { name: 'BACKUP_KEEP_LAST', description: 'the newest N complete backups cleanup always keeps', default: '3' },
  {
    name: 'BACKUP_GFS_DAILY',
    description: 'grandfather-father-son: newest backup of each of the last D days (set all three to use GFS instead of age)',
  },
  { name: 'BACKUP_GFS_WEEKLY', description: 'GFS: newest backup of each of the last W ISO weeks' },
  { name: 'BACKUP_GFS_MONTHLY', description: 'GFS: newest backup of each of the last M months' },
  {
    name: 'CLEANUP_GRACE_HOURS',
    description: 'data objects without a manifest and unfinished uploads older than this are removed',
    default: '24',
  },
  {
    name: 'RECORDS_KEEP_DAYS',
    description:
      'run records under <db>/records/ (failed backup runs, restores: what the report counts) older than this are removed by cleanup; evidence reports are kept',
    default: '400',
  },
  { name: 'S3_LIFECYCLE', description: 'apply the S3 lifecycle rule for data objects', default: 'true' },
  { name: 'S3_LIFECYCLE_GLACIER_DAYS', description: 'data objects move to GLACIER after this many days', default: '30' },
  {
    name: 'S3_LIFECYCLE_DEEP_ARCHIVE_DAYS',
    description: 'data objects move to DEEP_ARCHIVE after this many days',
    default: '90',
  },
  { name: 'BACKUP_GLOBALS_WITH_PASSWORDS', description: 'include role passwords in the globals dump', default: 'false' },
  {
    name: 'PG_BIN_DIR',
    description:
      'folder with pg_dump/pg_restore/psql, or a folder of versions side by side (<dir>/<major>/bin), of which each server gets the newest that fits it',
    default: '/usr/lib/postgresql (versions side by side), else PATH',
  },
  { name: 'SMTP_HOST', description: 'SMTP server for e-mail notices; unset: no e-mail' },
  { name: 'SMTP_PORT', description: 'SMTP port', default: '587' },
  { name: 'SMTP_SECURE', description: 'TLS from the first byte (port 465)', default: 'true when SMTP_PORT is 465' },
  { name: 'SMTP_USER', description: 'SMTP login' },
  { name: 'SMTP_PASSWORD', description: 'SMTP password', secret: true },
  { name: 'NOTIFY_EMAIL_FROM', description: 'sender of notices', default: 'pgwarden@localhost' },
  { name: 'NOTIFY_EMAIL_TO', description: 'recipients of notices, comma-separated' },
  { name: 'SLACK_WEBHOOK_URL', description: 'Slack incoming webhook for notices; unset: no Slack', secret: true },
  {
    name: 'SLACK_BOT_TOKEN',
    description: "instead of the webhook: a Slack app's bot token (chat:write), so an incident's notices thread under its first",
    secret: true,
  },
  { name: 'SLACK_CHANNEL', description: 'the channel id the bot posts to (with SLACK_BOT_TOKEN)', default: 'none' },
  { name: 'SLACK_API_URL', description: "Slack's Web API (another only for a proxy)", default: 'https://slack.com/api' },
  {
    name: 'PAGERDUTY_ROUTING_KEY',
    description:
      "a PagerDuty service's Events API v2 Integration Key: failures of unattended work and incidents page, their next success resolves",
    secret: true,
  },
  {
    name: 'PAGERDUTY_EVENTS_URL',
    description: "PagerDuty's Events API (another only for a proxy or the EU service region)",
    default: 'https://events.pagerduty.com/v2/enqueue',
  },
  {
    name: 'PAGERDUTY_WEBHOOK_SECRET',
    description:
      "the console's PagerDuty webhook subscription secret: acknowledging an incident's page in PagerDuty acknowledges the incident",
    secret: true,
  },
  { name: 'PAGERDUTY_DRILLS', description: 'whether a drill pages too, as a drill', default: 'false' },
  {
    name: 'NOTIFY_EMAIL_ON',
    description: 'which notices e-mail gets: all, warnings (and failures), failures; approvals and incidents always go out',
    default: 'all',
  },
  {
    name: 'NOTIFY_SLACK_ON',
    description: 'which notices Slack gets: all, warnings (and failures), failures; approvals and incidents always go out',
    default: 'all',
  },
  {
    name: 'VERIFY_DATABASE_URL',
    description: 'server for test restores (its database is used for admin connections); needs CREATEDB',
    default: "the backed-up database's server",
    secret: true,
  },
  { name: 'VERIFY_SIZE_CHANGE_PERCENT', description: 'size change against earlier backups that warns', default: '50' },
  { name: 'VERIFY_SIZE_HISTORY', description: 'how many earlier backups the size is compared with', default: '7' },
  { name: 'VERIFY_RESTORE_JOBS', description: 'pg_restore --jobs for test restores', default: '2' },
  {
    name: 'VERIFY_WAL_SEGMENTS',
    description:
      'a server in WAL_ARCHIVE: WAL segments archived since the last verify that a run reads back at most (decrypted, checksums, pg_waldump); the rest waits for the next run; 0 turns the read-back off',
    default: '4096 (64 GiB of 16 MiB segments)',
  },
  {
    name: 'VERIFY_WAL_REREAD_DAYS',
    description:
      'a server in WAL_ARCHIVE: days after which verify begins a pass reading every archived segment again (bit rot in one read long ago), within VERIFY_WAL_SEGMENTS after the new segments, over as many runs as it needs; 0 never reads a segment twice',
    default: '30',
  },
  {
    name: 'PGWARDEN_WORK_DIR',
    description:
      'folder under which a private pgwarden-work/ (mode 0700) holds the decrypted dump a parallel restore reads; removed afterwards, and by the janitor when its run died',
    default: 'the system temp folder',
  },
  {
    name: 'WAL_ARCHIVE',
    description:
      'databases whose servers are archived continuously (point-in-time recovery), comma-separated; each server is known by that id',
  },
  {
    name: 'WAL_ARCHIVE_COMMAND_ONLY',
    description:
      "servers of WAL_ARCHIVE whose WAL reaches the bucket only through their archive_command (pgwarden wal push), comma-separated: nothing streams, no slot is kept, archiving watches the server's archiver",
    default: 'none',
  },
  {
    name: 'WAL_PARTIAL_UPLOAD_SECONDS',
    description: 'how often the WAL segment being written is shipped as it stands (the RPO without a segment switch)',
    default: '5',
  },
  {
    name: 'WAL_PARTIAL_UPLOAD_KB',
    description:
      'ship the segment being written sooner, every second at most, while this much WAL is not in S3 yet (a busy server); 0: only every WAL_PARTIAL_UPLOAD_SECONDS',
    default: '64',
  },
  {
    name: 'WAL_SYNCHRONOUS',
    description: 'pg_receivewal --synchronous: flush and confirm every write (for a synchronous_standby_names quorum)',
    default: 'false',
  },
  {
    name: 'WAL_MAX_LAG_SECONDS',
    description: 'the watchdog alerts when the WAL archive is further behind the server, or archiving has not run for longer',
    default: '60',
  },
  {
    name: 'WAL_MAX_RETAINED_MB',
    description: "the watchdog alerts when pgwarden's replication slot holds more WAL on the server's disk",
    default: '10240',
  },
  {
    name: 'BASEBACKUP_INCREMENTALS',
    description:
      'incremental base backups (PostgreSQL 17+, summarize_wal = on) taken after each full one before the next full one; a base backup that cannot be incremental is full and says why',
    default: '0 (every base backup full)',
  },
  {
    name: 'BASEBACKUP_SPOOL_MB',
    description:
      "how much of a base backup of a server with tablespaces (or with incrementals on) the worker's disk (PGWARDEN_WORK_DIR) holds at once: pg_basebackup waits while the upload catches up",
    default: '512',
  },
  {
    name: 'TASK_QUEUE_<SERVER>',
    description:
      "task queue of the worker on that archived server's host: archiving, base backups and point-in-time restores run there",
    default: 'PGWARDEN_TASK_QUEUE',
  },
  {
    name: 'PGWARDEN_WORKER_SERVES',
    description: 'archived servers whose host queues this worker polls, comma-separated, or none',
    default: 'all of WAL_ARCHIVE',
  },
  { name: 'SCHEDULE_TIMEZONE', description: 'time zone of the schedules', default: 'UTC' },
  { name: 'SCHEDULE_BACKUP_CRON', description: 'daily backup (strategy: 02:00 UTC)', default: '0 2 * * *' },
  { name: 'SCHEDULE_VERIFY_CRON', description: 'weekly verification (strategy: Sundays 03:00 UTC)', default: '0 3 * * 0' },
  { name: 'SCHEDULE_CLEANUP_CRON', description: 'monthly cleanup (strategy: the 1st, 04:00 UTC)', default: '0 4 1 * *' },
  { name: 'SCHEDULE_CHECK_CRON', description: 'daily missing-backup check', default: '0 6 * * *' },
  {
    name: 'SCHEDULE_BASEBACKUP_CRON',
    description: 'base backups of the servers in WAL_ARCHIVE (point-in-time recovery)',
    default: '0 1 * * 0',
  },
  {
    name: 'SCHEDULE_RESTORE_TEST_CRON',
    description: 'the monthly restore test (a temporary database, and a temporary instance for WAL_ARCHIVE servers), or off',
    default: '0 5 2 * *',
  },
  {
    name: 'RESTORE_TEST_MAX_AGE_DAYS',
    description: 'the check alerts when no restore test passed for this long (while the restore test schedule is on)',
    default: '35',
  },
  {
    name: 'RESTORE_TEST_CREATE_ROLES',
    description:
      "the restore test creates the roles the test-restore server lacks from the backup's globals (as restore --create-roles), instead of failing",
    default: 'false',
  },
  {
    name: 'SCHEDULE_DR_DRILL_CRON',
    description: 'the quarterly disaster recovery drill (severity DRILL, into a database of its own), or off',
    default: '0 10 15 1,4,7,10 *',
  },
  {
    name: 'DR_DRILL_MAX_AGE_DAYS',
    description: 'the check alerts when no drill was resolved for this long (while the drill schedule is on)',
    default: '100',
  },
  {
    name: 'SCHEDULE_DR_SCENARIO_CRON',
    description: 'the annual complete recovery scenario (a drill with the server lost), for the servers in WAL_ARCHIVE, or off',
    default: '0 10 1 2 *',
  },
  {
    name: 'DR_SCENARIO_MAX_AGE_DAYS',
    description: 'the check alerts when no server-lost drill was resolved for this long (while its schedule is on)',
    default: '380',
  },
  {
    name: 'DR_DRILL_ESCALATE',
    description: 'drills escalate like real incidents (levels 2-4) instead of level 1 only',
    default: 'false',
  },
  {
    name: 'DR_DRILL_ATTENDED',
    description: 'scheduled drills wait for on-call at each human step instead of pgwarden taking them',
    default: 'false',
  },
  {
    name: 'MISSING_BACKUP_MAX_AGE_HOURS',
    description: 'the check alerts when the newest complete backup is older',
    default: '26',
  },
  {
    name: 'MISSING_VERIFICATION_MAX_AGE_DAYS',
    description:
      'the check alerts when the newest verified backup is older, or (WAL_ARCHIVE) no base backup verification passed for this long',
    default: '8',
  },
  {
    name: 'BASEBACKUP_MAX_AGE_DAYS',
    description: 'the check alerts when the newest base backup of a server in WAL_ARCHIVE is older',
    default: '8',
  },
  {
    name: 'S3_STORAGE_PRICES',
    description:
      "USD per GB-month by storage class for the report's cost estimate: CLASS=price,... over AWS us-east-1 list prices",
    default: 'STANDARD=0.023,STANDARD_IA=0.0125,GLACIER=0.0036,DEEP_ARCHIVE=0.00099, ...',
  },
  {
    name: 'STORAGE_BUDGET_USD',
    description:
      "what each database's backups, base backups and WAL may cost a month in the bucket (the estimate above); the daily check warns above it",
    default: 'none',
  },
  {
    name: 'BACKUP_LOG_FILE',
    description: 'the worker appends its lines of backups, verifications, cleanups, checks, base backups and WAL archiving here',
    default: 'none (stderr only)',
  },
  {
    name: 'RESTORE_LOG_FILE',
    description:
      'the worker appends its lines of restores, point-in-time restores, table recoveries, restore tests and incidents here',
    default: 'none (stderr only)',
  },
  {
    name: 'NOTIFICATION_LOG_FILE',
    description: 'the worker appends a line per notice and channel here: sent, left out by a setting, or not delivered and why',
    default: 'none (stderr only)',
  },
  {
    name: 'METRICS_PORT',
    description: "worker's Prometheus endpoint (/metrics): Temporal SDK metrics and pgwarden_* backup metrics; 0 turns it off",
    default: '9464',
  },
  { name: 'METRICS_HOST', description: 'address the metrics endpoint listens on', default: '0.0.0.0' },
  { name: 'CONSOLE_HOST', description: 'address the incident console listens on', default: '127.0.0.1' },
  { name: 'CONSOLE_PORT', description: 'port of the incident console (pgwarden console)', default: '8088' },
  {
    name: 'CONSOLE_PUBLIC_URL',
    description: 'how people reach the console, for the links in notices',
    default: 'http://CONSOLE_HOST:CONSOLE_PORT',
  },
  {
    name: 'CONSOLE_OPERATORS',
    description: 'who may log in: name:hash pairs from pgwarden console hash-password, comma-separated',
    default: 'none',
  },
  {
    name: 'CONSOLE_TRUSTED_USER_HEADER',
    description: "a trusted reverse proxy's user header (oauth2-proxy: X-Forwarded-User) instead of the console's own login",
    default: 'none',
  },
  {
    name: 'CONSOLE_SESSION_SECRET',
    description: "signs the console's sessions, form tokens and acknowledgement links (a secret, 32+ characters)",
    default: 'none (required by pgwarden console)',
    secret: true,
  },
  {
    name: 'SLACK_SIGNING_SECRET',
    description:
      "the Slack app's signing secret: level 1 Slack notices get an Acknowledge button, whose requests the console verifies with it",
    secret: true,
  },
  {
    name: 'SLACK_ALLOWED_USERS',
    description:
      'the Slack user ids (U0123ABC) and user groups (S0123ABC, read with usergroups:read) who may act on incidents from Slack: buttons, forms, /pgwarden open; unset: whoever sees the notice',
  },
  { name: 'CONSOLE_SESSION_HOURS', description: 'how long a console login lasts', default: '12' },
  { name: 'CONSOLE_ACK_LINK_HOURS', description: "how long the level 1 mail's acknowledgement link works", default: '24' },
  {
    name: 'ESCALATION_L1_EMAIL',
    description: 'disaster recovery, level 1: the DevOps team, alerted at once',
    default: 'NOTIFY_EMAIL_TO',
  },
  {
    name: 'ESCALATION_L1_REPEAT_MINUTES',
    description: 'level 1 repeats at this interval until someone acknowledges',
    default: '15',
  },
  { name: 'ESCALATION_L2_EMAIL', description: 'level 2: the manager', default: 'NOTIFY_EMAIL_TO' },
  {
    name: 'ESCALATION_L2_AFTER_MINUTES',
    description: 'level 2 this long after the incident opened, unless resolved (strategy: 1 hour)',
    default: '60',
  },
  { name: 'ESCALATION_L3_EMAIL', description: 'level 3: the executive', default: 'NOTIFY_EMAIL_TO' },
  {
    name: 'ESCALATION_L3_AFTER_MINUTES',
    description: 'level 3 this long after the incident opened, unless resolved (strategy: 4 hours)',
    default: '240',
  },
  {
    name: 'ESCALATION_L4_EMAIL',
    description: 'level 4: who notifies customers (support, status page), when the assessment declares customer impact',
    default: 'NOTIFY_EMAIL_TO',
  },
  {
    name: 'ESCALATION_UPDATE_REMINDER_MINUTES',
    description:
      'once the manager was told, level 1 is reminded to post a status update (dr note --tell) after this many minutes without one; 0: never',
    default: '30',
  },
  {
    name: 'ESCALATION_ONCALL',
    description:
      'an on-call rotation: e-mail addresses taking level 1 in turn, one shift each (per named matrix too); whoever is on call when an incident opens is alerted first',
  },
  { name: 'ESCALATION_ONCALL_FROM', description: 'when the first shift of ESCALATION_ONCALL begins (ISO time with its zone)' },
  { name: 'ESCALATION_ONCALL_SHIFT_HOURS', description: 'the length of one on-call shift, in hours', default: '168' },
  {
    name: 'ESCALATION_ONCALL_REMIND_HOURS',
    description: 'mail whoever comes on call this many hours before their shift begins (0: no reminder)',
    default: '0',
  },
  {
    name: 'ESCALATION_ONCALL_REMIND_HOURS_FOR',
    description:
      "each person's own reminder lead, over ESCALATION_ONCALL_REMIND_HOURS: <address>=<hours>, comma-separated (0: none)",
  },
  {
    name: 'ESCALATION_ONCALL_BACKUP_AFTER_MINUTES',
    description:
      'alert the backup on call when nobody has acknowledged an incident this many minutes after it opened; earlier than level 2 (0: no backup)',
    default: '0',
  },
  {
    name: 'ESCALATION_ONCALL_BACKUP',
    description:
      'the backup rotation: addresses taking the backup in turn, the same shifts as ESCALATION_ONCALL; absent: whoever is on call next',
  },
  {
    name: 'ESCALATION_ONCALL_HANDOVERS',
    description:
      'mail whoever comes on call and whoever goes off at each handover of a rotation (and post it to Slack); false also stops the shift reminders',
    default: 'true',
  },
  {
    name: 'ESCALATION_ONCALL_OVERRIDES',
    description: 'someone standing in on call for a while: <from>/<until>=<address>, comma-separated (ISO times with their zone)',
  },
  {
    name: 'ESCALATION_ONCALL_BACKUP_OVERRIDES',
    description:
      'someone standing in as the backup on call for a while: <from>/<until>=<address>, comma-separated (needs ESCALATION_ONCALL_BACKUP_AFTER_MINUTES)',
  },
  {
    name: 'ESCALATION_MATRICES',
    description:
      'further named matrices an incident can choose; each reads ESCALATION_<NAME>_L1_EMAIL etc. over the default matrix',
  },
  {
    name: 'DR_SMOKE_QUERIES',
    description: 'recovery check: SQL queries separated by ";" that must each return a row on the recovered database',
  },
  { name: 'DR_HEALTH_URL', description: 'recovery check: an HTTP health URL that must answer 200', secret: true },
  {
    name: 'PGWARDEN_OPERATOR',
    description:
      'who approves restores and acts in incidents from this CLI, when --as is not given (required where the login name is root)',
    default: 'the login name',
  },
  { name: 'PGWARDEN_TASK_QUEUE', description: 'Temporal task queue of the worker', default: 'pgwarden' },
  { name: 'PGWARDEN_CONFIG', description: 'env file to read (same as --config)' },
  { name: 'TEMPORAL_UI_URL', description: 'Temporal Web UI base URL, for links to runs' },
  { name: 'TEMPORAL_ADDRESS', description: 'Temporal frontend host:port (Temporal convention)', default: 'localhost:7233' },
  { name: 'TEMPORAL_NAMESPACE', description: 'Temporal namespace', default: 'default' },
  { name: 'TEMPORAL_API_KEY', description: 'API key for Temporal Cloud', secret: true },
  {
    name: 'TEMPORAL_TLS',
    description: 'use TLS to Temporal (with TEMPORAL_TLS_CLIENT_CERT_PATH, ..._KEY_PATH, ..._SERVER_CA_CERT_PATH)',
  },
  { name: 'TEMPORAL_PROFILE', description: 'profile of the temporal.toml config file (TEMPORAL_CONFIG_FILE)' },
];
