import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary } from '../../src/app/cli/commands/backup';
import { channelProblems, formatPreflight } from '../../src/app/cli/commands/check';
import { preflightReport } from '../support/preflight-report';
import { loadConfig } from '../../src/infra/config/config';
import { ConfigError } from '../../src/infra/errors/errors';
import { channelTakes, Notice } from '../../src/infra/notify/notice';
import { briefOf, incidentNotice, IncidentNoticeKind } from '../../src/operations/dr/notices';
import { walWatchNotice } from '../../src/operations/pitr/notices';
import { restoreNotice } from '../../src/operations/restore/notices';
import { tableRecoveryNotice } from '../../src/operations/table-recovery/notices';
import type { BackupSummary } from '../../workflows/backup';

const ROOT = join(__dirname, '..', '..');

describe('which notices a channel gets (NOTIFY_EMAIL_ON, NOTIFY_SLACK_ON)', () => {
  const n = (severity: Notice['severity'], more: Partial<Notice> = {}) => ({ severity, ...more });
  it.each([
    ['all', n('info'), true],
    ['all', n('critical'), true],
    ['warnings', n('info'), false],
    ['warnings', n('warning'), true],
    ['warnings', n('critical'), true],
    ['failures', n('info'), false],
    ['failures', n('warning'), false],
    ['failures', n('critical'), true],
    // Someone waits on it, or an incident's escalation chose who hears of it.
    ['failures', n('info', { alwaysSent: true }), true],
    ['failures', n('warning', { alwaysSent: true }), true],
    // A recovery goes where its alert went, and no further.
    ['failures', n('info', { resolves: 'critical' }), true],
    ['failures', n('info', { resolves: 'warning' }), false],
    ['warnings', n('info', { resolves: 'warning' }), true],
  ] as const)('%s, %j: %s', (on, notice, expected) => {
    expect(channelTakes(on, notice)).toBe(expected);
  });
});

describe('the settings', () => {
  const base = {
    DATABASE_URL: 'postgres://app:pw@db/shop',
    BACKUP_S3_BUCKET: 'acme-backups',
    BACKUP_ENCRYPTION_KEY: 'a'.repeat(64),
    SMTP_HOST: 'mail',
    NOTIFY_EMAIL_TO: 'ops@example.com',
  };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env, { require: [] });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it('default to every notice on every channel, and read each channel on its own', () => {
    expect(loadConfig(base, { require: [] }).notifications).toMatchObject({ emailOn: 'all', slackOn: 'all' });
    const c = loadConfig(
      { ...base, SLACK_WEBHOOK_URL: 'https://hooks.example/x', NOTIFY_EMAIL_ON: 'warnings', NOTIFY_SLACK_ON: 'Failures' },
      { require: [] },
    );
    expect(c.notifications).toMatchObject({ emailOn: 'warnings', slackOn: 'failures' });
  });

  it.each([
    [{ NOTIFY_EMAIL_ON: 'errors' }, 'NOTIFY_EMAIL_ON: expected one of all, warnings, failures, got "errors"'],
    [{ NOTIFY_SLACK_ON: 'failures' }, 'NOTIFY_SLACK_ON: set, but no Slack is configured'],
    [{ SMTP_HOST: '', NOTIFY_EMAIL_TO: '', NOTIFY_EMAIL_ON: 'failures' }, 'NOTIFY_EMAIL_ON: set, but no e-mail is configured'],
  ])('name a mistake: %j', (env, expected) => {
    expect(problems({ ...base, ...env }).join('\n')).toContain(expected);
  });
});

describe('the notices that pass every filter', () => {
  const kinds: IncidentNoticeKind[] = [
    'level1',
    'level1-reminder',
    'acknowledged',
    'level2',
    'level3',
    'level4',
    'customer-closing',
    'resolved',
    'aborted',
    'not-opened',
  ];
  const brief = briefOf({
    incidentId: 'dr-shop-1',
    database: 'shop',
    severity: 'SEV1',
    summary: 'orders lost',
    step: 'assess',
    openedAt: '2026-12-06T10:00:00Z',
    failureTime: '2026-12-06T09:50:00Z',
    escalation: { acknowledgedBy: null, sent: [1] },
    timeline: [],
    assessment: null,
  } as unknown as Parameters<typeof briefOf>[0]);

  it.each(kinds)('incident %s: escalation decides, not the channel filters', (kind) => {
    const notice = incidentNotice(kind, brief, new Date('2026-12-06T11:00:00Z'));
    expect(notice.alwaysSent).toBe(true);
    expect(channelTakes('failures', notice)).toBe(true);
  });

  it('approval requests: a restore waits on them', () => {
    const restore = restoreNotice({
      status: 'approval-needed',
      database: 'shop',
      backupId: 'backup_20261206_100000',
      workflowId: 'w',
      timeoutMinutes: 60,
    });
    const table = tableRecoveryNotice({
      status: 'approval-needed',
      server: 'shop',
      into: 'shop',
      target: 'backup_20261206_100000',
      workflowId: 'w',
      tables: ['public.orders'],
      source: 'backup_20261206_100000',
      timeoutMinutes: 60,
    });
    expect([restore, table].map((x) => [x.event, channelTakes('failures', x)])).toEqual([
      ['restore.approval-needed', true],
      ['table-recovery.approval-needed', true],
    ]);
  });

  it("WAL's recoveries reach whoever got the alert; routine successes do not pass 'warnings'", () => {
    const on = (notice: Notice) => [notice.event, channelTakes('failures', notice)];
    expect(on(walWatchNotice({ kind: 'caught-up', server: 'shop', lagSeconds: 1 }))).toEqual(['wal.caught-up', true]);
    expect(on(walWatchNotice({ kind: 'archive-command-recovered', server: 'shop' }))).toEqual([
      'wal.archive-command-recovered',
      true,
    ]);
    const started = restoreNotice({
      status: 'started',
      database: 'shop',
      backupId: 'b',
      target: 'shop',
      mode: 'new',
      workflowId: 'w',
    });
    expect(channelTakes('warnings', started)).toBe(false);
  });
});

