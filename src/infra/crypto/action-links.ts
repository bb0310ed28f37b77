/**
 * Signed, expiring links for one action on one incident by one person (the level 1 mail's
 * "acknowledge in one click"): made by the worker when it sends the notice, read by the
 * console. HMAC-SHA256 under CONSOLE_SESSION_SECRET; the link opens a confirmation page and
 * only its POST acts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const mac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('base64url');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** What a link grants: one action on one incident, as `by`; `email`: the one address the link was mailed to. */
export interface ActionGrant {
  incidentId: string;
  by: string;
  exp: number;
  action: 'ack';
  email?: string;
}

/** `<body>.<mac>`, both base64url; the body holds the grant. */
export function actionToken(a: ActionGrant, secret: string): string {
  const body = Buffer.from(JSON.stringify(a)).toString('base64url');
  return `${body}.${mac(secret, `action:${body}`)}`;
}

export function readActionToken(token: string, secret: string, now: number): ActionGrant | { problem: string } {
  const [body, sig] = token.split('.');
  if (!body || !sig || !same(sig, mac(secret, `action:${body}`))) return { problem: 'this link is not one pgwarden made' };
  const a = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as ActionGrant;
  if (a.exp <= now) return { problem: 'this link has expired: acknowledge from the incident page (log in first)' };
  return a;
}
