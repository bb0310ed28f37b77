/**
 * Slack's side of an interactive message: the button pgwarden puts in a level 1 notice, and
 * checking that a click really comes from Slack. Slack signs each request with the app's
 * signing secret: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<raw body>`; a request older than five
 * minutes is refused, so a captured one cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { textSection } from './notice';

/** The action id of a level 1 notice's Acknowledge button; its value is the incident id. */
export const SLACK_ACK_ACTION = 'pgwarden_ack';

const MAX_AGE_SECONDS = 5 * 60;

export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Null when the request is Slack's, else why not (for the console's log, never for the caller). */
export function slackRequestProblem(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: string,
  nowMs: number,
): string | null {
  const ts = Number(headers.timestamp);
  if (!headers.timestamp || !Number.isInteger(ts)) return 'no X-Slack-Request-Timestamp';
  if (Math.abs(nowMs / 1000 - ts) > MAX_AGE_SECONDS) return 'a request older than five minutes (a replay?)';
  const want = Buffer.from(slackSignature(secret, headers.timestamp, body));
  const got = Buffer.from(headers.signature ?? '');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'a signature that does not match SLACK_SIGNING_SECRET';
  return null;
}

export interface SlackClick {
  actionId: string;
  value: string;
  /** Who clicked, as the timeline shows them: "slack:<username>". */
  by: string;
}

/** What an interaction payload carries that pgwarden uses. */
export interface SlackInteraction {
  clicks: SlackClick[];
  /** Where Slack takes an answer to this click (30 minutes, a few uses): a capability, never logged. */
  responseUrl?: string;
  /** The message the button was in, to replace it with what the click did. */
  message?: { text?: string; blocks?: unknown[] };
}

/** The buttons clicked in an interaction payload (`payload=<json>`, form-encoded), and where to answer. */
export function slackInteraction(body: string): SlackInteraction {
  const raw = new URLSearchParams(body).get('payload');
  if (!raw) return { clicks: [] };
  let payload: {
    type?: string;
    user?: { id?: string; username?: string; name?: string };
    actions?: Array<{ action_id?: string; value?: string }>;
    response_url?: string;
    message?: { text?: string; blocks?: unknown[] };
  };
  try {
    payload = JSON.parse(raw);
  } catch {
    return { clicks: [] };
  }
  if (payload.type !== 'block_actions') return { clicks: [] };
  const user = payload.user?.username || payload.user?.name || payload.user?.id;
  if (!user) return { clicks: [] };
  const clicks = (payload.actions ?? [])
    .filter((a) => typeof a.action_id === 'string' && typeof a.value === 'string')
    .map((a) => ({ actionId: a.action_id!, value: a.value!, by: `slack:${user}` }));
  return {
    clicks,
    ...(typeof payload.response_url === 'string' ? { responseUrl: payload.response_url } : {}),
    ...(payload.message && typeof payload.message === 'object' ? { message: payload.message } : {}),
  };
}

/**
 * Whether the console may post to a payload's response_url: Slack's own https hooks, or the
 * origin of SLACK_API_URL (a proxy in front of Slack, the dev stack's capture). The payload is
 * signed, but a URL is only followed where Slack's answers go. Pure.
 */
export function responseUrlAllowed(url: string, apiUrl?: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:' && u.hostname === 'hooks.slack.com') return true;
  if (!apiUrl) return false;
  try {
    return u.origin === new URL(apiUrl).origin;
  } catch {
    return false;
  }
}

/**
 * The notice as everyone in the channel sees it after the click: the same text, the button
 * gone, and who acknowledged it when, so nobody else clicks or wonders. Pure.
 */
export function acknowledgedMessage(
  message: { text?: string; blocks?: unknown[] } | undefined,
  by: string,
  at: Date,
): { replace_original: true; text: string; blocks: unknown[] } {
  const line = `:white_check_mark: Acknowledged by ${by.replace(/^slack:/, '@')} at ${at.toISOString().slice(11, 16)} UTC`;
  const kept = (message?.blocks ?? []).filter((b) => (b as { type?: string })?.type !== 'actions');
  const blocks = kept.length ? kept : message?.text ? [textSection(message.text)] : [];
  return {
    replace_original: true,
    text: message?.text ? `${message.text}\n${line}` : line,
    blocks: [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: line }] }],
  };
}
