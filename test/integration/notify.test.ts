import { randomUUID } from 'node:crypto';
import { Secret } from '../../src/infra/config/secret';
import { createNotifier } from '../../src/infra/notify/notifier';
import { capturedMail, capturedWebhooks, waitForCaptured } from '../support/sinks';
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
});
