import { LoginThrottle } from '../../src/app/console/login-throttle';

const MIN = 60_000;

describe('LoginThrottle', () => {
  it.each<[string, number[], number, number]>([
    ['no failures', [], 0, 0],
    ['four failures: one more try', [0, 1, 2, 3].map((m) => m * MIN), 4 * MIN, 0],
    ['five failures within 15 min: locked until the first is 15 min old', [0, 1, 2, 3, 4].map((m) => m * MIN), 5 * MIN, 10 * MIN],
    ['locked until then, not longer', [0, 1, 2, 3, 4].map((m) => m * MIN), 15 * MIN, 0],
    ['failures spread over more than 15 min do not lock', [0, 4, 8, 12, 16].map((m) => m * MIN), 16 * MIN, 0],
    ['a sixth failure extends the lock by its place in the window', [0, 1, 2, 3, 4, 5].map((m) => m * MIN), 5 * MIN, 11 * MIN],
  ])('%s', (_what, failedAt, now, wait) => {
    const t = new LoginThrottle(5, 15 * MIN);
    for (const at of failedAt) t.failed('alice from 203.0.113.9', at);
    expect(t.waitMs('alice from 203.0.113.9', now)).toBe(wait);
  });

  it('counts each name and address pair apart, and forgets a pair that logged in', () => {
    const t = new LoginThrottle(5, 15 * MIN);
    for (let i = 0; i < 5; i++) t.failed('alice from 203.0.113.9', i);
    expect(t.waitMs('alice from 203.0.113.9', 10)).toBeGreaterThan(0);
    expect(t.waitMs('alice from 198.51.100.7', 10)).toBe(0); // alice from her own address
    expect(t.waitMs('bob from 203.0.113.9', 10)).toBe(0);
    t.succeeded('alice from 203.0.113.9');
    expect(t.waitMs('alice from 203.0.113.9', 10)).toBe(0);
  });
});
