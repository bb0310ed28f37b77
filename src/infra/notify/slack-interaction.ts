/**
 * Slack's side of an interactive message: the button pgwarden puts in a level 1 notice, and
 * checking that a click really comes from Slack. Slack signs each request with the app's
 * signing secret: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<raw body>`; a request older than five
 * minutes is refused, so a captured one cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** The buttons clicked in an interaction payload (`payload=<json>`, form-encoded). */
export function slackClicks(body: string): SlackClick[] {
  const raw = new URLSearchParams(body).get('payload');
  if (!raw) return [];
  let payload: {
    type?: string;
    user?: { id?: string; username?: string; name?: string };
    actions?: Array<{ action_id?: string; value?: string }>;
  };
  try {
    payload = JSON.parse(raw);
  } catch {
    return [];
  }
  if (payload.type !== 'block_actions') return [];
  const user = payload.user?.username || payload.user?.name || payload.user?.id;
  if (!user) return [];
  return (payload.actions ?? [])
    .filter((a) => typeof a.action_id === 'string' && typeof a.value === 'string')
    .map((a) => ({ actionId: a.action_id!, value: a.value!, by: `slack:${user}` }));
}
