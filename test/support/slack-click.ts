/** The form bodies Slack posts when someone clicks a notice's button (block_actions) or submits its form. */
import { SLACK_ACK_ACTION, SLACK_ESCALATE_VIEW } from '../../src/infra/notify/slack-interaction';

export function slackClickBody(incidentId: string, username: string, more: Record<string, unknown> = {}): string {
  return `payload=${encodeURIComponent(
    JSON.stringify({
      type: 'block_actions',
      user: { id: 'U1', username },
      actions: [{ action_id: SLACK_ACK_ACTION, value: incidentId }],
      ...more,
    }),
  )}`;
}

/** The form body Slack posts when someone submits the Escalate form of an incident (view_submission). */
export function slackEscalateSubmitBody(incidentId: string, username: string, level: string, reason: string): string {
  return `payload=${encodeURIComponent(
    JSON.stringify({
      type: 'view_submission',
      user: { id: 'U1', username },
      view: {
        callback_id: SLACK_ESCALATE_VIEW,
        private_metadata: incidentId,
        state: { values: { level: { level: { selected_option: { value: level } } }, reason: { reason: { value: reason } } } },
      },
    }),
  )}`;
}
