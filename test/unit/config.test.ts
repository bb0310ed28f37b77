import { inspect } from 'node:util';
import { loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { deriveKeyId } from '../../src/infra/config/encryption';
import { EnvReader } from '../../src/infra/config/env-reader';
import { readDatabases } from '../../src/infra/config/databases';
import { ConfigError } from '../../src/infra/errors/errors';
import { hostQueueInput, walArrivesVia } from '../../src/infra/config/wal';

const KEY_HEX = 'a'.repeat(64);
const KEY_B64 = Buffer.alloc(32, 7).toString('base64');

const valid = {
  DATABASE_URL: 'postgres://app:s3cret-pw@db.internal:5433/shop',
  BACKUP_S3_BUCKET: 'acme-backups',
  BACKUP_ENCRYPTION_KEY: KEY_HEX,
};

function problemsOf(env: Record<string, string>, require = WORKER_NEEDS): string[] {
  try {
    loadConfig(env, { require });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads the Slack users and user groups allowed to act, refusing a name for an id', () => {
    expect(loadConfig({ ...valid, SLACK_ALLOWED_USERS: 'U0ALICE, W0BOB, S0ONCALL' }).console.slackAllowedUsers).toEqual(
      new Set(['U0ALICE', 'W0BOB', 'S0ONCALL']),
    );
    expect(loadConfig(valid).console.slackAllowedUsers).toBeUndefined();
    expect(problemsOf({ ...valid, SLACK_ALLOWED_USERS: '@alice' })).toEqual([
      'SLACK_ALLOWED_USERS: "@alice" is not a Slack user id (U0123ABC: the profile\'s "Copy member ID") or user group id (S0123ABC: the group\'s "Copy group ID")',
    ]);
  });

  it('reads PagerDuty: the key kept secret, the EU region, drills left out unless asked', () => {
    const key = 'R0uT1nGkEy' + '0'.repeat(22);
    const c = loadConfig({
      ...valid,
      PAGERDUTY_ROUTING_KEY: ` ${key} `,
      PAGERDUTY_EVENTS_URL: 'https://events.eu.pagerduty.com/v2/enqueue',
    });
    expect(c.notifications.pagerDuty?.routingKey.reveal()).toBe(key);
    expect(c.notifications.pagerDuty).toMatchObject({ eventsUrl: 'https://events.eu.pagerduty.com/v2/enqueue', drills: false });
    expect(inspect(c)).not.toContain(key);
    expect(loadConfig({ ...valid, PAGERDUTY_ROUTING_KEY: key, PAGERDUTY_DRILLS: 'true' }).notifications.pagerDuty).toMatchObject({
      eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
      drills: true,
    });
    expect(loadConfig(valid).notifications.pagerDuty).toBeUndefined();
    expect(problemsOf({ ...valid, PAGERDUTY_ROUTING_KEY: 'hunter2-routing' }).join()).not.toContain('hunter2');
  });

  it('reads a minimal worker configuration with the strategy defaults', () => {
    const c = loadConfig(valid, { require: WORKER_NEEDS });
    expect(c.databases).toEqual([
      expect.objectContaining({ id: 'shop', host: 'db.internal', port: 5433, user: 'app', database: 'shop' }),
    ]);
    expect(c.databases[0].password?.reveal()).toBe('s3cret-pw');
    expect(c.storage).toMatchObject({
      bucket: 'acme-backups',
      prefix: 'database-backups',
      storageClass: 'STANDARD_IA',
      serverSideEncryption: 'AES256',
      forcePathStyle: false,
      region: 'us-east-1',
    });
    expect(c.encryption?.algorithm).toBe('AES-256-GCM');
    expect(c.encryption?.activeKeyId).toBe(deriveKeyId(KEY_HEX));
    expect(c.backup).toEqual({
      format: 'custom',
      compression: { algorithm: 'zstd', level: 1 },
      jobs: 1,
      retentionDays: 30,
      globalsWithPasswords: false,
      retryWindowMinutes: 10,
    });
    expect(c.temporal.taskQueue).toBe('pgwarden');
  });

  it('needs nothing but valid values for a CLI client', () => {
    expect(problemsOf({}, [])).toEqual([]);
  });

  it.each([
    [{ BACKUP_S3_BUCKET: undefined }, 'BACKUP_S3_BUCKET: missing'],
    [{ BACKUP_ENCRYPTION_KEY: undefined }, 'BACKUP_ENCRYPTION_KEY: missing'],
    [{ DATABASE_URL: undefined }, 'DATABASE_URL: missing'],
    [{ BACKUP_S3_BUCKET: 'Bad_Bucket' }, 'BACKUP_S3_BUCKET: "Bad_Bucket" is not a valid bucket name'],
    [{ BACKUP_RETENTION_DAYS: 'thirty' }, 'BACKUP_RETENTION_DAYS: expected a whole number from 1 to 36500, got "thirty"'],
    [{ BACKUP_COMPRESSION_LEVEL: '20' }, 'BACKUP_COMPRESSION_LEVEL: expected a whole number from 1 to 19'],
    [
      { BACKUP_COMPRESSION: 'gzip', BACKUP_COMPRESSION_LEVEL: '12' },
      'BACKUP_COMPRESSION_LEVEL: expected a whole number from 1 to 9',
    ],
    [{ BACKUP_COMPRESSION: 'brotli' }, 'BACKUP_COMPRESSION: expected one of zstd, gzip, lz4, none'],
    [{ ENCRYPTION_ALGORITHM: 'ROT13' }, 'ENCRYPTION_ALGORITHM: expected one of AES-256-GCM, AES-256-CBC, got "ROT13"'],
    [{ S3_SERVER_SIDE_ENCRYPTION: 'aws:kms' }, 'S3_SSE_KMS_KEY_ID: missing'],
    [{ S3_ENDPOINT: 'localhost:9000' }, 'S3_ENDPOINT: expected an http(s) URL'],
    [{ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE' }, 'AWS_SECRET_ACCESS_KEY: set both'],
    [{ S3_OBJECT_LOCK_MODE: 'COMPLIANCE' }, 'S3_OBJECT_LOCK_DAYS: missing'],
    [{ SMTP_HOST: 'mail.example.com' }, 'NOTIFY_EMAIL_TO: missing'],
    [{ SMTP_HOST: 'mail.example.com', NOTIFY_EMAIL_TO: 'ops', SMTP_USER: 'u' }, 'SMTP_PASSWORD: set both'],
    [{ SLACK_WEBHOOK_URL: 'not a url' }, 'SLACK_WEBHOOK_URL: expected an https:// URL'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_CHANNEL: set both SLACK_BOT_TOKEN'],
    [{ SLACK_CHANNEL: 'C0OPS' }, 'SLACK_BOT_TOKEN: set both SLACK_BOT_TOKEN'],
    [{ PAGERDUTY_ROUTING_KEY: 'hunter2' }, 'PAGERDUTY_ROUTING_KEY: expected the 32-character Integration Key'],
    [{ PAGERDUTY_DRILLS: 'true' }, 'PAGERDUTY_DRILLS: set, but PAGERDUTY_ROUTING_KEY is not'],
    [
      { PAGERDUTY_EVENTS_URL: 'https://events.eu.pagerduty.com/v2/enqueue' },
      'PAGERDUTY_EVENTS_URL: set, but PAGERDUTY_ROUTING_KEY',
    ],
    [
      { PAGERDUTY_ROUTING_KEY: 'a'.repeat(32), PAGERDUTY_EVENTS_URL: 'events.pagerduty.com' },
      'PAGERDUTY_EVENTS_URL: expected an https:// URL',
    ],
    [{ BACKUP_FORMAT: 'tar' }, 'BACKUP_FORMAT: expected one of custom, plain'],
    [{ BACKUP_JOBS: '0' }, 'BACKUP_JOBS: expected a whole number from 1 to 16, got "0"'],
    [{ BACKUP_JOBS: '2', BACKUP_FORMAT: 'plain' }, 'BACKUP_JOBS: 2 parallel dumps need BACKUP_FORMAT=custom'],
    [{ WAL_ARCHIVE: 'nope' }, 'WAL_ARCHIVE: "nope" is not a configured database'],
    [{ PGWARDEN_WORKER_SERVES: 'app' }, 'PGWARDEN_WORKER_SERVES: "app" is not in WAL_ARCHIVE (empty)'],
    [{ WAL_ARCHIVE_COMMAND_ONLY: 'app' }, 'WAL_ARCHIVE_COMMAND_ONLY: "app" is not in WAL_ARCHIVE (empty)'],
  ])('reports %j as a problem naming the variable', (change, expected) => {
    const env = { ...valid, ...change } as Record<string, string>;
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete env[k];
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reports every problem at once, one line each', () => {
    const problems = problemsOf({ BACKUP_RETENTION_DAYS: '-1', ENCRYPTION_ALGORITHM: 'x' });
    expect(problems.length).toBeGreaterThanOrEqual(4);
    for (const p of problems) expect(p).not.toContain('\n');
  });

  it('never echoes a secret in a problem', () => {
    const problems = problemsOf({
      DATABASE_URL: 'postgres://app:hunter2-database@db:notaport/x',
      BACKUP_S3_BUCKET: 'acme-backups',
      BACKUP_ENCRYPTION_KEY: 'hunter2-passphrase',
      SLACK_WEBHOOK_URL: 'hunter2-webhook',
      BACKUP_ENCRYPTION_PREVIOUS_KEYS: 'old:hunter2-old-key',
    });
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.join('\n')).not.toMatch(/hunter2/);
  });

  it('accepts a base64 key, and a passphrase only for AES-256-CBC', () => {
    expect(problemsOf({ ...valid, BACKUP_ENCRYPTION_KEY: KEY_B64 })).toEqual([]);
    expect(problemsOf({ ...valid, BACKUP_ENCRYPTION_KEY: 'correct horse battery staple' })[0]).toMatch(
      /^BACKUP_ENCRYPTION_KEY: expected 32 random bytes/,
    );
    const cbc = loadConfig(
      { ...valid, ENCRYPTION_ALGORITHM: 'aes-256-cbc', BACKUP_ENCRYPTION_KEY: 'correct horse battery staple' },
      { require: WORKER_NEEDS },
    );
    expect(cbc.encryption?.algorithm).toBe('AES-256-CBC');
    expect(cbc.encryption?.keys.get(cbc.encryption.activeKeyId)?.bytes).toBeUndefined();
  });

  it("keeps an old script's passphrase as a previous key whatever the active algorithm", () => {
    const gcm = loadConfig(
      { ...valid, BACKUP_ENCRYPTION_PREVIOUS_KEYS: 'cron:correct horse battery staple' },
      { require: WORKER_NEEDS },
    );
    expect(gcm.encryption?.algorithm).toBe('AES-256-GCM');
    expect(gcm.encryption!.keys.get('cron')?.bytes).toBeUndefined();
    expect(gcm.encryption!.keys.get('cron')?.material.reveal()).toBe('correct horse battery staple');
  });

  it('keeps a key ring: the active key plus previous keys by id', () => {
    const c = loadConfig(
      {
        ...valid,
        BACKUP_ENCRYPTION_KEY_ID: 'k2026',
        BACKUP_ENCRYPTION_PREVIOUS_KEYS: `k2025:${'b'.repeat(64)}, k2024:${KEY_B64}`,
      },
      { require: WORKER_NEEDS },
    );
    expect(c.encryption?.activeKeyId).toBe('k2026');
    expect([...c.encryption!.keys.keys()]).toEqual(['k2026', 'k2025', 'k2024']);
    expect(c.encryption!.keys.get('k2024')!.bytes).toEqual(Buffer.alloc(32, 7));
    expect(
      problemsOf({ ...valid, BACKUP_ENCRYPTION_KEY_ID: 'k1', BACKUP_ENCRYPTION_PREVIOUS_KEYS: `k1:${'b'.repeat(64)}` })[0],
    ).toMatch(/used twice/);
  });

  it('masks secrets however the configuration is printed', () => {
    const c = loadConfig(
      {
        ...valid,
        SLACK_WEBHOOK_URL: 'https://hooks.example/T/B/xyz-secret',
        AWS_ACCESS_KEY_ID: 'AKID',
        AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
      },
      { require: WORKER_NEEDS },
    );
    const printed = [
      JSON.stringify(c),
      inspect(c, { depth: 10 }),
      String(c.databases[0].password),
      `${c.notifications.slackWebhookUrl}`,
    ].join('\n');
    for (const secret of ['s3cret-pw', 'xyz-secret', 'aws-secret-value', KEY_HEX]) expect(printed).not.toContain(secret);
    expect(printed).toContain('[redacted]');
  });
});

describe('database targets', () => {
  const read = (env: Record<string, string>) => {
    const r = new EnvReader(env);
    return { targets: readDatabases(r, true), problems: r.problems };
  };

  it('backs up several databases of one server with BACKUP_DATABASES', () => {
    const { targets } = read({ DATABASE_URL: 'postgresql://u:p@h/ignored', BACKUP_DATABASES: 'app, billing' });
    expect(targets.map((t) => [t.id, t.database, t.port])).toEqual([
      ['app', 'app', 5432],
      ['billing', 'billing', 5432],
    ]);
  });

  it('adds databases on other servers with DATABASE_URL_<ALIAS>', () => {
    const { targets } = read({
      DATABASE_URL: 'postgres://u:p@h/app',
      DATABASE_URL_REPORTING: 'postgres://r:q@other:6432/reports',
    });
    expect(targets.map((t) => [t.id, t.host, t.database])).toEqual([
      ['app', 'h', 'app'],
      ['reporting', 'other', 'reports'],
    ]);
  });

  it('reads the libpq PG* variables', () => {
    const { targets } = read({
      PGHOST: 'pg',
      PGPORT: '6543',
      PGUSER: 'me',
      PGPASSWORD: 'pw',
      PGDATABASE: 'orders',
      PGSSLMODE: 'require',
    });
    expect(targets).toEqual([expect.objectContaining({ id: 'orders', host: 'pg', port: 6543, user: 'me', sslMode: 'require' })]);
  });

  it('rejects a database configured twice', () => {
    const { problems } = read({ DATABASE_URL: 'postgres://u:p@h/app', DATABASE_URL_APP: 'postgres://u:p@other/app' });
    expect(problems).toEqual([expect.stringContaining('database "app" is configured twice')]);
  });

  it.each([
    ['?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x&connect_timeout=5&keepalives=1', []],
    ['?options=-c%20search_path%3Dx', ['DATABASE_URL: options: a parameter pgwarden does not pass']],
    [
      '?host=/var/run/postgresql&target_session_attrs=read-write&host=h2',
      ['DATABASE_URL: host, target_session_attrs: parameters'],
    ],
    ['?password=topsecret&sslcrl=/crl.pem', ['DATABASE_URL: password, sslcrl: parameters']],
    ['?sslmode=requir', ['DATABASE_URL: sslmode "requir" is not one of disable, allow, prefer, require, verify-ca, verify-full']],
    ['?channel_binding=always', ['DATABASE_URL: channel_binding "always" is not one of disable, prefer, require']],
  ])('URL parameters %s: taken, or refused by name', (query, problems) => {
    const { problems: seen } = read({ DATABASE_URL: `postgres://u:p@h/app${query}` });
    expect(seen.map((p) => p.slice(0, problems[0]?.length ?? 0))).toEqual(problems);
    expect(seen.join('\n')).not.toContain('topsecret');
  });

  it('takes channel_binding from the URL, else from PGCHANNELBINDING', () => {
    expect(read({ DATABASE_URL: 'postgres://u:p@h/app?channel_binding=require' }).targets[0].channelBinding).toBe('require');
    expect(read({ DATABASE_URL: 'postgres://u:p@h/app', PGCHANNELBINDING: 'prefer' }).targets[0].channelBinding).toBe('prefer');
    expect(read({ PGHOST: 'h', PGDATABASE: 'app', PGCHANNELBINDING: 'disable' }).targets[0].channelBinding).toBe('disable');
  });

  it('says what a malformed URL should look like without showing it', () => {
    const { problems } = read({ DATABASE_URL: 'mysql://root:topsecret@h/app' });
    expect(problems[0]).toMatch(/^DATABASE_URL: expected postgres:\/\/user:password@host:5432\/database/);
    expect(problems[0]).not.toContain('topsecret');
  });
});

describe('how the WAL of each archived server arrives', () => {
  it('streams unless WAL_ARCHIVE_COMMAND_ONLY names the server', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@h/app',
      DATABASE_URL_ORDERS_EU: 'postgres://u:p@eu/orders',
      WAL_ARCHIVE: 'app,orders_eu',
      WAL_ARCHIVE_COMMAND_ONLY: 'orders_eu',
    });
    expect([walArrivesVia(config.wal, 'app'), walArrivesVia(config.wal, 'orders_eu')]).toEqual(['streaming', 'archive_command']);
  });
});

