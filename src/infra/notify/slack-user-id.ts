/**
 * A Slack user id as Slack gives it (U0123ABC; W… in Enterprise Grid): what a mention and
 * SLACK_ALLOWED_USERS use. Pure, and free of Node modules: the workflows' validators use it.
 */
export const isSlackUserId = (id: unknown): id is string => typeof id === 'string' && /^[UW][A-Z0-9]{2,20}$/.test(id);

/** A Slack user group's id (S0123ABC, the group's "Copy group ID"): SLACK_ALLOWED_USERS may name one. */
export const isSlackGroupId = (id: unknown): id is string => typeof id === 'string' && /^S[A-Z0-9]{2,20}$/.test(id);

/** The user groups among SLACK_ALLOWED_USERS: read from Slack with the bot's token. */
export const slackGroupsIn = (allowed: Iterable<string> = []): string[] => [...allowed].filter(isSlackGroupId);
