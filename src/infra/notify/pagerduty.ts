/**
 * PagerDuty's Events API v2: one event per call, the routing key in the body (never a URL).
 * PagerDuty asks senders to retry when it throttles (429) or fails (5xx); a refusal of the
 * event itself (400: a wrong routing key) is said at once. Errors never hold the key.
 */
import type { PagerDutySettings } from '../config/notifications';
import type { PagerDutyEvent } from './paging';

/**
 * A lost trigger is a page nobody gets: asked again after 1, 2 and 4 s. With each call's 10 s
 * limit that stays under 50 s, inside the one minute every notice activity has.
 */
const ATTEMPTS = 4;

export async function sendPagerDuty(
  settings: PagerDutySettings,
  event: PagerDutyEvent,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  const body = JSON.stringify({ routing_key: settings.routingKey.reveal(), ...event });
  for (let attempt = 1; ; attempt++) {
    const outcome = await post(settings.eventsUrl, body);
    if (outcome === 'sent') return;
    if (!outcome.again) throw new Error(outcome.problem);
    if (attempt >= ATTEMPTS) throw new Error(`${outcome.problem} (${ATTEMPTS} attempts)`);
    await pause(2 ** (attempt - 1) * 1000);
  }
}

/** One call: sent, or what went wrong and whether trying again may help. */
async function post(url: string, body: string): Promise<'sent' | { problem: string; again: boolean }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return { problem: `PagerDuty's Events API (${new URL(url).host}) not reached: ${cause}`, again: true };
  }
  if (res.ok) return 'sent';
  return { problem: `PagerDuty answered ${res.status}${await reasonOf(res)}`, again: res.status === 429 || res.status >= 500 };
}

/** PagerDuty's own words for a refusal ({"message": ..., "errors": [...]}), when it gave them. */
async function reasonOf(res: Response): Promise<string> {
  try {
    const reply = (await res.json()) as { message?: string; errors?: string[] };
    const words = [reply.message, ...(reply.errors ?? [])].filter(Boolean).join('; ');
    return words ? `: ${words.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}
