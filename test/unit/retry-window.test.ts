import { attemptsFor, retryPolicyFor } from '../../src/infra/temporal/retry-window';

describe('retries sized by the outage they ride out', () => {
  const backoff = { initialSeconds: 5, coefficient: 2, maximumIntervalSeconds: 60 };
  it.each([
    [0, 1],
    [5, 2],
    [6, 3],
    [75, 5], // 5 + 10 + 20 + 40: the old fixed policy
    [76, 6],
    [600, 14], // 75 + 9 x 60
    [3600, 64],
  ])('a %i s window takes %i attempts', (window, attempts) => expect(attemptsFor(window, backoff)).toBe(attempts));

  it('fails fast with one attempt, and gives the backoff in milliseconds', () => {
    expect(retryPolicyFor(600, backoff, true)).toEqual({
      initialInterval: 5000,
      backoffCoefficient: 2,
      maximumInterval: 60000,
      maximumAttempts: 1,
    });
    expect(retryPolicyFor(600, backoff, false).maximumAttempts).toBe(14);
  });
});