describe('what the CLI says of the filters', () => {
  it('check names each channel and its filter', () => {
    const report = preflightReport({ notifications: { email: true, slack: true, slackOn: 'failures' } });
    expect(formatPreflight(report)).toContain('notify     e-mail on, Slack on (failures only)');
    const older = { ...report, notifications: { email: true, slack: false } };
    expect(formatPreflight(older)).toContain('notify     e-mail on, Slack off');
    // pgwarden check: each channel proven without a notice, one line each; a failure said below the report.
    const checked = preflightReport({
      notifications: {
        email: true,
        slack: true,
        pagerDuty: true,
        checks: [
          { channel: 'email', status: 'ok', detail: 'SMTP mail:587 accepted the login of pgwarden' },
          { channel: 'slack', status: 'unchecked', detail: 'an incoming webhook is proven only by posting to it' },
          {
            channel: 'pagerduty',
            status: 'failed',
            detail: "PagerDuty's Events API (events.pagerduty.com) not reached: ETIMEDOUT (4 attempts): check ...",
          },
        ],
      },
    });
    expect(
      formatPreflight(checked)
        .split('\n')
        .filter((l) => l.startsWith('notify')),
    ).toEqual([
      'notify     e-mail on, Slack on, PagerDuty on',
      'notify     e-mail: SMTP mail:587 accepted the login of pgwarden',
      'notify     Slack: not checked: an incoming webhook is proven only by posting to it',
      'notify     PagerDuty: FAILED (below)',
    ]);
    // The worker's log files and budget, when set.
    const kept = formatPreflight(
      preflightReport({ logs: { backup: '/var/log/b.log', notification: '/var/log/n.log' }, budgetUsd: 25 }),
    ).split('\n');
    expect(kept.filter((l) => /^(logs|budget) /.test(l))).toEqual([
      'logs       backup /var/log/b.log, notification /var/log/n.log',
      'budget     $25.00 a month per database (STORAGE_BUDGET_USD)',
    ]);
    expect(formatPreflight(preflightReport())).not.toMatch(/^(logs|budget) /m);
    expect(channelProblems(checked)).toEqual([
      "PagerDuty notices cannot go out: PagerDuty's Events API (events.pagerduty.com) not reached: ETIMEDOUT (4 attempts): check ...",
    ]);
  });

  it("the backup's summary says which channel was left out, and by what", () => {
    const summary = {
      database: 'shop',
      backupId: 'backup_20261206_100000',
      bucket: 'b',
      dataKey: 'd',
      manifestKey: 'm',
      rawBytes: 1,
      storedBytes: 1,
      sha256: 'x',
      tables: 1,
      rows: 1,
      durationMs: 1000,
      encryption: { algorithm: 'AES-256-GCM', keyId: 'k' },
      notifications: [
        { channel: 'email', ok: true },
        { channel: 'slack', ok: true, skipped: 'NOTIFY_SLACK_ON=failures' },
      ],
    } as BackupSummary;
    expect(formatSummary(summary)).toContain('notified   email ok, slack not sent (NOTIFY_SLACK_ON=failures)');
  });
});

describe("the README's list of notices", () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
    });
  }
  /** Every event a notice is built with: literals on an `event:` line, and incident.<kind> of the kinds that build their own. */
  function eventsInSource(): Set<string> {
    const events = new Set<string>();
    for (const file of ['src', 'activities', 'workflows'].flatMap((d) => sourceFiles(join(ROOT, d)))) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const at = line.search(/\bevent: /);
        if (at < 0) continue;
        for (const m of line.slice(at).matchAll(/'([a-z-]+\.[a-z0-9-]+)'/g)) events.add(m[1]);
      }
    }
    // `incident.${kind}` serves the escalation levels 2 and 3.
    events.add('incident.level2');
    events.add('incident.level3');
    return events;
  }
  function eventsInReadme(): Set<string> {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Notices'), readme.indexOf('## Exit codes'));
    return new Set([...section.matchAll(/^\| `([a-z-]+\.[a-z0-9-]+)` \|/gm)].map((m) => m[1]));
  }

  it('names every event pgwarden sends, and none it does not', () => {
    const source = eventsInSource();
    const readme = eventsInReadme();
    expect(source.size).toBeGreaterThan(30);
    expect([...source].filter((e) => !readme.has(e)).sort()).toEqual([]);
    expect([...readme].filter((e) => !source.has(e)).sort()).toEqual([]);
  });
});
