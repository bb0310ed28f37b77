/** Reads what the stack's SMTP server and webhook receiver captured. */
import type { CapturedMail, CapturedWebhook } from '../../devstack/sinks/server';
import { stackEnv } from './stack-env';

const base = () => stackEnv().PGWARDEN_SINKS_URL!;

async function get<T>(path: string, contains: string): Promise<T[]> {
  const res = await fetch(`${base()}${path}?contains=${encodeURIComponent(contains)}`);
  if (!res.ok) throw new Error(`sinks ${path}: HTTP ${res.status}`);
  return (await res.json()) as T[];
}

export const capturedMail = (contains: string) => get<CapturedMail>('/api/mail', contains);
const PAGERDUTY = '/pagerduty/v2/enqueue';

/** Slack's calls (webhooks, the bot's Web API), PagerDuty's events apart: they are `capturedPages`. */
export const capturedWebhooks = async (contains: string) =>
  (await get<CapturedWebhook>('/api/webhooks', contains)).filter((c) => c.path !== PAGERDUTY);

/** Waits until at least `count` captured items contain the marker (delivery is asynchronous). */
export async function waitForCaptured<T>(
  read: (c: string) => Promise<T[]>,
  contains: string,
  count = 1,
  timeoutMs = 10_000,
): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await read(contains);
    if (items.length >= count || Date.now() > deadline) return items;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The events the stand-in PagerDuty took (or refused), newest last: each call's status and body. */
export async function capturedPages(contains: string): Promise<Array<{ status: number; body: PagedEvent }>> {
  const calls = await get<CapturedWebhook>('/api/webhooks', contains);
  return calls.filter((c) => c.path === PAGERDUTY).map((c) => ({ status: c.status, body: c.body as PagedEvent }));
}

export interface PagedEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: { summary: string; source: string; severity: string; class: string; custom_details: Record<string, string> };
  links?: Array<{ href: string; text: string }>;
}
