/**
 * Who may act on incidents from Slack (SLACK_ALLOWED_USERS): the users it names, and the
 * members of the user groups it names (S…), as Slack lists them (usergroups.users.list, the
 * bot's usergroups:read scope), read again after a minute: a rotation kept in a Slack group
 * ("@db-oncall") needs no change here. A group that cannot be read lets nobody in through it,
 * and the refusal says why.
 */
import type { SlackAppSettings } from '../../infra/config/notifications';
import { readSlack } from '../../infra/notify/slack-api';
import { slackActorRefusal } from '../../infra/notify/slack-interaction';
import { slackGroupsIn } from '../../infra/notify/slack-user-id';

/** How long a group's members are kept before Slack is asked again. */
const MEMBERS_KEPT_MS = 60_000;
/** Slack wants an interaction answered within 3 s: a group's read gets part of that. */
const READ_TIMEOUT_MS = 1500;

export class SlackActors {
  private readonly members = new Map<string, { users: ReadonlySet<string>; at: number }>();

  constructor(
    /** Absent: whoever sees the notice may act. */
    private readonly allowed: ReadonlySet<string> | undefined,
    private readonly app: Pick<SlackAppSettings, 'token' | 'apiUrl'> | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why this Slack user may not act, or null when they may. */
  async refusal(userId: string | undefined): Promise<string | null> {
    if (!this.allowed || (userId && this.allowed.has(userId))) return null;
    const unread: string[] = [];
    if (userId)
      for (const group of slackGroupsIn(this.allowed)) {
        const users = await this.membersOf(group).catch((err: Error) => {
          unread.push(`${group} (${err.message})`);
          return undefined;
        });
        if (users?.has(userId)) return null;
      }
    return slackActorRefusal(userId, unread);
  }

  private async membersOf(group: string): Promise<ReadonlySet<string>> {
    const kept = this.members.get(group);
    if (kept && this.now() - kept.at < MEMBERS_KEPT_MS) return kept.users;
    if (!this.app) throw new Error('no SLACK_BOT_TOKEN to read it with');
    const reply = await readSlack(this.app, 'usergroups.users.list', { usergroup: group }, READ_TIMEOUT_MS);
    const users = new Set(Array.isArray(reply.users) ? reply.users.filter((u): u is string => typeof u === 'string') : []);
    this.members.set(group, { users, at: this.now() });
    return users;
  }
}
