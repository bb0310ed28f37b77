/**
 * What the console answers when someone clicks a button in a pgwarden Slack message: Slack's
 * signature is the credential (checked with SLACK_SIGNING_SECRET, refused when older than five
 * minutes), the Slack user who acts; the click becomes the incident's own Update. Slack shows
 * nothing of the HTTP reply to a button click, so the answer goes to the payload's response_url:
 * the notice is replaced by itself without the button and with who acknowledged it, or the
 * clicker alone is told why nothing happened (already acknowledged, incident over).
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  acknowledgedMessage,
  responseUrlAllowed,
  SLACK_ACK_ACTION,
  slackInteraction,
  slackRequestProblem,
} from '../../infra/notify/slack-interaction';
import { ActionRefused, type ConsoleBackend } from './backend';

export type SlackAnswer = { status: 401; problem: string } | { status: 200; text: string };

/** Posts an answer to a response_url; rejects with a reason that does not contain the URL. */
export type SlackResponder = (url: string, message: object) => Promise<void>;

export async function answerSlack(
  body: string,
  headers: IncomingHttpHeaders,
  o: { secret: string; backend: ConsoleBackend; nowMs: number; respond?: SlackResponder; apiUrl?: string },
): Promise<SlackAnswer> {
  const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  const problem = slackRequestProblem(
    o.secret,
    { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') },
    body,
    o.nowMs,
  );
  if (problem) return { status: 401, problem };
  const interaction = slackInteraction(body);
  const said: string[] = [];
  const answers: object[] = [];
  for (const click of interaction.clicks.filter((c) => c.actionId === SLACK_ACK_ACTION)) {
    try {
      await o.backend.act(click.value, 'ack', {}, click.by);
      said.push(`${click.value} acknowledged by ${click.by}`);
      answers.push(acknowledgedMessage(interaction.message, click.by, new Date(o.nowMs)));
    } catch (err) {
      if (!(err instanceof ActionRefused)) throw err;
      said.push(`${click.value}: ${err.message}`);
      answers.push({ response_type: 'ephemeral', replace_original: false, text: `${click.value}: ${err.message}` });
    }
  }
  // Sent, not awaited: Slack wants the click's own reply within 3 s.
  const url = interaction.responseUrl;
  if (o.respond && url && responseUrlAllowed(url, o.apiUrl))
    for (const answer of answers)
      void o
        .respond(url, answer)
        .catch((err: Error) =>
          process.stderr.write(`console: the answer to a Slack click could not be posted (${err.message})\n`),
        );
  return { status: 200, text: said.join('\n') };
}

/** A SlackResponder over HTTP; its errors name the status, never the URL. */
export const postToResponseUrl: SlackResponder = async (url, message) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  }).catch((err: Error) => {
    throw new Error(err.name === 'TimeoutError' ? 'no answer within 10 s' : 'the request failed');
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
};
