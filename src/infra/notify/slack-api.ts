/**
 * One call to Slack's Web API as the bot (SLACK_BOT_TOKEN): JSON in, Slack's reply out. Slack
 * answers HTTP 200 with `ok: false` and an error code for most failures, so both are checked;
 * the error names the method and Slack's code, never the token.
 */
import type { SlackAppSettings } from '../config/notifications';

/**
 * One read from Slack's Web API as the bot: a GET with its arguments in the query, as Slack's
 * read methods take them, within `timeoutMs` (an interaction has 3 s in all).
 */
export async function readSlack(
  app: Pick<SlackAppSettings, 'token' | 'apiUrl'>,
  method: string,
  args: Record<string, string>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${app.apiUrl}/${method}?${new URLSearchParams(args).toString()}`, {
    headers: { authorization: `Bearer ${app.token.reveal()}` },
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((err: Error) => {
    throw new Error(
      `Slack ${method}: ${err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : 'the request failed'}`,
    );
  });
  return slackReply(method, res);
}

export async function callSlack(
  app: Pick<SlackAppSettings, 'token' | 'apiUrl'>,
  method: string,
  body: object,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${app.apiUrl}/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token.reveal()}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  }).catch((err: Error) => {
    throw new Error(`Slack ${method}: ${err.name === 'TimeoutError' ? 'no answer within 10 s' : 'the request failed'}`);
  });
  return slackReply(method, res);
}

async function slackReply(method: string, res: Response): Promise<Record<string, unknown>> {
  const reply = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || reply.ok !== true)
    throw new Error(`Slack ${method}: ${(reply.error as string | undefined) ?? `HTTP ${res.status}`}`);
  return reply;
}
