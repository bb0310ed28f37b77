import { latestStatus } from '../../src/app/cli/latest-status';

describe('latestStatus', () => {
  it('answers within its wait while the query hangs, and asks one query at a time', async () => {
    let asked = 0;
    const status = latestStatus(() => (asked++, new Promise<string>(() => undefined)), 50);
    const started = Date.now();
    expect(await status()).toBeUndefined();
    expect(await status()).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(asked).toBe(1);
  });

  it('keeps the last answer when a later query fails or is late', async () => {
    const answers: Array<() => Promise<string>> = [
      async () => 'restoring',
      async () => Promise.reject(new Error('no worker')),
      () => new Promise<string>(() => undefined),
    ];
    const status = latestStatus(() => answers.shift()!(), 50);
    expect(await status()).toBe('restoring');
    expect(await status()).toBe('restoring');
    expect(await status()).toBe('restoring');
  });
});
