/**
 * Who an address is in Slack (users.lookupByEmail, scope users:read.email), so that a notice
 * for that person mentions them and Slack notifies them, not only the channel.
 */
import type { SlackAppSettings } from '../config/notifications';
import { readSlack } from './slack-api';
import { isSlackUserId } from './slack-user-id';

/** Their Slack user id, or why there is none (not in the workspace, a scope missing, Slack out of reach). */
export async function slackUserByEmail(
  app: Pick<SlackAppSettings, 'token' | 'apiUrl'>,
  email: string,
): Promise<{ id: string } | { none: string }> {
  try {
    const reply = await readSlack(app, 'users.lookupByEmail', { email }, 5_000);
    const id = (reply.user as { id?: unknown } | undefined)?.id;
    return isSlackUserId(id) ? { id } : { none: 'Slack gave no user id' };
  } catch (err) {
    return { none: (err as Error).message };
  }
}
