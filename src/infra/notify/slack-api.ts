/**
 * One call to Slack's Web API as the bot (SLACK_BOT_TOKEN): JSON in (or, for a read, the
 * query), Slack's reply out. Slack answers HTTP 200 with `ok: false` and an error code for
 * most failures, so both are checked; the error names the method and Slack's code, never the
 * token.
 */
import type { SlackAppSettings } from '../config/notifications';

type SlackApp = Pick<SlackAppSettings, 'token' | 'apiUrl'>;

export function callSlack(app: SlackApp, method: string, body: object): Promise<Record<string, unknown>> {
  return askSlack(app, method, `${app.apiUrl}/${method}`, 10_000, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  });
}

/** A read: a GET with its arguments in the query, as Slack's read methods take them, within `timeoutMs` (an interaction has 3 s in all). */
export function readSlack(
  app: SlackApp,
  method: string,
  args: Record<string, string>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return askSlack(app, method, `${app.apiUrl}/${method}?${new URLSearchParams(args).toString()}`, timeoutMs, {});
}

async function askSlack(
  app: SlackApp,
  method: string,
  url: string,
  timeoutMs: number,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    ...init,
    headers: { ...init.headers, authorization: `Bearer ${app.token.reveal()}` },
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((err: Error) => {
    throw new Error(
      `Slack ${method}: ${err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : 'the request failed'}`,
    );
  });
  const reply = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || reply.ok !== true)
    throw new Error(`Slack ${method}: ${(reply.error as string | undefined) ?? `HTTP ${res.status}`}`);
  return reply;
}
