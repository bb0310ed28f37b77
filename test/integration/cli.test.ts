/** The built `pgwarden` CLI as a user runs it: clear lines, documented exit codes, no secrets. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { repoRoot, envFile } from '../../devstack/paths';
import { ephemeralPort } from '../../src/infra/net/ports';
import { stackEnv } from '../support/stack-env';
import { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName, withClient } from '../support/databases';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { DatabaseSA } from '../../src/infra/temporal/search-attributes';
import { devServer, uniqueSuffix, uniqueTaskQueue, waitForPoller } from '../support/temporal';

const bin = join(repoRoot, 'bin', 'pgwarden');

function pgwarden(args: string[], env: Record<string, string | undefined> = {}) {
  const res = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH, HOME: '/nonexistent', ...env } as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('pgwarden CLI', () => {
  it('rejects a bad setting with one line per problem, exit 78, and no secret', () => {
    const { code, stderr, stdout } = pgwarden(['worker'], {
      DATABASE_URL: 'postgres://app:TopSecretPw@db:99999999/app',
      BACKUP_ENCRYPTION_KEY: 'TopSecretKey',
      BACKUP_RETENTION_DAYS: 'forever',
    });
    expect(code).toBe(78);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^pgwarden: configuration: DATABASE_URL: expected postgres:\/\//),
      'pgwarden: configuration: BACKUP_S3_BUCKET: missing; name the S3 bucket that holds the backups',
      expect.stringMatching(/^pgwarden: configuration: BACKUP_ENCRYPTION_KEY: expected 32 random bytes/),
      'pgwarden: configuration: BACKUP_RETENTION_DAYS: expected a whole number from 1 to 36500, got "forever"',
    ]);
    expect(stderr).not.toMatch(/TopSecret/);
  });

  it('refuses every schedule when one cron value is invalid: exit 78 naming the variable, before Temporal is asked', () => {
    const { code, stderr } = pgwarden(['schedules', 'apply'], {
      DATABASE_URL: 'postgres://u:p@h/app',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      SCHEDULE_BACKUP_CRON: '99 99 * * *',
    });
    expect(code).toBe(78);
    expect(stderr).toContain(
      'pgwarden: configuration: SCHEDULE_BACKUP_CRON: "99 99 * * *" is not a cron expression like "0 2 * * *": minute: 99 is out of range 0-59',
    );
  });

  it.each([
    [
      ['--new-db', 'template1'],
      '"template1" cannot be restored into: use letters, digits, _ and -, and not postgres, template0 or template1',
    ],
    [
      ['--new-db', 'x; DROP DATABASE app'],
      '"x; DROP DATABASE app" cannot be restored into: use letters, digits, _ and -, and not postgres, template0 or template1',
    ],
    [
      ['--file', '../../sample/data/backup_20240101_120000.dump.enc', '--new-db', 'copy'],
      expect.stringMatching(/^--file \.\.\/\.\.\/sample\/data\/backup_20240101_120000\.dump\.enc: a key may not start with/),
    ],
  ])('refuses restore %j before it starts anything: exit 64, Temporal never asked', (args, line) => {
    const { code, stderr } = pgwarden(['restore', ...args], {
      DATABASE_URL: 'postgres://u:p@h/app',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(code).toBe(64);
    expect(stderr.trim().split('\n')).toEqual([
      typeof line === 'string'
        ? `pgwarden: ${line}`
        : expect.stringMatching(new RegExp(`^pgwarden: ${(line as { sample: RegExp }).sample.source.slice(1)}`)),
    ]);
  });

  it('refuses to start the console when SLACK_ALLOWED_USERS names a user group it has no bot token to read: exit 64, Temporal never asked', () => {
    const { code, stderr } = pgwarden(['console', '--port', '0'], {
      DATABASE_URL: 'postgres://u:p@h/app',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      CONSOLE_SESSION_SECRET: 'x'.repeat(48),
      CONSOLE_TRUSTED_USER_HEADER: 'x-forwarded-user',
      SLACK_ALLOWED_USERS: 'U0ALICE,S0ONCALL',
    });
    expect(code).toBe(64);
    expect(stderr.trim().split('\n')).toEqual([
      "pgwarden: SLACK_ALLOWED_USERS names user group S0ONCALL, which the console reads with the Slack app's token: set SLACK_BOT_TOKEN (with the usergroups:read scope), or name the users",
    ]);
  });

  it('says who is on call now, until when, whom an incident opened now alerts, and the shifts after; without Temporal, the rotation as configured, said so', () => {
    const env = {
      DATABASE_URL: 'postgres://u:p@h/shop',
      ESCALATION_ONCALL: 'alice@x.io,bob@x.io',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
      ESCALATION_L1_EMAIL: 'devops@x.io',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    };
    const { code, stdout, stderr } = pgwarden(['dr', 'oncall', '--next', '3'], env);
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /^pgwarden: the rotation as configured: the stand-ins set at run time are unknown: cannot reach Temporal at 127\.0\.0\.1:1 .*\n$/,
    );
    const lines = stdout.trimEnd().split('\n');
    const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ';
    const [, now] =
      new RegExp(
        `^on call now \\(matrix "default"\\): (\\w+)@x\\.io until ${time}; an incident opened now alerts level 1: \\1@x\\.io, devops@x\\.io$`,
      ).exec(lines[0]) ?? [];
    expect(now).toMatch(/^(alice|bob)$/);
    const other = now === 'alice' ? 'bob' : 'alice';
    expect(lines.slice(1).map((l) => /^then (\w+)@x\.io: /.exec(l)?.[1])).toEqual([other, now]);
    // Its JSON holds the same; an unknown matrix or a bad count is refused with exit 64.
    const json = JSON.parse(pgwarden(['dr', 'oncall', '--json', '--next', '2'], env).stdout) as {
      shifts: Array<{ who: string }>;
    };
    expect(json.shifts.map((s) => s.who)).toEqual([`${now}@x.io`, `${other}@x.io`]);
    expect(pgwarden(['dr', 'oncall', '--matrix', 'nope'], env)).toMatchObject({
      code: 64,
      stderr: 'pgwarden: --matrix nope: not configured (known: default); see ESCALATION_MATRICES\n',
    });
    expect(pgwarden(['dr', 'oncall', '--next', '0'], env).code).toBe(64);
    // With a backup on call: who, after how long unacknowledged.
    const backed = { ...env, ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15' };
    expect(pgwarden(['dr', 'oncall'], backed).stdout.split('\n')[0]).toMatch(
      new RegExp(`devops@x\\.io, and the backup ${other}@x\\.io if nobody acknowledges within 15 min$`),
    );
    expect(JSON.parse(pgwarden(['dr', 'oncall', '--json'], backed).stdout)).toMatchObject({
      backup: { who: `${other}@x.io`, afterMinutes: 15 },
    });
    expect(JSON.parse(pgwarden(['dr', 'oncall', '--json'], env).stdout)).toMatchObject({ backup: null });
    // Each shift after says its backup: here whoever is on call after it.
    expect(pgwarden(['dr', 'oncall', '--next', '2'], backed).stdout.split('\n')[1]).toMatch(
      new RegExp(`^then ${other}@x\\.io: .* \\(backup ${now}@x\\.io\\)$`),
    );
    // A backup rotation of its own takes the same shifts in turn.
    const ownBackup = { ...backed, ESCALATION_ONCALL_BACKUP: 'dan@x.io,eve@x.io' };
    const own = JSON.parse(pgwarden(['dr', 'oncall', '--json', '--next', '3'], ownBackup).stdout) as {
      shifts: Array<{ who: string; backup: string; from: string; until: string }>;
      backup: { who: string };
    };
    const [b0, b1] = now === 'alice' ? ['dan', 'eve'] : ['eve', 'dan'];
    expect(own.shifts.map((s) => [s.who, s.backup])).toEqual([
      [`${now}@x.io`, `${b0}@x.io`],
      [`${other}@x.io`, `${b1}@x.io`],
      [`${now}@x.io`, `${b0}@x.io`],
    ]);
    expect(own.backup).toEqual({ who: `${b0}@x.io`, afterMinutes: 15 });
    // A backup rotation whose turn falls on the person on call leaves that shift without one: said.
    const overlapping = pgwarden(['dr', 'oncall', '--next', '3'], { ...backed, ESCALATION_ONCALL_BACKUP: 'alice@x.io,bob@x.io' });
    expect(overlapping.stdout.split('\n')[0]).toMatch(
      /devops@x\.io; no backup: the backup's turn falls on someone level 1 alerts$/,
    );
    expect(overlapping.stdout.split('\n')[1]).toMatch(/ \(no backup: the backup's turn falls on someone level 1 alerts\)$/);
    // Their calendar holds their backup shifts.
    expect(
      pgwarden(['dr', 'oncall', '--ics', '--who', `${b0}@x.io`, '--next', '4'], ownBackup).stdout.match(/^SUMMARY:.*$/gm),
    ).toEqual(Array(2).fill(`SUMMARY:Backup on call: ${b0}@x.io`));
    // Frank planned as the backup for two days of the next shift: its row and JSON say each stretch, his calendar holds his.
    const next = own.shifts[1];
    const day = (n: number) => new Date(Date.parse(next.from) + n * 86_400_000).toISOString();
    const planned = { ...ownBackup, ESCALATION_ONCALL_BACKUP_OVERRIDES: `${day(1)}/${day(2)}=frank@x.io` };
    const stretched = JSON.parse(pgwarden(['dr', 'oncall', '--json', '--next', '2'], planned).stdout) as {
      shifts: Array<{ backups?: Array<{ backup: string; from: string; until: string }> }>;
    };
    expect(stretched.shifts[0]).not.toHaveProperty('backups');
    expect(stretched.shifts[1].backups).toEqual([
      { backup: `${b1}@x.io`, from: next.from, until: day(1) },
      { backup: 'frank@x.io', from: day(1), until: day(2) },
      { backup: `${b1}@x.io`, from: day(2), until: next.until },
    ]);
    expect(pgwarden(['dr', 'oncall', '--next', '2'], planned).stdout.split('\n')[1]).toMatch(
      new RegExp(`\\(backup ${b1}@x\\.io until ${time}, then frank@x\\.io until ${time}, then ${b1}@x\\.io\\)$`),
    );
    const franks = pgwarden(['dr', 'oncall', '--ics', '--who', 'frank@x.io', '--next', '2'], planned).stdout;
    expect(franks.match(/^(SUMMARY|DTSTART):.*$/gm)).toEqual([
      `DTSTART:${day(1).replace(/[-:]/g, '').replace('.000', '')}`,
      'SUMMARY:Backup on call: frank@x.io',
    ]);
    // Standing in as the backup: refused at once where no backup is asked for, or without --stand-in.
    expect(pgwarden(['dr', 'oncall', '--stand-in', 'frank@x.io', '--until', '8h', '--backup'], env)).toMatchObject({
      code: 64,
      stderr:
        'pgwarden: matrix "default" asks for no backup on call (ESCALATION_ONCALL_BACKUP_AFTER_MINUTES): nobody to stand in for as the backup\n',
    });
    expect(pgwarden(['dr', 'oncall', '--backup'], backed)).toMatchObject({
      code: 64,
      stderr: 'pgwarden: --from, --until and --backup go with --stand-in <address>\n',
    });
    expect(pgwarden(['dr', 'oncall'], { ...env, ESCALATION_ONCALL_BACKUP: 'dan@x.io' })).toMatchObject({
      code: 78,
      stderr: expect.stringContaining('ESCALATION_ONCALL_BACKUP: a backup rotation needs ESCALATION_ONCALL_BACKUP_AFTER_MINUTES'),
    });

    // The shifts as a calendar file, everyone's or one person's; --ics goes alone.
    const ics = pgwarden(['dr', 'oncall', '--ics', '--next', '3'], env);
    expect(ics.code).toBe(0);
    expect(ics.stdout.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(ics.stdout.match(/^SUMMARY:.*$/gm)).toEqual([
      `SUMMARY:On call: ${now}@x.io`,
      `SUMMARY:On call: ${other}@x.io`,
      `SUMMARY:On call: ${now}@x.io`,
    ]);
    expect(ics.stderr).toMatch(/^pgwarden: the rotation as configured: /);
    const mine = pgwarden(['dr', 'oncall', '--ics', '--who', `${other}@x.io`], env);
    expect(mine.stdout.match(/^SUMMARY:.*$/gm)).toEqual(Array(13).fill(`SUMMARY:On call: ${other}@x.io`));
    expect(pgwarden(['dr', 'oncall', '--ics', '--json'], env)).toMatchObject({
      code: 64,
      stderr: 'pgwarden: --ics prints the shifts as a calendar: without --stand-in, --remove-stand-in or --json\n',
    });
    expect(pgwarden(['dr', 'oncall', '--who', 'alice@x.io'], env)).toMatchObject({
      code: 64,
      stderr: 'pgwarden: --who goes with --ics: whose shifts the calendar keeps\n',
    });

    // The shift so far in review needs Temporal: without it the shifts, and why there is no review.
    const noReview = pgwarden(['dr', 'oncall', '--review'], env);
    expect(noReview.code).toBe(0);
    expect(noReview.stdout).not.toContain('the shift so far');
    expect(noReview.stderr).toContain('pgwarden: the shift so far is not reviewed: Temporal could not be read\n');
    expect(pgwarden(['dr', 'oncall', '--review', '--ics'], env)).toMatchObject({
      code: 64,
      stderr: 'pgwarden: --review sums up the shift so far: without --stand-in, --remove-stand-in or --ics\n',
    });

    // A handover note is checked before Temporal is asked: each refusal one line, exit 64.
    const noteRefusals: Array<[string[], Record<string, string>, string]> = [
      [['--handover-note', '  '], {}, '--handover-note needs its text (--clear-handover-note takes a note back)'],
      [['--handover-note', 'x'.repeat(1001)], {}, '--handover-note: at most 1000 characters (this one has 1001)'],
      [['--handover-note', 'a', '--clear-handover-note'], {}, '--handover-note and --clear-handover-note: one at a time'],
      [
        ['--handover-note', 'a', '--stand-in', 'carol@x.io', '--until', '8h'],
        {},
        'a handover note goes alone: without --stand-in, --remove-stand-in or --ics',
      ],
      [['--as', 'alice'], {}, '--as goes with --handover-note: who leaves it'],
      [
        ['--handover-note', 'a'],
        { ESCALATION_ONCALL_HANDOVERS: 'false' },
        'handover notes go with the handover notices, which ESCALATION_ONCALL_HANDOVERS=false turns off; tell the next person another way',
      ],
      [
        ['--clear-handover-note'],
        { ESCALATION_ONCALL: '' },
        'matrix "default" has no on-call rotation (ESCALATION_ONCALL): no handover to leave a note for',
      ],
    ];
    for (const [args, change, line] of noteRefusals)
      expect(pgwarden(['dr', 'oncall', ...args], { ...env, ...change })).toMatchObject({
        code: 64,
        stderr: `pgwarden: ${line}\n`,
      });
    // Measured as the roster keeps it, one line: padding does not count, so Temporal is asked (and is away here).
    const padded = pgwarden(
      ['dr', 'oncall', '--as', 'alice', '--handover-note', `${'x'.repeat(990)}${' '.repeat(40)}\n  y`],
      env,
    );
    expect(padded.code).toBe(69);
    expect(padded.stderr).toMatch(/^pgwarden: cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('prints its version (the one every manifest records) and exits 0', () => {
    const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
    expect(pgwarden(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it.each([
    [['frobnicate'], "pgwarden: unknown command 'frobnicate' (run with --help for usage)"],
    [['bakup'], "pgwarden: unknown command 'bakup' (Did you mean backup?) (run with --help for usage)"],
    [['check', '--no-such-option'], "pgwarden: unknown option '--no-such-option' (run with --help for usage)"],
    [['restore', '--new-db'], "pgwarden: option '--new-db <name>' argument missing (run with --help for usage)"],
    [['dr', 'ack'], "pgwarden: missing required argument 'incident-id' (run with --help for usage)"],
    [
      ['backup', 'now'],
      "pgwarden: too many arguments for 'backup'. Expected 0 arguments but got 1: now (run with --help for usage)",
    ],
  ])('exits 64 on bad command-line input %j, in one line like every failure', (argv, line) => {
    const run = pgwarden(argv);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(`${line}\n`);
  });

  it.each([
    [['--reason', 'x'], '--who is required: the e-mail address of whoever should help'],
    [['--who', 'dave', '--reason', 'x'], '--who dave: not an e-mail address; they are asked by mail'],
    [['--who', 'dba@x.io'], '--reason is required for add-responder: say why, for the timeline'],
  ])('dr add-responder %j is refused before Temporal is asked, exit 64', (args, line) => {
    expect(
      pgwarden(['dr', 'add-responder', 'dr-shop-1', ...args], {
        DATABASE_URL: 'postgres://u:p@h/app',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      }),
    ).toMatchObject({ code: 64, stderr: `pgwarden: ${line}\n` });
  });

  it('exits 64 when --database names an unconfigured database', () => {
    const { code, stderr } = pgwarden(['check', '--database', 'nope'], { DATABASE_URL: 'postgres://u:p@h/app' });
    expect(code).toBe(64);
    expect(stderr.trim()).toBe('pgwarden: --database nope: not configured; configured databases: app');
  });

  it('exits 69 with the address when Temporal is unreachable', () => {
    const { code, stderr } = pgwarden(['check'], { DATABASE_URL: 'postgres://u:p@h/app', TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(69);
    expect(stderr.trim()).toMatch(
      /^pgwarden: cannot reach Temporal at 127\.0\.0\.1:1 \(namespace default\): .*set TEMPORAL_ADDRESS$/,
    );
  });

  // Before, "Namespace not found: 'nope'" (the CLI) and "5 NOT_FOUND: Namespace nope is not found." (the worker), exit 1.
  it.each([
    [['backup'], {}],
    [['worker'], { METRICS_PORT: '0' }],
  ])('exits 78 naming TEMPORAL_NAMESPACE when Temporal has no such namespace: %j', (argv, extra) => {
    const { code, stderr } = pgwarden(argv, { PGWARDEN_CONFIG: envFile, TEMPORAL_NAMESPACE: 'no-such-namespace', ...extra });
    expect([code, stderr.trim()]).toEqual([
      78,
      'pgwarden: configuration: TEMPORAL_NAMESPACE: Temporal has no namespace "no-such-namespace"; set TEMPORAL_NAMESPACE to one it has (temporal operator namespace list), or create it (temporal operator namespace create --namespace no-such-namespace)',
    ]);
  });

  it('backs up through a worker, with --json, reports and counts it, and exits 3 when the worker cannot reach its bucket', async () => {
    const { spawn } = await import('node:child_process');
    // A database of its own, so the sample database's backup history stays the quick start's.
    const db = uniqueDatabaseName('cli');
    await createDatabase(db, 'awkward.sql');
    const [goodMetrics, badMetrics] = [await ephemeralPort(), await ephemeralPort()];
    // The strategy's log files, in a folder of this test's.
    const logs = mkdtempSync(join(tmpdir(), 'pgwarden-cli-logs-'));
    const good = {
      PGWARDEN_CONFIG: envFile,
      PGWARDEN_TASK_QUEUE: `cli-ok-${Date.now()}`,
      DATABASE_URL: databaseUrl(db),
      METRICS_PORT: String(goodMetrics),
      METRICS_HOST: '127.0.0.1',
      BACKUP_LOG_FILE: join(logs, 'backup.log'),
      RESTORE_LOG_FILE: join(logs, 'restore.log'),
      NOTIFICATION_LOG_FILE: join(logs, 'notifications.log'),
    };
    const bad = {
      PGWARDEN_CONFIG: envFile,
      PGWARDEN_TASK_QUEUE: `cli-bad-${Date.now()}`,
      METRICS_PORT: String(badMetrics),
      METRICS_HOST: '127.0.0.1',
    };
    const workers = [good, { ...bad, BACKUP_S3_BUCKET: 'cli-missing-bucket' }].map((env) =>
      spawn(process.execPath, [bin, 'worker'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    const said = workers.map(() => '');
    workers.forEach((w, i) => w.stderr!.on('data', (d: Buffer) => (said[i] += d.toString())));
    const server = await devServer();
    try {
      await waitForPoller(server.client, good.PGWARDEN_TASK_QUEUE);
      await waitForPoller(server.client, bad.PGWARDEN_TASK_QUEUE);
      // They run the workflow bundle the build made; neither bundled at start.
      for (const text of said) expect(text).not.toMatch(/Workflow bundle created|bundling the workflows now/);
      const ok = pgwarden(['backup', '--json', '--reason', 'cli test'], good);
      expect(ok.code).toBe(0);
      const summary = JSON.parse(ok.stdout);
      expect(summary).toMatchObject({
        database: db,
        dataKey: expect.stringMatching(new RegExp(`^database-backups/${db}/data/backup_\\d{8}_\\d{6}\\.dump\\.zst\\.enc$`)),
      });
      // The audit trail: the run's history says which account on which host started it.
      const [started] = (await server.client.workflow.getHandle(summary.workflowId).fetchHistory()).events!;
      const who = `pgwarden ${userInfo().username}@${hostname()} pid `;
      expect(started.workflowExecutionStartedEventAttributes!.identity).toMatch(
        new RegExp(`^${who.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d+$`),
      );
      const verified = pgwarden(['verify', '--backup', summary.backupId, '--json'], good);
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout).verified).toEqual([
        expect.objectContaining({ backupId: summary.backupId, status: 'passed' }),
      ]);
      const listed = pgwarden(['restore', '--list', '--json'], good);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)[0]).toMatchObject({ backupId: summary.backupId, verification: { status: 'passed' } });
      const copy = `${db}_copy`;
      const restored = pgwarden(['restore', '--file', summary.backupId, '--new-db', copy, '--json'], good);
      expect(restored.code).toBe(0);
      expect(JSON.parse(restored.stdout)).toMatchObject({
        backupId: summary.backupId,
        restoredInto: copy,
        rowCountsChecked: true,
      });
      await withClient('postgres', (c) => c.query(`DROP DATABASE ${c.escapeIdentifier(copy)} WITH (FORCE)`));
      // `tail -f` as the strategy's scripts allowed: each kind of work in its file, each notice and channel.
      const logOf = (name: string) => readFileSync(join(logs, name), 'utf8');
      expect(logOf('backup.log')).toMatch(new RegExp(`^\\S+Z INFO BackupWorkflow ${summary.workflowId} \\S+: `, 'm'));
      expect(logOf('backup.log')).not.toMatch(/RestoreWorkflow/);
      expect(logOf('restore.log')).toMatch(/^\S+Z INFO RestoreWorkflow restore-\S+ /m);
      expect(logOf('notifications.log')).toMatch(
        new RegExp(
          `^\\S+Z INFO BackupWorkflow ${summary.workflowId} notifyBackup: notice sent \\{"event":"backup.succeeded","channel":"email","to":"devops@example.com"\\}$`,
          'm',
        ),
      );
      expect(logOf('notifications.log')).toMatch(/notice sent \{"event":"restore.succeeded","channel":"slack"\}$/m);
      for (const name of ['backup.log', 'restore.log', 'notifications.log'])
        expect(logOf(name)).not.toContain(stackEnv().BACKUP_ENCRYPTION_KEY!);
      expect(pgwarden(['restore', '--approve', 'restore-nothing-here', '--as', 'me'], good)).toMatchObject({
        code: 64,
        stderr: expect.stringContaining('is not a run waiting for approval'),
      });
      expect(pgwarden(['restore', '--new-db', 'x', '--force'], good).code).toBe(64);
      expect(pgwarden(['verify', '--backup', 'yesterday'], good)).toMatchObject({
        code: 64,
        stderr: expect.stringContaining('expected a backup id like backup_20240101_120000'),
      });
      const failed = pgwarden(['backup', '--fail-fast'], bad);
      expect(failed.code).toBe(3);
      expect(failed.stderr).toMatch(
        /pgwarden: HeadBucket failed: bucket "cli-missing-bucket" .*does not exist; create it or fix BACKUP_S3_BUCKET/,
      );

      const report = pgwarden(['report', '--days', '1', '--json'], good);
      expect(report.stderr).toBe('');
      expect(JSON.parse(report.stdout)).toEqual([
        expect.objectContaining({
          database: db,
          backups: expect.objectContaining({ succeeded: 1, failed: 0, successRate: 100 }),
          restores: expect.objectContaining({ succeeded: 1 }),
        }),
      ]);
      const text = pgwarden(['report'], good);
      expect(text.stdout).toMatch(
        new RegExp(`^${db}: last 30 days \\(.*\\n  backups       1 succeeded, 0 failed; success rate 100%`),
      );
      expect(pgwarden(['report', '--days', 'week'], good)).toMatchObject({
        code: 64,
        stderr: expect.stringContaining('--days week: expected a whole number of days'),
      });

      // The workers' Prometheus endpoints: the SDK's metrics and pgwarden's counters.
      const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const metrics = await scrape(goodMetrics);
      const sample = (name: string, labels = `database="${db}"`) =>
        Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
      expect(sample('pgwarden_backups_total', `database="${db}",outcome="succeeded"`)).toBe(1);
      expect(sample('pgwarden_backup_stored_bytes_total')).toBe(summary.storedBytes);
      expect(sample('pgwarden_last_backup_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
      expect(sample('pgwarden_backup_duration_seconds_count')).toBe(1);
      expect(sample('pgwarden_verifications_total', `database="${db}",outcome="passed"`)).toBe(1);
      expect(sample('pgwarden_restores_total', `database="${db}",outcome="succeeded"`)).toBe(1);
      // The strategy's request and transfer costs: S3 requests by how S3 prices them, bytes it sent back.
      expect(sample('pgwarden_s3_requests_total', 'operation="PutObject",pricing="put_copy_post_list"')).toBeGreaterThan(0);
      expect(sample('pgwarden_s3_requests_total', 'operation="GetObject",pricing="get_and_other"')).toBeGreaterThan(0);
      expect(sample('pgwarden_s3_requests_total', 'operation="ListObjectsV2",pricing="put_copy_post_list"')).toBeGreaterThan(0);
      const downloaded = Number(/^pgwarden_s3_downloaded_bytes_total (\S+)$/m.exec(metrics)?.[1]);
      expect(downloaded).toBeGreaterThanOrEqual(summary.storedBytes); // the verification and the restore read the dump
      expect(metrics).toMatch(/^temporal_worker_start\{.*task_queue="cli-ok-\d+".*\} 1$/m);
      expect(await scrape(badMetrics)).toMatch(
        /^pgwarden_backups_total\{database="sample",error_type="StorageError",outcome="failed"\} 1$/m,
      );
    } finally {
      await server.close();
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
      rmSync(logs, { recursive: true, force: true });
      await dropDatabase(db);
    }
  });

  it('runs a real preflight through a worker and the dev server', async () => {
    const env = { PGWARDEN_CONFIG: envFile, PGWARDEN_TASK_QUEUE: `cli-${Date.now()}`, METRICS_PORT: '0' };
    const { spawn } = await import('node:child_process');
    const worker = spawn(process.execPath, [bin, 'worker'], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const server = await devServer();
    try {
      await waitForPoller(server.client, env.PGWARDEN_TASK_QUEUE);
      const { code, stdout, stderr } = pgwarden(['check', '--json'], env);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(report).toMatchObject({
        database: 'sample',
        serverMajor: 15,
        storage: { writable: true },
        // pg_dump 15 compresses only with gzip itself: zstd runs after it.
        compression: { algorithm: 'zstd', level: 1, insidePgDump: false },
      });
      expect(report.workflowId).toMatch(/^preflight-sample-\d{8}T\d{6}Z$/);
      // The notice channels, checked without telling anyone: the stack's SMTP login, its PagerDuty stand-in.
      expect(report.notifications.checks).toEqual([
        { channel: 'email', status: 'ok', detail: `SMTP 127.0.0.1:${stackEnv().SMTP_PORT} accepted the login of pgwarden` },
        { channel: 'slack', status: 'unchecked', detail: 'an incoming webhook is proven only by posting to it' },
        {
          channel: 'pagerduty',
          status: 'ok',
          detail: "PagerDuty's Events API took an event for the key (a resolve, which pages nobody)",
        },
      ]);
      expect(stdout).not.toContain(stackEnv().BACKUP_ENCRYPTION_KEY!);
    } finally {
      await server.close();
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
  });

  it('refuses a second backup of a database while one runs (exit 75, one line), unless --allow-concurrent', async () => {
    const server = await devServer();
    const db = `busy_${uniqueSuffix()}`;
    // No worker polls this queue: the first backup stays running for as long as the test needs.
    const env = {
      PGWARDEN_CONFIG: envFile,
      DATABASE_URL: `postgres://u:p@127.0.0.1:1/${db}`,
      PGWARDEN_TASK_QUEUE: uniqueTaskQueue('busy'),
    };
    const ids: string[] = [];
    try {
      const first = await server.client.workflow.start(WorkflowType.backup, {
        taskQueue: env.PGWARDEN_TASK_QUEUE,
        workflowId: `backup-${db}-scheduled`,
        args: [{ database: db, reason: 'scheduled' }],
        typedSearchAttributes: [{ key: DatabaseSA, value: db }],
      });
      ids.push(first.workflowId);
      // Visibility follows the start closely, not at once.
      for (let i = 0; i < 100; i++) {
        const listed = server.client.workflow.list({ query: `PgwardenDatabase = '${db}' AND ExecutionStatus = 'Running'` });
        let found = false;
        for await (const _ of listed) found = true;
        if (found) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const refused = pgwarden(['backup', '--no-wait'], env);
      expect(refused.code).toBe(75);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^pgwarden: a backup of ${db} is already running \\(workflow backup-${db}-scheduled, started less than a minute ago, http://\\S+\\); wait for it, or pass --allow-concurrent to start another$`,
          ),
        ),
      ]);

      const allowed = pgwarden(['backup', '--no-wait', '--allow-concurrent'], env);
      expect(allowed.code).toBe(0);
      const started = /^started (\S+)$/m.exec(allowed.stdout)![1];
      ids.push(started);
      expect(started).toMatch(new RegExp(`^backup-${db}-\\d{8}T\\d{6}Z$`));
    } finally {
      for (const id of ids)
        await server.client.workflow
          .getHandle(id)
          .terminate('test done')
          .catch(() => undefined);
      await server.close();
    }
  });
});

describe('pgwarden wal fetch, as a restore_command', () => {
  const SEG = '000000010000000A000000F3';
  // Below 126 PostgreSQL ends the recovery and promotes: a typo or a bad setting must not look like "not archived".
  it.each([
    ['an unknown option', 126, ['wal', 'fetch', SEG, '/tmp/x', '--sever', 'shop']],
    ['a missing argument', 126, ['wal', 'fetch', SEG]],
    ['no storage configured', 126, ['wal', 'fetch', SEG, '/tmp/x', '--server', 'shop']],
    ['no storage configured, after --config', 126, ['--config', '/dev/null', 'wal', 'fetch', SEG, '/tmp/x', '--server', 'shop']],
    ['not a WAL file name: not archived', 66, ['wal', 'fetch', 'RECOVERYHISTORY', '/tmp/x', '--server', 'shop']],
    // With wal_segment_size=1MB a log id holds 4096 segments: 0x100 is a segment there, not a stranger (66 would end recovery).
    [
      "a 1 MiB-segment cluster's segment name is one",
      126,
      ['wal', 'fetch', '000000010000000000000100', '/tmp/x', '--server', 'shop'],
    ],
    ['other commands keep their codes', 64, ['wal', 'status', '--sever', 'shop']],
  ])('%s: exit %d', (_what, code, argv) => {
    const run = pgwarden(argv as string[]);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(/^pgwarden: [^\n]+\n$/);
  });

  it('stops the recovery (126) even when the package is not built, where other commands exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-unbuilt-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(bin, join(dir, 'bin', 'pgwarden'));
      const unbuilt = (args: string[]) =>
        spawnSync(process.execPath, [join(dir, 'bin', 'pgwarden'), ...args], { encoding: 'utf8' });
      expect(unbuilt(['wal', 'fetch', SEG, '/tmp/x'])).toMatchObject({
        status: 126,
        stderr: 'pgwarden: not built yet; run: npm run build\n',
      });
      expect(unbuilt(['backup'])).toMatchObject({ status: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wal push names a missing setting (78) or server (64) in one line before it reads the file', () => {
    const file = '/nonexistent/000000010000000A000000F3';
    const noStorage = pgwarden(['wal', 'push', file, '--server', 'shop']);
    expect(noStorage.code).toBe(78);
    expect(noStorage.stderr).toMatch(/BACKUP_S3_BUCKET/);
    const noServer = pgwarden(['wal', 'push', file], {
      BACKUP_S3_BUCKET: 'bucket',
      BACKUP_ENCRYPTION_KEY: 'ab'.repeat(32),
      BACKUP_ENCRYPTION_KEY_ID: 'k',
    });
    expect(noServer).toMatchObject({
      code: 64,
      stderr: 'pgwarden: pass --server ID: the server whose WAL archive this is (its WAL_ARCHIVE name)\n',
    });
  });

  it('decrypt refuses two sources or none, and a terminal, before reading anything (exit 64)', () => {
    expect(pgwarden(['decrypt'])).toMatchObject({ code: 64, stderr: expect.stringContaining('name one object') });
    expect(pgwarden(['decrypt', 'a/b.enc', '--file', '/tmp/b.enc'])).toMatchObject({ code: 64 });
  });
});

describe('pgwarden wal', () => {
  it('refuses without WAL_ARCHIVE, and a server not in it, with exit 64', () => {
    const none = pgwarden(['wal', 'status'], { DATABASE_URL: 'postgres://u:p@h/app' });
    expect(none.code).toBe(64);
    expect(none.stderr.trim()).toBe(
      'pgwarden: no server is archived: set WAL_ARCHIVE to the databases whose servers to archive (e.g. WAL_ARCHIVE=shop)',
    );
    const other = pgwarden(['wal', 'start', '--server', 'billing'], { DATABASE_URL: 'postgres://u:p@h/app', WAL_ARCHIVE: 'app' });
    expect(other.code).toBe(64);
    expect(other.stderr.trim()).toBe('pgwarden: --server billing: not in WAL_ARCHIVE (app)');
    const unknown = pgwarden(['wal', 'status'], { DATABASE_URL: 'postgres://u:p@h/app', WAL_ARCHIVE: 'shop' });
    expect(unknown.code).toBe(78);
    expect(unknown.stderr).toContain('WAL_ARCHIVE: "shop" is not a configured database (app)');
  });

  it('refuses a point-in-time target without a zone, or two targets, before asking Temporal (exit 64)', () => {
    const env = { DATABASE_URL: 'postgres://u:p@h/app', WAL_ARCHIVE: 'app', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const noZone = pgwarden(['restore', '--pitr', '--to', '2026-11-29 10:15'], env);
    expect([noZone.code, noZone.stderr.trim()]).toEqual([
      64,
      'pgwarden: --to 2026-11-29 10:15: expected an ISO time with its zone (2026-11-29T10:15:00Z or +01:00), latest or immediate',
    ]);
    const two = pgwarden(['restore', '--pitr', '--to', 'latest', '--to-lsn', '0/1'], env);
    expect([two.code, two.stderr.trim()]).toEqual([
      64,
      'pgwarden: give exactly one of --to TIME|latest|immediate, --to-lsn LSN, --to-name NAME',
    ]);
    const port = pgwarden(['restore', '--pitr', '--to', 'latest', '--port', '99999'], env);
    expect([port.code, port.stderr.trim()]).toEqual([64, 'pgwarden: --port 99999: expected a port number from 1 to 65535']);
    const long = pgwarden(['restore', '--pitr', '--to-name', 'x'.repeat(64)], env);
    expect([long.code, long.stderr.trim()]).toEqual([
      64,
      'pgwarden: --to-name: the restore point name is 64 bytes long; PostgreSQL keeps at most 63: choose a shorter one',
    ]);
  });

  it('refuses a restore point name PostgreSQL would not keep, or a server not archived, before asking Temporal (exit 64)', () => {
    const env = { DATABASE_URL: 'postgres://u:p@h/app', WAL_ARCHIVE: 'app', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const long = pgwarden(['pitr', 'mark', 'é'.repeat(32)], env);
    expect([long.code, long.stderr.trim()]).toEqual([
      64,
      'pgwarden: the restore point name is 64 bytes long; PostgreSQL keeps at most 63: choose a shorter one',
    ]);
    const empty = pgwarden(['pitr', 'mark', ''], env);
    expect([empty.code, empty.stderr.trim()]).toEqual([64, 'pgwarden: the restore point name is empty']);
    const other = pgwarden(['pitr', 'mark', 'before', '--server', 'shop'], env);
    expect([other.code, other.stderr.trim()]).toEqual([64, 'pgwarden: --server shop: not in WAL_ARCHIVE (app)']);
  });

  it('refuses a base backup to verify that is misnamed, of a database not archived, or with another choice (exit 64)', () => {
    const env = { DATABASE_URL: 'postgres://u:p@h/app', WAL_ARCHIVE: 'app', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const misnamed = pgwarden(['verify', '--base', 'backup_20240101_120000'], env);
    expect([misnamed.code, misnamed.stderr.trim()]).toEqual([
      64,
      'pgwarden: --base backup_20240101_120000: expected a base backup id like base_20261129_010000 (pgwarden pitr list)',
    ]);
    const twoDatabases = { ...env, BACKUP_DATABASES: 'app,billing' };
    const notArchived = pgwarden(['verify', '--base', 'base_20240101_120000', '--database', 'billing'], twoDatabases);
    expect([notArchived.code, notArchived.stderr.trim()]).toEqual([
      64,
      'pgwarden: --base base_20240101_120000: billing is not in WAL_ARCHIVE, so it has no base backups (archived: app; pass --database)',
    ]);
    const both = pgwarden(['verify', '--base', 'base_20240101_120000', '--all-unverified'], env);
    expect([both.code, both.stderr.trim()]).toEqual([
      64,
      'pgwarden: --backup, --all-unverified and --base exclude each other; pass one',
    ]);
  });

  it('refuses an option of the other kind of restore instead of ignoring it (exit 64)', () => {
    const env = { DATABASE_URL: 'postgres://u:p@h/app', WAL_ARCHIVE: 'app', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    // Without --pitr, --to would have restored the newest backup in place, not the server as of that time.
    const noPitr = pgwarden(['restore', '--to', '2026-11-29T10:15:00Z', '--force'], env);
    expect([noPitr.code, noPitr.stderr.trim()]).toEqual([
      64,
      'pgwarden: --to is for a point-in-time restore: add --pitr (without it, pgwarden restore restores a backup, the newest unless --file)',
    ]);
    const newDb = pgwarden(['restore', '--pitr', '--to', 'latest', '--new-db', 'copy'], env);
    expect(newDb.code).toBe(64);
    expect(newDb.stderr).toMatch(/^pgwarden: --new-db is for restoring a backup, not for --pitr \(/);
  });

  it('refuses a table recovery it cannot do in one line before asking Temporal (exit 64), and shows examples', () => {
    const env = { DATABASE_URL: 'postgres://u:p@h/app', WAL_ARCHIVE: 'app', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const refusals: Array<[string[], string]> = [
      [
        ['--table', 'a', '--table', 'b', '--as', 'c', '--to', 'latest'],
        '--as names one table; with 2 tables each comes back as <table>_recovered',
      ],
      [
        ['--table', 'shop.orders', '--replace', '--as', 'x', '--to', 'latest'],
        "--as and --replace exclude each other: --replace puts the copy under the table's own name",
      ],
      [
        ['--table', 'shop.orders', '--force', '--to', 'latest'],
        '--force is for --replace; a recovery beside the live table needs no approval',
      ],
      [
        ['--table', 'order items', '--to', 'latest'],
        '--table order items: expected schema.table (quote names with other characters: \'"My Table"\')',
      ],
      [['--table', 'shop.orders'], 'give exactly one of --to TIME|latest|immediate, --to-lsn LSN, --to-name NAME'],
      [['--to', 'latest'], 'name at least one table: --table schema.table'],
      [
        ['--table', 'shop.orders', '--to', 'latest', '--into', 'billing'],
        '--into billing: not a configured database (configured: app)',
      ],
    ];
    for (const [args, said] of refusals) {
      const r = pgwarden(['recover-table', ...args], env);
      expect([r.code, r.stderr.trim()]).toEqual([64, `pgwarden: ${said}`]);
    }
    const help = pgwarden(['recover-table', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).not.toContain('(default: [])');
    expect(help).toContain('(required) a table to recover; repeat for several');
    expect(help).toContain('pgwarden recover-table --table shop.orders --replace --to 2026-11-30T09:41:59Z');
  });

  it('starts archiving once, says so when asked again, shows it and stops it', async () => {
    const db = uniqueDatabaseName('cliwal');
    await createDatabase(db);
    const env = {
      PGWARDEN_CONFIG: envFile,
      PGWARDEN_TASK_QUEUE: uniqueTaskQueue('cliwal'),
      DATABASE_URL: databaseUrl(db),
      WAL_ARCHIVE: db,
    };
    const { server, worker } = await walWorker(env);
    const run = (...args: string[]) => walCommand(env, args);
    try {
      await worker.runUntil(async () => {
        // It returns once the first round streams, and says from where.
        const started = await run('start');
        expect([started.code, started.stdout.trim()]).toEqual([
          0,
          expect.stringMatching(
            new RegExp(`^${db}: archiving started \\(workflow wal-archive-${db}.*\\); streaming from [0-9A-F]+/`),
          ),
        ]);
        const again = await run('start');
        expect([again.code, again.stdout.trim()]).toEqual([
          0,
          expect.stringMatching(new RegExp(`^${db}: already archiving \\(workflow wal-archive-${db}`)),
        ]);
        // The first round says what it does once it has begun: streaming, and soon shipping (which
        // may come before the first look: the open segment is shipped within a second).
        const busy = /^(streaming from|shipped the open segment|archived) /;
        let status: Array<{ server: string; status: string; doing: string }> = [];
        for (let i = 0; i < 40 && !busy.test(status[0]?.doing ?? ''); i++) {
          await new Promise((r) => setTimeout(r, 500));
          status = JSON.parse((await run('status', '--json')).stdout);
        }
        expect(status).toEqual([
          expect.objectContaining({ server: db, via: 'streaming', status: 'RUNNING', doing: expect.stringMatching(busy) }),
        ]);
        const stopped = await run('stop');
        expect([stopped.code, stopped.stdout.trim()]).toEqual([0, `${db}: archiving stopped; the open segment was shipped`]);
      });
    } finally {
      await withClient('postgres', (c) =>
        c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [`pgwarden_${db}`]),
      ).catch(() => undefined);
      await server.client.workflow
        .getHandle(`wal-archive-${db}`)
        .terminate('test over')
        .catch(() => undefined);
      await server.close();
      await dropDatabase(db);
    }
  }, 120_000);

  it('refuses at once to archive by archive_command alone a server whose archive_mode is off', async () => {
    const db = uniqueDatabaseName('cliwalcmd');
    await createDatabase(db);
    const env = {
      PGWARDEN_CONFIG: envFile,
      PGWARDEN_TASK_QUEUE: uniqueTaskQueue('cliwalcmd'),
      DATABASE_URL: databaseUrl(db),
      WAL_ARCHIVE: db,
      WAL_ARCHIVE_COMMAND_ONLY: db,
    };
    const { server, worker } = await walWorker(env);
    try {
      await worker.runUntil(async () => {
        const started = await walCommand(env, ['start']);
        expect([started.code, started.stdout]).toEqual([64, '']);
        expect(started.stderr.trim()).toBe(
          `pgwarden: ${db}: archive_mode is off, and WAL_ARCHIVE_COMMAND_ONLY names ${db}, so its archive_command is all that archives it: ` +
            `set archive_mode = on (a restart) and archive_command = 'pgwarden --config FILE wal push %p --server ${db}' (see the README)`,
        );
        const status = JSON.parse((await walCommand(env, ['status', '--json'])).stdout);
        expect(status).toEqual([expect.objectContaining({ server: db, via: 'archive_command', status: 'FAILED' })]);
        // Nothing was made on the server for streaming.
        const slots = await withClient('postgres', (c) =>
          c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [`pgwarden_${db}`]),
        );
        expect(slots.rows).toEqual([]);
      });
    } finally {
      await server.close();
      await dropDatabase(db);
    }
  }, 120_000);

  it("says at once when a server cannot be archived: wal start exits with the first round's refusal", async () => {
    // The stack's PostgreSQL 18, and a worker with only PostgreSQL 15's client tools.
    const pg18Url = stackEnv().PGWARDEN_TEST_PG18_URL!;
    const { stackConfig } = await import('../support/stack-env');
    const pg18 = stackConfig({ DATABASE_URL: pg18Url }).databases[0];
    const db = uniqueDatabaseName('cliwal18');
    await createDatabase(db, undefined, pg18);
    const env = {
      PGWARDEN_CONFIG: envFile,
      PGWARDEN_TASK_QUEUE: uniqueTaskQueue('cliwal18'),
      DATABASE_URL: pg18Url.replace(/\/postgres$/, `/${db}`),
      WAL_ARCHIVE: db,
      PG_BIN_DIR: '/usr/lib/postgresql/15/bin',
    };
    const { server, worker } = await walWorker(env);
    try {
      await worker.runUntil(async () => {
        const started = await walCommand(env, ['start']);
        expect(started.code).toBe(78);
        expect(started.stdout).toBe('');
        expect(started.stderr).toContain(
          `pg_receivewal 15 cannot stream from a PostgreSQL 18 server; install the PostgreSQL 18 client tools on the worker`,
        );
        expect(started.stderr).not.toContain(stackEnv().BACKUP_ENCRYPTION_KEY!);
      });
    } finally {
      await server.close();
      await dropDatabase(db, pg18);
    }
  }, 120_000);
});

/** The dev server, and a worker in this process polling env's task queue with env's settings. */
async function walWorker(env: Record<string, string>) {
  const server = await devServer();
  const { createActivities } = await import('../../activities');
  const { createActivityDeps } = await import('../../activities/deps');
  const { stackConfig } = await import('../support/stack-env');
  const { bundledWorker } = await import('../support/temporal');
  const worker = await bundledWorker(server, env.PGWARDEN_TASK_QUEUE, createActivities(createActivityDeps(stackConfig(env))));
  return { server, worker };
}

/** `pgwarden wal ...` as a child that runs while this process's worker polls. */
async function walCommand(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'wal', ...args], { env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
