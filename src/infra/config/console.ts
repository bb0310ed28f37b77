/**
 * The incident console's settings (`pgwarden console`): where it listens, the address people
 * reach it at (for the links in notices), who may act (operators with hashed passwords, or a
 * trusted reverse proxy's user header), and the secret its sessions, forms and links are signed
 * with. The console refuses to start without a secret and a way to know who acts.
 */
import { EnvReader } from './env-reader';
import { Secret } from './secret';
import { isSlackGroupId, isSlackUserId } from '../notify/slack-user-id';

export interface ConsoleSettings {
  host: string;
  port: number;
  /** How people reach the console (links in notices); default http://host:port. */
  publicUrl: string;
  /** Operator name → scrypt hash. */
  operators: Map<string, string>;
  /** A header a trusted reverse proxy (oauth2-proxy) sets to the signed-in user; the console then has no login of its own. */
  trustedUserHeader: string | null;
  sessionSecret?: Secret;
  sessionHours: number;
  ackLinkHours: number;
  /** The Slack app's signing secret: level 1 Slack notices carry an Acknowledge button the console verifies. */
  slackSigningSecret?: Secret;
  /** SLACK_API_URL when set: a proxy in front of Slack, whose origin may also take answers to clicks. */
  slackApiUrl?: string;
  /** SLACK_ALLOWED_USERS: the Slack user ids who may act from Slack; absent: whoever sees the notice. */
  slackAllowedUsers?: ReadonlySet<string>;
  /** A PagerDuty webhook subscription's secret: an acknowledgement in PagerDuty acknowledges the incident. */
  pagerDutyWebhookSecret?: Secret;
}

export function readConsole(r: EnvReader): ConsoleSettings {
  const host = r.string('CONSOLE_HOST', '127.0.0.1');
  const port = r.integer('CONSOLE_PORT', 8088, { min: 0, max: 65535 });
  const publicUrl = r
    .string('CONSOLE_PUBLIC_URL', `http://${host.includes(':') ? `[${host}]` : host}:${port}`)
    .replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(publicUrl)) r.problem('CONSOLE_PUBLIC_URL', 'expected an http:// or https:// URL');
  const { operators, problems } = parseOperators(r.string('CONSOLE_OPERATORS', ''));
  for (const p of problems) r.problem('CONSOLE_OPERATORS', p);
  const secret = r.secret('CONSOLE_SESSION_SECRET');
  if (secret && secret.reveal().length < 32)
    r.problem('CONSOLE_SESSION_SECRET', 'at least 32 characters (e.g. openssl rand -base64 48; value not shown)');
  return {
    host,
    port,
    publicUrl,
    operators,
    trustedUserHeader: r.string('CONSOLE_TRUSTED_USER_HEADER')?.toLowerCase() ?? null,
    sessionSecret: secret,
    sessionHours: r.integer('CONSOLE_SESSION_HOURS', 12, { min: 1, max: 24 * 30 }),
    ackLinkHours: r.integer('CONSOLE_ACK_LINK_HOURS', 24, { min: 1, max: 24 * 7 }),
    slackSigningSecret: r.secret('SLACK_SIGNING_SECRET'),
    slackApiUrl: r.string('SLACK_API_URL'),
    ...slackAllowedUsers(r),
    pagerDutyWebhookSecret: r.secret('PAGERDUTY_WEBHOOK_SECRET'),
  };
}

function slackAllowedUsers(r: EnvReader): { slackAllowedUsers?: ReadonlySet<string> } {
  const ids = r.list('SLACK_ALLOWED_USERS');
  for (const id of ids)
    if (!isSlackUserId(id) && !isSlackGroupId(id))
      r.problem(
        'SLACK_ALLOWED_USERS',
        `"${id}" is not a Slack user id (U0123ABC: the profile's "Copy member ID") or user group id (S0123ABC: the group's "Copy group ID")`,
      );
  return ids.length ? { slackAllowedUsers: new Set(ids) } : {};
}

/** CONSOLE_OPERATORS: `alice:scrypt$...$...,bob:scrypt$...$...`; one line per problem. */
export function parseOperators(text: string): { operators: Map<string, string>; problems: string[] } {
  const operators = new Map<string, string>();
  const problems: string[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const name = entry.slice(0, at).trim();
    const hash = entry.slice(at + 1).trim();
    if (at < 1 || !/^[A-Za-z0-9_.@-]{1,64}$/.test(name))
      problems.push(`"${entry.slice(0, Math.max(at, 0)) || entry.slice(0, 12)}...": expected name:scrypt$salt$hash`);
    else if (!/^scrypt\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/.test(hash))
      problems.push(`${name}: the password must be a hash from pgwarden console hash-password (scrypt$...), never the password`);
    else operators.set(name, hash);
  }
  return { operators, problems };
}
