/** The form bodies Slack posts when someone clicks a notice's button (block_actions) or submits its form. */
import { SLACK_ACK_ACTION, SLACK_ESCALATE_VIEW, slackSignature } from '../../src/infra/notify/slack-interaction';

export function slackClickBody(incidentId: string, username: string, more: Record<string, unknown> = {}): string {
  return `payload=${encodeURIComponent(
    JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0BOB', username },
      actions: [{ action_id: SLACK_ACK_ACTION, value: incidentId }],
      ...more,
    }),
  )}`;
}

/** A form submitted (view_submission): its callback id, the incident it was opened for, its values by block and action. */
export function slackSubmitBody(
  callbackId: string,
  incidentId: string,
  username: string,
  values: Record<string, unknown>,
): string {
  return `payload=${encodeURIComponent(
    JSON.stringify({
      type: 'view_submission',
      user: { id: 'U0BOB', username },
      view: { callback_id: callbackId, private_metadata: incidentId, state: { values } },
    }),
  )}`;
}

/** The Escalate form submitted. */
export function slackEscalateSubmitBody(incidentId: string, username: string, level: string, reason: string): string {
  return slackSubmitBody(SLACK_ESCALATE_VIEW, incidentId, username, {
    level: { level: { selected_option: { value: level } } },
    reason: { reason: { value: reason } },
  });
}

/** Posts `body` to a console's Slack endpoint (`url`), signed with `secret` as Slack signs it at `atMs` (default: now). */
export function postAsSlack(url: string, body: string, secret: string, o: { atMs?: number; signature?: string } = {}) {
  const ts = String(Math.floor((o.atMs ?? Date.now()) / 1000));
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': o.signature ?? slackSignature(secret, ts, body),
    },
    body,
  });
}
