/**
 * Signed, expiring links for one action on one incident by one person (the level 1 mail's
 * "acknowledge in one click"): made by the worker when it sends the notice, read by the
 * console. HMAC-SHA256 under CONSOLE_SESSION_SECRET; the link opens a confirmation page and
 * only its POST acts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const mac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('base64url');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** `<body>.<mac>`, both base64url; the body holds the incident, who, the expiry and the action. */
export function actionToken(a: { incidentId: string; by: string; exp: number; action: 'ack' }, secret: string): string {
  const body = Buffer.from(JSON.stringify(a)).toString('base64url');
  return `${body}.${mac(secret, `action:${body}`)}`;
}

export function readActionToken(
  token: string,
  secret: string,
  now: number,
): { incidentId: string; by: string; exp: number; action: 'ack' } | { problem: string } {
  const [body, sig] = token.split('.');
  if (!body || !sig || !same(sig, mac(secret, `action:${body}`))) return { problem: 'this link is not one pgwarden made' };
  const a = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
    incidentId: string;
    by: string;
    exp: number;
    action: 'ack';
  };
  if (a.exp <= now) return { problem: 'this link has expired: acknowledge from the incident page (log in first)' };
  return a;
}
