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
export const capturedWebhooks = (contains: string) => get<CapturedWebhook>('/api/webhooks', contains);

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
