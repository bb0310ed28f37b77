/** The form body Slack posts when someone clicks a notice's Acknowledge button (block_actions). */
import { SLACK_ACK_ACTION } from '../../src/infra/notify/slack-interaction';

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
