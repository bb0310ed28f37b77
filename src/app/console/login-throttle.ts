/**
 * Failed logins, counted per operator name and client address: after LIMIT failures within
 * WINDOW that pair is refused (even with the right password) until the oldest of them is a
 * window old. Per pair, not per name, so that someone guessing cannot lock the on-call
 * operator out of the console during an incident from another address. Kept in memory: a
 * restart forgets, which only gives a guesser a fresh LIMIT.
 */
export const LOGIN_LIMIT = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Pairs remembered at most; the least recently failed go first. */
const MAX_KEYS = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = LOGIN_LIMIT,
    private readonly windowMs = LOGIN_WINDOW_MS,
  ) {}

  /** How long this pair must wait before its next try; 0 when it may try now. */
  waitMs(key: string, nowMs: number): number {
    const recent = this.recent(key, nowMs);
    if (recent.length < this.limit) return 0;
    return recent[recent.length - this.limit] + this.windowMs - nowMs;
  }

  failed(key: string, nowMs: number): void {
    const recent = [...this.recent(key, nowMs), nowMs];
    this.failures.delete(key); // re-inserted last: Map order is least recently failed first
    this.failures.set(key, recent.slice(-this.limit));
    if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, nowMs: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => nowMs - t < this.windowMs);
  }
}
