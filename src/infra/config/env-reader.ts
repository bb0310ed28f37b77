/**
 * Reads typed values out of an environment, collecting one line per problem instead of
 * stopping at the first, so a user sees every mistake at once. A problem line names the
 * variable and what is expected; it never echoes the value of a secret.
 */
import { Env } from './env-file';
import { Secret } from './secret';

export class EnvReader {
  readonly problems: string[] = [];
  constructor(readonly env: Env) {}

  has(name: string): boolean {
    const v = this.env[name];
    return v !== undefined && v.trim() !== '';
  }

  problem(name: string, expected: string): void {
    this.problems.push(`${name}: ${expected}`);
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    return this.has(name) ? this.env[name]!.trim() : fallback;
  }

  required(name: string, expected: string): string | undefined {
    if (!this.has(name)) this.problem(name, `missing; ${expected}`);
    return this.string(name);
  }

  secret(name: string): Secret | undefined {
    // Secrets are not trimmed: a passphrase may legitimately end in a space.
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : new Secret(v);
  }

  integer(name: string, fallback: number, range: { min: number; max: number }): number {
    if (!this.has(name)) return fallback;
    const raw = this.env[name]!.trim();
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw) || n < range.min || n > range.max) {
      this.problem(name, `expected a whole number from ${range.min} to ${range.max}, got "${raw}"`);
      return fallback;
    }
    return n;
  }

  boolean(name: string, fallback: boolean): boolean {
    if (!this.has(name)) return fallback;
    const raw = this.env[name]!.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problem(name, `expected true or false, got "${this.env[name]}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    if (!this.has(name)) return fallback;
    const raw = this.env[name]!.trim();
    const match = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
    if (!match) {
      this.problem(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return match;
  }

  list(name: string): string[] {
    return (this.string(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
}
