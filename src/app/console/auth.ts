/**
 * Who is acting in the console, as plain functions over node:crypto: operators' passwords
 * (scrypt, salted, compared in constant time), the session a login gives (a cookie signed
 * with CONSOLE_SESSION_SECRET, expiring), and the CSRF token every form carries (bound to the
 * session). Nothing here is stored server-side: the workflows stay the only state.
 */
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;

/** `scrypt$<salt>$<hash>` (base64url): what `pgwarden console hash-password` prints for CONSOLE_OPERATORS. */
export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(password, salt, 32, SCRYPT);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = scryptSync(password, Buffer.from(salt, 'base64url'), expected.length || 32, SCRYPT);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const mac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('base64url');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface Session {
  user: string;
  /** Expiry, ms since the epoch. */
  exp: number;
}

/** The session cookie's value: the session, and its MAC under the console's secret. */
export function signSession(session: Session, secret: string): string {
  const body = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${body}.${mac(secret, `session:${body}`)}`;
}

/** The session a cookie holds, or null when it is forged, damaged or expired. */
export function readSession(cookie: string | undefined, secret: string, now: number): Session | null {
  if (!cookie) return null;
  const [body, sig] = cookie.split('.');
  if (!body || !sig || !same(sig, mac(secret, `session:${body}`))) return null;
  try {
    const s = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Session;
    return typeof s.user === 'string' && typeof s.exp === 'number' && s.exp > now ? s : null;
  } catch {
    return null;
  }
}

/** The CSRF token of a session (or of a trusted-proxy identity): forms carry it, posts must match it. */
export function csrfToken(identity: string, secret: string): string {
  return mac(secret, `csrf:${identity}`);
}

export function csrfValid(identity: string, token: string | undefined, secret: string): boolean {
  return typeof token === 'string' && same(token, csrfToken(identity, secret));
}
