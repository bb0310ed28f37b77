import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivityDeps } from '../../activities/deps';
import { preflightActivity } from '../../activities/preflight';
import type { PreflightReport } from '../../activities';
import { ConfigError, DatabaseConnectionError, StorageError } from '../../src/infra/errors/errors';
import { stackConfig, stackEnv } from '../support/stack-env';
import { channelProblems, formatPreflight } from '../../src/app/cli/commands/check';
import { activityEnvironment } from '../support/temporal';

describe('preflight activity (real database, pg_dump and bucket)', () => {
  it('reports server and pg_dump versions and a writable bucket', async () => {
    const report = await activityEnvironment().run(preflightActivity(createActivityDeps(stackConfig())), { database: 'sample' });
    expect(report).toMatchObject({
      database: 'sample',
      serverMajor: 15,
      pgDump: { major: 15 },
      storage: { bucket: 'pgwarden-backups', writable: true },
      encryption: { algorithm: 'AES-256-GCM' },
      notifications: { email: true, slack: true },
    });
  });

  it('counts a Slack bot as Slack, says what each channel is sent when not everything, and whether it pages', async () => {
    const sinks = stackEnv().PGWARDEN_SINKS_URL!;
    const config = stackConfig({
      SLACK_WEBHOOK_URL: '',
      SLACK_BOT_TOKEN: 'xoxb-good',
      SLACK_CHANNEL: 'C0OPS',
      SLACK_API_URL: `${sinks}/slack-api`,
      NOTIFY_SLACK_ON: 'failures',
    });
    const report = await activityEnvironment().run(preflightActivity(createActivityDeps(config)), { database: 'sample' });
    // Before, a bot without a webhook was reported as "Slack off".
    expect((report as PreflightReport).notifications).toEqual({ email: true, slack: true, slackOn: 'failures', pagerDuty: true });
    const unpaged = stackConfig({ PAGERDUTY_ROUTING_KEY: '', PAGERDUTY_EVENTS_URL: '' });
    const quiet = await activityEnvironment().run(preflightActivity(createActivityDeps(unpaged)), { database: 'sample' });
    expect(formatPreflight(quiet as PreflightReport)).toContain('notify     e-mail on, Slack on, PagerDuty off');
  });

  it('checks the notice channels for pgwarden check, one line each for what cannot go out, without secrets', async () => {
    const sinks = stackEnv().PGWARDEN_SINKS_URL!;
    const broken = stackConfig({
      SMTP_PASSWORD: 'wrong-smtp-password',
      SLACK_WEBHOOK_URL: '',
      SLACK_BOT_TOKEN: 'xoxb-invalid',
      SLACK_CHANNEL: 'C0OPS',
      SLACK_API_URL: `${sinks}/slack-api`,
      PAGERDUTY_EVENTS_URL: `${sinks}/pagerduty/v1/nowhere`,
      BACKUP_LOG_FILE: '/var/log/pgwarden-backup.log',
      STORAGE_BUDGET_USD: '25',
    });
    const checked = (await activityEnvironment().run(preflightActivity(createActivityDeps(broken)), {
      database: 'sample',
      channels: true,
    })) as PreflightReport;
    expect(checked.notifications.checks!.map((c) => [c.channel, c.status])).toEqual([
      ['email', 'failed'],
      ['slack', 'failed'],
      ['pagerduty', 'failed'],
    ]);
    const problems = channelProblems(checked);
    expect(problems).toEqual([
      expect.stringMatching(
        /^e-mail notices cannot go out: Invalid login.*: check SMTP_HOST, SMTP_PORT, SMTP_SECURE, SMTP_USER and SMTP_PASSWORD on the worker$/,
      ),
      'Slack notices cannot go out: Slack auth.test: invalid_auth: check SLACK_BOT_TOKEN (value not shown) and SLACK_API_URL on the worker',
      'PagerDuty notices cannot go out: PagerDuty answered 404: check PAGERDUTY_ROUTING_KEY (value not shown), PAGERDUTY_EVENTS_URL and that the worker reaches it',
    ]);
    expect(formatPreflight(checked)).toContain('notify     e-mail: FAILED (below)');
    // What the worker keeps beside: its log file, its budget.
    expect([checked.logs, checked.budgetUsd]).toEqual([{ backup: '/var/log/pgwarden-backup.log' }, 25]);
    expect(JSON.stringify(checked)).not.toMatch(/wrong-smtp-password|xoxb-invalid/);
    // Before each backup the channels are not checked: no time spent, nobody's service asked.
    const plain = (await activityEnvironment().run(preflightActivity(createActivityDeps(broken)), {
      database: 'sample',
    })) as PreflightReport;
    expect(plain.notifications.checks).toBeUndefined();
  });

  it.each([
    ['an unknown database', {}, 'nope', ConfigError, /database "nope" is not configured on this worker \(configured: sample\)/],
    [
      'a missing bucket',
      { BACKUP_S3_BUCKET: 'missing-bucket' },
      'sample',
      StorageError,
      /bucket "missing-bucket" .*does not exist/,
    ],
    [
      'an unreachable database',
      { DATABASE_URL: 'postgres://pgwarden:x@127.0.0.1:1/sample' },
      'sample',
      DatabaseConnectionError,
      /connection refused/,
    ],
    [
      'a broken pg_dump',
      { PG_BIN_DIR: '/nonexistent' },
      'sample',
      ConfigError,
      /pg_dump is not usable on this worker .*not found on PATH.*set PG_BIN_DIR/,
    ],
  ])('fails clearly on %s', async (_what, overrides, database, type, message) => {
    const deps = createActivityDeps(stackConfig(overrides));
    const err = await activityEnvironment()
      .run(preflightActivity(deps), { database })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain(stackEnv().AWS_SECRET_ACCESS_KEY!);
  });

  it.each(['zstd', 'lz4'])(
    'names a missing %s with the command that installs it, as a configuration failure (exit 78)',
    async (program) => {
      // A PATH without the compressor (pg_dump is found through PG_BIN_DIR).
      const empty = mkdtempSync(join(tmpdir(), 'pgwarden-nopath-'));
      const path = process.env.PATH;
      process.env.PATH = empty;
      try {
        const deps = createActivityDeps(stackConfig({ BACKUP_COMPRESSION: program }));
        const err = await activityEnvironment()
          .run(preflightActivity(deps), { database: 'sample' })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).exitCode).toBe(78);
        expect((err as Error).message).toMatch(
          new RegExp(
            `^${program} is not usable on this worker \\(.*\\) but BACKUP_COMPRESSION=${program}: install it \\(Debian: apt-get install ${program}\\) or choose another BACKUP_COMPRESSION$`,
          ),
        );
      } finally {
        process.env.PATH = path;
        rmSync(empty, { recursive: true, force: true });
      }
    },
  );
});
