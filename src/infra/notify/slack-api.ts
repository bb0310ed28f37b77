/**
 * One call to Slack's Web API as the bot (SLACK_BOT_TOKEN): JSON in, Slack's reply out. Slack
 * answers HTTP 200 with `ok: false` and an error code for most failures, so both are checked;
 * the error names the method and Slack's code, never the token.
 */
import type { SlackAppSettings } from '../config/notifications';

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
  const reply = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || reply.ok !== true)
    throw new Error(`Slack ${method}: ${(reply.error as string | undefined) ?? `HTTP ${res.status}`}`);
  return reply;
}