describe('the spool of a base backup of a server with tablespaces', () => {
  it.each([
    [undefined, 512 * 1048576, []],
    ['64', 64 * 1048576, []],
    ['8', undefined, ['BASEBACKUP_SPOOL_MB: expected a whole number from 16 to 1048576, got "8"']],
  ])('BASEBACKUP_SPOOL_MB=%s: %d bytes at once', (value, bytes, problems) => {
    const env = { ...valid, ...(value ? { BASEBACKUP_SPOOL_MB: value } : {}) };
    expect(problemsOf(env)).toEqual(problems);
    if (bytes) expect(loadConfig(env, { require: WORKER_NEEDS }).wal.baseBackupSpoolBytes).toBe(bytes);
  });
});

describe('host queues of archived servers', () => {
  const base = {
    DATABASE_URL: 'postgres://u:p@h/app',
    DATABASE_URL_ORDERS_EU: 'postgres://u:p@eu/orders',
    WAL_ARCHIVE: 'app,orders_eu',
    PGWARDEN_TASK_QUEUE: 'main',
  };
  it.each([
    [{}, { app: 'main', orders_eu: 'main' }, ['app', 'orders_eu'], {}],
    [{ TASK_QUEUE_ORDERS_EU: 'eu-host' }, { app: 'main', orders_eu: 'eu-host' }, ['app', 'orders_eu'], { hostQueue: 'eu-host' }],
    [
      { TASK_QUEUE_ORDERS_EU: 'eu-host', PGWARDEN_WORKER_SERVES: 'orders_eu' },
      { app: 'main', orders_eu: 'eu-host' },
      ['orders_eu'],
      { hostQueue: 'eu-host' },
    ],
    [
      { TASK_QUEUE_ORDERS_EU: 'eu-host', PGWARDEN_WORKER_SERVES: 'none' },
      { app: 'main', orders_eu: 'eu-host' },
      [],
      { hostQueue: 'eu-host' },
    ],
  ])('%j: queues %j, served %j, a run on orders_eu carries %j', (change, queues, serves, input) => {
    const config = loadConfig({ ...base, ...change });
    expect(config.wal.hostQueues).toEqual(queues);
    expect(config.wal.workerServes).toEqual(serves);
    expect(hostQueueInput(config, 'orders_eu')).toEqual(input);
    expect(hostQueueInput(config, 'app')).toEqual({});
  });
});
