/**
 * Slack's side of an interactive message: the buttons pgwarden puts in a level 1 notice, the
 * form (a modal) one of them opens, and checking that a click or a submission really comes from
 * Slack. Slack signs each request with the app's
 * signing secret: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<raw body>`; a request older than five
 * minutes is refused, so a captured one cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { textSection } from './notice';
export { isSlackUserId } from './slack-user-id';

/** The action id of a level 1 notice's Acknowledge button; its value is the incident id. */
export const SLACK_ACK_ACTION = 'pgwarden_ack';
/** The action id of a level 1 notice's Escalate button (value: the incident id); it opens a modal. */
export const SLACK_ESCALATE_ACTION = 'pgwarden_escalate';
/** The callback id of that modal: its submission escalates the incident named in its private_metadata. */
export const SLACK_ESCALATE_VIEW = 'pgwarden_escalate';
/** The action id of Post update… (level 1 notice, status update reminder); it opens a modal. */
export const SLACK_UPDATE_ACTION = 'pgwarden_update';
/** The callback id of that modal: its submission posts a status update (or a note) to the incident. */
export const SLACK_UPDATE_VIEW = 'pgwarden_update';
/** The action id of Ask for help… (level 1 notice); it opens a modal. */
export const SLACK_RESPONDER_ACTION = 'pgwarden_responder';
/** The callback id of that modal: its submission asks someone to help with the incident (dr add-responder). */
export const SLACK_RESPONDER_VIEW = 'pgwarden_responder';
/** The callback id of the modal `/pgwarden open` shows: its submission opens an incident. */
export const SLACK_OPEN_VIEW = 'pgwarden_open';

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

/** A modal's submission: the form's values by block, then action id (Slack's view.state.values). */
export interface SlackSubmission {
  callbackId: string;
  /** What pgwarden put in the modal when it opened it (the incident id). */
  privateMetadata: string;
  values: Record<string, Record<string, { value?: string | null; selected_option?: { value?: string } | null }>>;
  by: string;
}

/** What an interaction payload carries that pgwarden uses. */
export interface SlackInteraction {
  clicks: SlackClick[];
  /** A modal submitted (view_submission), instead of clicks. */
  submission?: SlackSubmission;
  /** Slack's user id of who acted: an ephemeral message is addressed to it. */
  userId?: string;
  /** Opens a modal for this click (views.open), within 3 s of it. */
  triggerId?: string;
  /** Where Slack takes an answer to this click (30 minutes, a few uses): a capability, never logged. */
  responseUrl?: string;
  /** The message the button was in, to replace it with what the click did. */
  message?: { text?: string; blocks?: unknown[] };
}

/** The buttons clicked in an interaction payload (`payload=<json>`, form-encoded), or the modal submitted, and where to answer. */
export function slackInteraction(body: string): SlackInteraction {
  const raw = new URLSearchParams(body).get('payload');
  if (!raw) return { clicks: [] };
  let payload: {
    type?: string;
    user?: { id?: string; username?: string; name?: string };
    actions?: Array<{ action_id?: string; value?: string }>;
    trigger_id?: string;
    response_url?: string;
    message?: { text?: string; blocks?: unknown[] };
    view?: { callback_id?: string; private_metadata?: string; state?: { values?: SlackSubmission['values'] } };
  };
  try {
    payload = JSON.parse(raw);
  } catch {
    return { clicks: [] };
  }
  const user = payload.user?.username || payload.user?.name || payload.user?.id;
  if (!user) return { clicks: [] };
  const by = `slack:${user}`;
  const userId = typeof payload.user?.id === 'string' ? { userId: payload.user.id } : {};
  if (payload.type === 'view_submission') {
    const view = payload.view;
    if (typeof view?.callback_id !== 'string') return { clicks: [] };
    return {
      clicks: [],
      submission: {
        callbackId: view.callback_id,
        privateMetadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
        values: view.state?.values && typeof view.state.values === 'object' ? view.state.values : {},
        by,
      },
      ...userId,
    };
  }
  if (payload.type !== 'block_actions') return { clicks: [] };
  const clicks = (payload.actions ?? [])
    .filter((a) => typeof a.action_id === 'string' && typeof a.value === 'string')
    .map((a) => ({ actionId: a.action_id!, value: a.value!, by }));
  return {
    clicks,
    ...userId,
    ...(typeof payload.trigger_id === 'string' ? { triggerId: payload.trigger_id } : {}),
    ...(typeof payload.response_url === 'string' ? { responseUrl: payload.response_url } : {}),
    ...(payload.message && typeof payload.message === 'object' ? { message: payload.message } : {}),
  };
}

/**
 * Why a Slack user may not act on incidents from Slack (SLACK_ALLOWED_USERS): not named, nor in
 * a group named, and the groups that could not be read (which let nobody in). Pure.
 */
export function slackActorRefusal(userId: string | undefined, unreadGroups: readonly string[] = []): string {
  const unread = unreadGroups.length
    ? `; user group ${unreadGroups.join(', ')} could not be read, which needs the Slack app's usergroups:read scope`
    : '';
  return `only the Slack users in SLACK_ALLOWED_USERS act on incidents from Slack, and you (${userId ?? 'unknown'}) are not among them${unread}; use the console or pgwarden dr, or ask for your id to be added`;
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
 * The notice as everyone in the channel sees it after the click: the same text, the Acknowledge
 * button gone (the others stay: escalating is still open to the lead), and who acknowledged it
 * when, so nobody else clicks or wonders. Pure.
 */
export function acknowledgedMessage(
  message: { text?: string; blocks?: unknown[] } | undefined,
  by: string,
  at: Date,
): { replace_original: true; text: string; blocks: unknown[] } {
  const line = `:white_check_mark: Acknowledged by ${by.replace(/^slack:/, '@')} at ${at.toISOString().slice(11, 16)} UTC`;
  type Block = { type?: string; elements?: Array<{ action_id?: string }> };
  const kept = (message?.blocks ?? []).flatMap((b) => {
    const block = b as Block;
    if (block?.type !== 'actions') return [b];
    const elements = (block.elements ?? []).filter((e) => e?.action_id !== SLACK_ACK_ACTION);
    return elements.length ? [{ ...block, elements }] : [];
  });
  const blocks = kept.length ? kept : message?.text ? [textSection(message.text)] : [];
  // The note goes under the text, before any buttons left.
  const buttonsAt = blocks.findIndex((b) => (b as Block)?.type === 'actions');
  const note = { type: 'context', elements: [{ type: 'mrkdwn', text: line }] };
  return {
    replace_original: true,
    text: message?.text ? `${message.text}\n${line}` : line,
    blocks: buttonsAt < 0 ? [...blocks, note] : [...blocks.slice(0, buttonsAt), note, ...blocks.slice(buttonsAt)],
  };
}
