/**
 * Where success and failure notices go (the strategy's "Email and Slack"). Each channel is
 * optional; a channel that is half configured is a configuration error, not a silent skip.
 */
import { EMAIL_ADDRESS } from './email-address';
import { EnvReader } from './env-reader';
import { Secret } from './secret';

export interface EmailSettings {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; password: Secret };
  from: string;
  to: string[];
}

/** A Slack app's bot posting with chat.postMessage: what lets an incident's messages thread. */
export interface SlackAppSettings {
  token: Secret;
  channel: string;
  /** Slack's Web API; another only for a proxy or the local stack's stand-in. */
  apiUrl: string;
}

/** PagerDuty's Events API v2: a service's integration key, where events go, whether drills page. */
export interface PagerDutySettings {
  routingKey: Secret;
  eventsUrl: string;
  drills: boolean;
}

/** What a channel is sent: every notice, warnings and failures, or failures only. */
export const NOTIFY_ON = ['all', 'warnings', 'failures'] as const;
export type NotifyOn = (typeof NOTIFY_ON)[number];

export interface NotificationConfig {
  email?: EmailSettings;
  slackWebhookUrl?: Secret;
  slackApp?: SlackAppSettings;
  /** Pages for failures of unattended work and incidents (paging.ts decides which). */
  pagerDuty?: PagerDutySettings;
  /** NOTIFY_EMAIL_ON, NOTIFY_SLACK_ON; absent: all. */
  emailOn?: NotifyOn;
  slackOn?: NotifyOn;
}

/** Slack's and PagerDuty's endpoints, and a webhook: http(s) without spaces. */
const HTTP_URL = /^https?:\/\/[^\s]+$/;

export function readNotifications(r: EnvReader): NotificationConfig {
  const config: NotificationConfig = {};
  if (r.has('SMTP_HOST')) {
    const port = r.integer('SMTP_PORT', 587, { min: 1, max: 65535 });
    const user = r.string('SMTP_USER');
    const password = r.secret('SMTP_PASSWORD');
    if (Boolean(user) !== Boolean(password)) {
      r.problem(
        user ? 'SMTP_PASSWORD' : 'SMTP_USER',
        'set both SMTP_USER and SMTP_PASSWORD, or neither for a relay without login',
      );
    }
    const to = r.list('NOTIFY_EMAIL_TO');
    if (to.length === 0)
      r.problem('NOTIFY_EMAIL_TO', 'missing; SMTP_HOST is set, so name who gets backup notices (a,b@example.com)');
    for (const address of [...to, r.string('NOTIFY_EMAIL_FROM', 'pgwarden@localhost')]) {
      if (!EMAIL_ADDRESS.test(address))
        r.problem(to.includes(address) ? 'NOTIFY_EMAIL_TO' : 'NOTIFY_EMAIL_FROM', `"${address}" is not an e-mail address`);
    }
    config.email = {
      host: r.string('SMTP_HOST', ''),
      port,
      secure: r.boolean('SMTP_SECURE', port === 465),
      auth: user && password ? { user, password } : undefined,
      from: r.string('NOTIFY_EMAIL_FROM', 'pgwarden@localhost'),
      to,
    };
  }
  const token = r.secret('SLACK_BOT_TOKEN');
  const channel = r.string('SLACK_CHANNEL');
  if (Boolean(token) !== Boolean(channel))
    r.problem(
      token ? 'SLACK_CHANNEL' : 'SLACK_BOT_TOKEN',
      'set both SLACK_BOT_TOKEN (xoxb-..., value not shown) and SLACK_CHANNEL (the channel id, C0123...), or neither',
    );
  const apiUrl = r.string('SLACK_API_URL', 'https://slack.com/api').replace(/\/+$/, '');
  if (!HTTP_URL.test(apiUrl)) r.problem('SLACK_API_URL', 'expected an https:// URL');
  if (token && channel) config.slackApp = { token, channel, apiUrl };
  const webhook = r.secret('SLACK_WEBHOOK_URL');
  if (webhook) {
    if (!HTTP_URL.test(webhook.reveal().trim())) {
      r.problem('SLACK_WEBHOOK_URL', 'expected an https:// URL from Slack\'s "Incoming Webhooks" (value not shown)');
    } else {
      config.slackWebhookUrl = new Secret(webhook.reveal().trim());
    }
  }
  const routingKey = r.secret('PAGERDUTY_ROUTING_KEY');
  const eventsUrl = r.string('PAGERDUTY_EVENTS_URL', 'https://events.pagerduty.com/v2/enqueue');
  if (!HTTP_URL.test(eventsUrl)) r.problem('PAGERDUTY_EVENTS_URL', 'expected an https:// URL');
  const drills = r.boolean('PAGERDUTY_DRILLS', false);
  if (routingKey && !/^[A-Za-z0-9]{32}$/.test(routingKey.reveal().trim()))
    r.problem(
      'PAGERDUTY_ROUTING_KEY',
      "expected the 32-character Integration Key of a PagerDuty service's Events API v2 integration (value not shown)",
    );
  else if (routingKey) config.pagerDuty = { routingKey: new Secret(routingKey.reveal().trim()), eventsUrl, drills };
  if (!routingKey && (r.has('PAGERDUTY_EVENTS_URL') || r.has('PAGERDUTY_DRILLS')))
    r.problem(
      r.has('PAGERDUTY_DRILLS') ? 'PAGERDUTY_DRILLS' : 'PAGERDUTY_EVENTS_URL',
      'set, but PAGERDUTY_ROUTING_KEY is not: set the key or remove it',
    );
  // A filter for a channel that is not there is a mistake worth a line, not a silent no-op.
  config.emailOn = r.oneOf('NOTIFY_EMAIL_ON', NOTIFY_ON, 'all');
  if (r.has('NOTIFY_EMAIL_ON') && !config.email)
    r.problem('NOTIFY_EMAIL_ON', 'set, but no e-mail is configured (SMTP_HOST): set SMTP_HOST or remove it');
  config.slackOn = r.oneOf('NOTIFY_SLACK_ON', NOTIFY_ON, 'all');
  if (r.has('NOTIFY_SLACK_ON') && !config.slackApp && !config.slackWebhookUrl)
    r.problem(
      'NOTIFY_SLACK_ON',
      'set, but no Slack is configured (SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and SLACK_CHANNEL): configure one or remove it',
    );
  return config;
}
