import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PagerDutySettings } from '../../src/infra/config/notifications';
import { Secret } from '../../src/infra/config/secret';
import { createNotifier } from '../../src/infra/notify/notifier';
import { backupNotice } from '../../src/operations/backup/notices';
import { capturedMail, capturedPages, capturedWebhooks, waitForCaptured } from '../support/sinks';
import { stackConfig, stackEnv } from '../support/stack-env';

describe('notifications (captured by the local SMTP server and webhook receiver)', () => {
  const config = stackConfig().notifications;
  const notice = (marker: string) => ({
    event: 'test.notice',
    severity: 'warning' as const,
    title: `Harness check ${marker}`,
    facts: [
      ['Database', 'sample'],
      ['Marker', marker],
    ] as Array<[string, string]>,
    action: 'nothing, this is a test',
  });

  it('delivers an e-mail with login and a Slack webhook call', async () => {
    const marker = randomUUID();
    const results = await createNotifier(config).send(notice(marker));
    expect(results).toEqual([
      { channel: 'email', ok: true },
      { channel: 'slack', ok: true },
    ]);
    const [mail] = await waitForCaptured(capturedMail, marker);
    expect(mail).toMatchObject({
      subject: `[pgwarden] WARNING: Harness check ${marker}`,
      envelopeTo: ['devops@example.com'],
      authUser: 'pgwarden',
    });
    expect(mail.text).toContain(`Marker:   ${marker}`);
    const [hook] = await waitForCaptured(capturedWebhooks, marker);
    expect(hook.path).toMatch(/^\/slack\//);
    expect((hook.body as { text: string }).text).toContain(`*Harness check ${marker}*`);
  });

  it('reports failed channels without throwing and without their secrets', async () => {
    const marker = randomUUID();
    const sinks = stackEnv().PGWARDEN_SINKS_URL!;
    const broken = {
      email: { ...config.email!, auth: { user: 'pgwarden', password: new Secret('wrong-smtp-password') } },
      slackWebhookUrl: new Secret(`${sinks}/slack/fail/secret-token-123`),
    };
    const results = await createNotifier(broken).send(notice(marker));
    expect(results.map((r) => [r.channel, r.ok])).toEqual([
      ['email', false],
      ['slack', false],
    ]);
    const errors = results.map((r) => r.error).join('\n');
    expect(errors).toMatch(/Invalid login|Invalid username or password/);
    expect(errors).not.toContain('wrong-smtp-password');
    expect(errors).not.toContain('secret-token-123');
    expect(await capturedMail(marker)).toEqual([]);
  });

  it('posts through a Slack bot instead of the webhook, replies in a thread, and says why a bot is refused', async () => {
    const marker = randomUUID();
    const sinks = stackEnv().PGWARDEN_SINKS_URL!;
    const bot = (token: string) => ({
      slackWebhookUrl: config.slackWebhookUrl,
      slackApp: { token: new Secret(token), channel: 'C0OPS', apiUrl: `${sinks}/slack-api` },
    });
    const [first] = await createNotifier(bot('xoxb-good')).send(notice(marker));
    expect(first).toEqual({ channel: 'slack', ok: true, thread: expect.stringMatching(/^\d+\.\d{6}$/) });
    const [reply] = await createNotifier(bot('xoxb-good')).send(notice(marker), { thread: first.thread });
    expect(reply).toEqual({ channel: 'slack', ok: true, thread: first.thread });
    const posts = await waitForCaptured(capturedWebhooks, marker, 2);
    expect(posts.map((p) => p.path)).toEqual(['/slack-api/chat.postMessage', '/slack-api/chat.postMessage']);
    expect(posts.map((p) => (p.body as { thread_ts?: string }).thread_ts)).toEqual([undefined, first.thread]);

    const [refused] = await createNotifier(bot('xoxb-invalid')).send(notice(marker));
    expect(refused).toEqual({ channel: 'slack', ok: false, error: 'Slack chat.postMessage: invalid_auth' });
  });
  it('leaves out of each channel what its NOTIFY_*_ON setting leaves out, and never an approval or an incident', async () => {
    const filtered = createNotifier({ ...config, emailOn: 'warnings', slackOn: 'failures' });
    const sent = async (severity: 'info' | 'warning' | 'critical', more: object = {}) => {
      const marker = randomUUID();
      const results = await filtered.send({ ...notice(marker), severity, ...more });
      return { marker, results: results.map((r) => [r.channel, r.skipped ?? (r.ok ? 'sent' : r.error)]) };
    };
    const info = await sent('info');
    const warning = await sent('warning');
    const critical = await sent('critical');
    const approval = await sent('warning', { alwaysSent: true });
    const recovered = await sent('info', { resolves: 'critical' });
    expect(info.results).toEqual([
      ['email', 'NOTIFY_EMAIL_ON=warnings'],
      ['slack', 'NOTIFY_SLACK_ON=failures'],
    ]);
    expect(warning.results).toEqual([
      ['email', 'sent'],
      ['slack', 'NOTIFY_SLACK_ON=failures'],
    ]);
    for (const both of [critical, approval, recovered])
      expect(both.results).toEqual([
        ['email', 'sent'],
        ['slack', 'sent'],
      ]);
    // What was sent arrived; what was left out never reached the mail server or Slack.
    for (const { marker } of [warning, critical, approval, recovered]) await waitForCaptured(capturedMail, marker);
    for (const { marker } of [critical, approval, recovered]) await waitForCaptured(capturedWebhooks, marker);
    expect(await capturedMail(info.marker)).toEqual([]);
    expect(await capturedWebhooks(info.marker)).toEqual([]);
    expect(await capturedWebhooks(warning.marker)).toEqual([]);
  });
});

describe('paging through PagerDuty (the stand-in checks events as PagerDuty does)', () => {
  const config = stackConfig().notifications;
  const sinks = () => stackEnv().PGWARDEN_SINKS_URL!;
  const failedBackup = (db: string) =>
    backupNotice({
      status: 'failed',
      database: db,
      backupId: 'backup_1',
      errorType: 'StorageError',
      message: 'bucket gone',
      reason: 'scheduled',
      workflowId: `backup-${db}`,
    });
  const pagerOnly = (pagerDuty: PagerDutySettings) => createNotifier({ pagerDuty });

  it('triggers on a failure and resolves the same alert on the next success, keyed on the work and the database', async () => {
    const db = `db_${randomUUID().slice(0, 8)}`;
    expect(config.pagerDuty).toBeDefined();
    const results = await createNotifier(config).send(failedBackup(db));
    expect(results.find((r) => r.channel === 'pagerduty')).toEqual({ channel: 'pagerduty', ok: true });
    const succeeded = backupNotice({
      status: 'succeeded',
      database: db,
      backupId: 'backup_2',
      storedBytes: 1,
      rawBytes: 2,
      tables: 1,
      durationMs: 1,
      bucket: 'b',
      dataKey: 'k',

      reason: 'scheduled',
      workflowId: `backup-${db}`,
    });
    await createNotifier(config).send(succeeded);
    const pages = await waitForCaptured(capturedPages, `pgwarden:backup:${db}`, 2);
    expect(pages.map((p) => [p.status, p.body.event_action, p.body.dedup_key])).toEqual([
      [202, 'trigger', `pgwarden:backup:${db}`],
      [202, 'resolve', `pgwarden:backup:${db}`],
    ]);
    expect(pages[0].body.routing_key).toBe(config.pagerDuty!.routingKey.reveal());
    expect(pages[0].body.payload).toMatchObject({
      summary: `Backup of ${db} FAILED`,
      severity: 'critical',
      class: 'backup.failed',
    });
    expect(pages[0].body.payload!.custom_details['What to do']).toMatch(/^check the bucket/);
    // A notice nothing pages for (a test notice, a restore) never reaches PagerDuty.
    const quiet = await createNotifier(config).send({
      event: 'restore.started',
      about: db,
      severity: 'info',
      title: `quiet ${db}`,
      facts: [],
    });
    expect(quiet.map((r) => r.channel)).toEqual(['email', 'slack']);
  });

  it('asks again when PagerDuty throttles, and says in one line, without the key, why an event was not taken', async () => {
    const db = `db_${randomUUID().slice(0, 8)}`;
    const throttled = {
      routingKey: new Secret('throttle' + 'T'.repeat(24)),
      eventsUrl: `${sinks()}/pagerduty/v2/enqueue`,
      drills: false,
    };
    expect(await pagerOnly(throttled).send(failedBackup(db))).toEqual([{ channel: 'pagerduty', ok: true }]);
    expect((await waitForCaptured(capturedPages, db, 2)).map((p) => p.status)).toEqual([429, 202]);

    const wrongPath = { routingKey: new Secret('K'.repeat(32)), eventsUrl: `${sinks()}/pagerduty/v1/nowhere`, drills: false };
    const [refused] = await pagerOnly(wrongPath).send(failedBackup(db));
    expect(refused).toEqual({ channel: 'pagerduty', ok: false, error: 'PagerDuty answered 404' });

    const closed = await listeningNowhere();
    const unreachable = {
      routingKey: new Secret('Z'.repeat(32)),
      eventsUrl: `http://127.0.0.1:${closed}/v2/enqueue`,
      drills: false,
    };
    const [down] = await pagerOnly(unreachable).send(failedBackup(db));
    expect(down).toEqual({
      channel: 'pagerduty',
      ok: false,
      error: `PagerDuty's Events API (127.0.0.1:${closed}) not reached: ECONNREFUSED (4 attempts)`,
    });
  });
});

/** A loopback port nothing listens on. */
async function listeningNowhere(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
