/**
 * The one notifier: sends a notice by e-mail (nodemailer) and Slack (@slack/webhook) to
 * whatever channels are configured. It never throws: a failed channel is reported in the
 * result, so a notification problem can be logged and shown without failing or repeating
 * the backup it reports on. Failure texts never contain the webhook URL or SMTP password.
 */
import { IncomingWebhook } from '@slack/webhook';
import nodemailer from 'nodemailer';
import { NotificationConfig } from '../config/notifications';
import { Notice, renderEmail, renderSlack } from './notice';

export type Channel = 'email' | 'slack';

export interface ChannelResult {
  channel: Channel;
  ok: boolean;
  /** Why it failed, safe to log. */
  error?: string;
}

export interface Notifier {
  /** `to` replaces the configured e-mail recipients (an escalation level's contacts). */
  /** `channels`: only these (default: every configured one). */
  send(notice: Notice, options?: { to?: string[]; channels?: Array<'email' | 'slack'> }): Promise<ChannelResult[]>;
}

export function createNotifier(config: NotificationConfig): Notifier {
  const secrets = [config.slackWebhookUrl?.reveal(), config.email?.auth?.password.reveal()].filter((s): s is string =>
    Boolean(s),
  );
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);

  const email = config.email;
  const transport = email
    ? nodemailer.createTransport({
        host: email.host,
        port: email.port,
        secure: email.secure,
        auth: email.auth ? { user: email.auth.user, pass: email.auth.password.reveal() } : undefined,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      })
    : undefined;
  const webhook = config.slackWebhookUrl ? new IncomingWebhook(config.slackWebhookUrl.reveal(), { timeout: 10_000 }) : undefined;

  async function attempt(channel: Channel, run: () => Promise<unknown>): Promise<ChannelResult> {
    try {
      await run();
      return { channel, ok: true };
    } catch (err) {
      return { channel, ok: false, error: scrub((err as Error).message ?? String(err)).split('\n')[0] };
    }
  }

  return {
    async send(notice, options = {}) {
      const sends: Array<Promise<ChannelResult>> = [];
      const to = options.to?.length ? options.to : email?.to;
      const wanted = (c: 'email' | 'slack') => !options.channels || options.channels.includes(c);
      if (transport && email && to?.length && wanted('email')) {
        const { subject, text } = renderEmail(notice);
        sends.push(attempt('email', () => transport.sendMail({ from: email.from, to, subject, text })));
      }
      if (webhook && wanted('slack')) sends.push(attempt('slack', () => webhook.send(renderSlack(notice))));
      return Promise.all(sends);
    },
  };
}
