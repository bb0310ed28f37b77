/**
 * What the console answers when someone clicks a button in a pgwarden Slack message: Slack's
 * signature is the credential (checked with SLACK_SIGNING_SECRET, refused when older than five
 * minutes), the Slack user who acts; the click becomes the incident's own Update.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SLACK_ACK_ACTION, slackClicks, slackRequestProblem } from '../../infra/notify/slack-interaction';
import { ActionRefused, type ConsoleBackend } from './backend';

export type SlackAnswer = { status: 401; problem: string } | { status: 200; text: string };

export async function answerSlack(
  body: string,
  headers: IncomingHttpHeaders,
  o: { secret: string; backend: ConsoleBackend; nowMs: number },
): Promise<SlackAnswer> {
  const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  const problem = slackRequestProblem(
    o.secret,
    { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') },
    body,
    o.nowMs,
  );
  if (problem) return { status: 401, problem };
  const said: string[] = [];
  for (const click of slackClicks(body).filter((c) => c.actionId === SLACK_ACK_ACTION)) {
    try {
      await o.backend.act(click.value, 'ack', {}, click.by);
      said.push(`${click.value} acknowledged by ${click.by}`);
    } catch (err) {
      if (!(err instanceof ActionRefused)) throw err;
      said.push(`${click.value}: ${err.message}`);
    }
  }
  return { status: 200, text: said.join('\n') };
}
