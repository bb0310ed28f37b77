/**
 * The one notifier: sends a notice by e-mail (nodemailer), Slack (@slack/webhook, or a bot)
 * and PagerDuty (what paging.ts says pages) to whatever channels are configured, and checks
 * them without sending for `pgwarden check`. It never throws: a failed channel is reported in
 * the result, so a notification problem can be logged and shown without failing or repeating
 * the backup it reports on. Failure texts never hold a webhook URL, token, password or key.
 */
import { IncomingWebhook } from '@slack/webhook';
import nodemailer from 'nodemailer';
import { NotificationConfig, NotifyOn } from '../config/notifications';
import { channelTakes, Notice, renderEmail, renderSlack } from './notice';
import { callSlack } from './slack-api';
import { sendPagerDuty } from './pagerduty';
import { pagesOf, pagerDutyEvent } from './paging';

export type Channel = 'email' | 'slack' | 'pagerduty';

export interface ChannelResult {
  channel: Channel;
  ok: boolean;
  /** Why it failed, safe to log. */
  error?: string;
  /** Slack through the bot: the thread this message is in (its own ts when it starts one). */
  thread?: string;
  /** Not sent, by choice: the setting that left it out (NOTIFY_SLACK_ON=failures). */
  skipped?: string;
}

export interface SendOptions {
  /** Replaces the configured e-mail recipients (an escalation level's contacts). */
  to?: string[];
  /** Only these channels (default: every configured one). */
  channels?: Channel[];
  /** Slack through the bot: reply in this thread (an incident's first message). */
  thread?: string;
}

/** A channel checked without telling anyone anything: `unchecked` when only a real notice could prove it. */
export interface ChannelCheck {
  channel: Channel;
  status: 'ok' | 'failed' | 'unchecked';
  /** What was proven, or why it failed and what to change; safe to show. */
  detail: string;
}

export interface Notifier {
  send(notice: Notice, options?: SendOptions): Promise<ChannelResult[]>;
  /** Each configured channel checked as far as it can be without a notice (`pgwarden check`). */
  verify(): Promise<ChannelCheck[]>;
}

/** Whom an e-mail notice goes to: the contacts given (an escalation level's), else NOTIFY_EMAIL_TO. */
export function emailRecipients(config: NotificationConfig, to?: string[]): string[] {
  return to?.length ? to : (config.email?.to ?? []);
}

export function createNotifier(config: NotificationConfig): Notifier {
  const secrets = [
    config.slackWebhookUrl?.reveal(),
    config.slackApp?.token.reveal(),
    config.email?.auth?.password.reveal(),
    config.pagerDuty?.routingKey.reveal(),
  ].filter((s): s is string => Boolean(s));
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
  // The bot, when configured, replaces the webhook: only it can thread.
  const app = config.slackApp;
  const webhook =
    config.slackWebhookUrl && !app ? new IncomingWebhook(config.slackWebhookUrl.reveal(), { timeout: 10_000 }) : undefined;

  async function attempt(channel: Channel, run: () => Promise<string | void>): Promise<ChannelResult> {
    try {
      const thread = await run();
      return { channel, ok: true, ...(thread ? { thread } : {}) };
    } catch (err) {
      return { channel, ok: false, error: scrub((err as Error).message ?? String(err)).split('\n')[0] };
    }
  }

  /** chat.postMessage; the thread the message is in. */
  async function post(notice: Notice, thread: string | undefined): Promise<string> {
    const reply = await callSlack(app!, 'chat.postMessage', {
      channel: app!.channel,
      ...renderSlack(notice),
      ...(thread ? { thread_ts: thread } : {}),
    });
    if (typeof reply.ts !== 'string') throw new Error('Slack chat.postMessage: no ts in the reply');
    return thread ?? reply.ts;
  }

  return {
    async send(notice, options = {}) {
      const sends: Array<Promise<ChannelResult>> = [];
      const to = emailRecipients(config, options.to);
      const wanted = (c: Channel) => !options.channels || options.channels.includes(c);
      // A channel its NOTIFY_*_ON leaves this notice out of says so instead of sending.
      const send = (channel: Channel, setting: string, on: NotifyOn, run: () => Promise<string | void>) =>
        sends.push(
          channelTakes(on, notice) ? attempt(channel, run) : Promise.resolve({ channel, ok: true, skipped: `${setting}=${on}` }),
        );
      if (transport && email && to.length && wanted('email'))
        send('email', 'NOTIFY_EMAIL_ON', config.emailOn ?? 'all', async () => {
          const { subject, text } = renderEmail(notice);
          await transport.sendMail({ from: email.from, to, subject, text });
        });
      // The bot and the webhook are never both set: the bot replaces the webhook.
      const slack = app
        ? () => post(notice, options.thread)
        : webhook && (async () => void (await webhook.send(renderSlack(notice))));
      if (slack && wanted('slack')) send('slack', 'NOTIFY_SLACK_ON', config.slackOn ?? 'all', slack);
      // The pager takes what pages and what ends a page, whatever NOTIFY_*_ON say; nothing else is tried.
      const pagerDuty = config.pagerDuty;
      const pages = pagerDuty && wanted('pagerduty') ? pagesOf(notice, { drills: pagerDuty.drills }) : [];
      if (pagerDuty && pages.length)
        sends.push(
          attempt('pagerduty', async () => {
            for (const page of pages) await sendPagerDuty(pagerDuty, pagerDutyEvent(notice, page));
          }),
        );
      return Promise.all(sends);
    },

    async verify() {
      const checks: Array<Promise<ChannelCheck>> = [];
      const check = (channel: Channel, run: () => Promise<string>, fix: string) =>
        checks.push(
          run().then(
            (detail): ChannelCheck => ({ channel, status: 'ok', detail }),
            (err: Error): ChannelCheck => ({
              channel,
              status: 'failed',
              detail: `${scrub(err.message ?? String(err)).split('\n')[0]}: ${fix}`,
            }),
          ),
        );
      if (transport && email)
        check(
          'email',
          async () => {
            await transport.verify();
            return `SMTP ${email.host}:${email.port} ${email.auth ? `accepted the login of ${email.auth.user}` : 'answered'}`;
          },
          'check SMTP_HOST, SMTP_PORT, SMTP_SECURE, SMTP_USER and SMTP_PASSWORD on the worker',
        );
      if (app)
        check(
          'slack',
          async () => {
            await callSlack(app, 'auth.test', {});
            return `Slack accepted the bot's token; the first post proves it may post in ${app.channel}`;
          },
          'check SLACK_BOT_TOKEN (value not shown) and SLACK_API_URL on the worker',
        );
      else if (webhook)
        checks.push(
          Promise.resolve({
            channel: 'slack',
            status: 'unchecked',
            detail: 'an incoming webhook is proven only by posting to it',
          }),
        );
      const pagerDuty = config.pagerDuty;
      if (pagerDuty)
        check(
          'pagerduty',
          async () => {
            // A resolve of an alert that never was: PagerDuty takes it, and nobody is paged.
            await sendPagerDuty(pagerDuty, { event_action: 'resolve', dedup_key: 'pgwarden:check' }, () => Promise.resolve());
            return "PagerDuty's Events API took an event for the key (a resolve, which pages nobody)";
          },
          'check PAGERDUTY_ROUTING_KEY (value not shown), PAGERDUTY_EVENTS_URL and that the worker reaches it',
        );
      return Promise.all(checks);
    },
  };
}
