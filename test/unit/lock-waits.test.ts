import { describeLockWaits, LockWait } from '../../src/infra/postgres/lock-waits';
import { StallWatch } from '../../src/operations/backup/progress';

const wait = (holder: Partial<LockWait['holder']>, relation?: string): LockWait => ({
  ...(relation ? { relation } : {}),
  holder: { pid: 4242, ...holder },
});

describe('describeLockWaits', () => {
  it.each([
    [[], undefined],
    [
      [wait({ user: 'app', application: 'psql', state: 'idle in transaction', transactionSeconds: 95 }, 'public.orders')],
      'waiting for a lock on public.orders held by pid 4242 (user app, psql, idle in transaction, transaction open 95 s): the dump goes on when that transaction ends',
    ],
    [
      [wait({ transactionSeconds: 600 }, 'public.orders'), wait({ pid: 7 }, 'public.items')],
      'waiting for a lock on public.orders held by pid 4242 (transaction open 10 min), and 1 more: the dump goes on when that transaction ends',
    ],
    // Another user's session, seen without pg_read_all_stats: its pid alone.
    [
      [wait({}, 'public.orders')],
      'waiting for a lock on public.orders held by pid 4242: the dump goes on when that transaction ends',
    ],
    [
      [wait({ transactionSeconds: 3 * 3600 })],
      'waiting for a lock on a transaction held by pid 4242 (transaction open 3.0 h): the dump goes on when that transaction ends',
    ],
  ])('%j', (waits, said) => expect(describeLockWaits(waits)).toBe(said));
});

describe('StallWatch: the output stands still once the bytes have not moved for the interval', () => {
  it.each([
    [
      'moving bytes',
      [
        [0, 0],
        [10, 5_000],
        [20, 10_000],
        [30, 15_000],
      ],
      [false, false, false, false],
    ],
    [
      'no bytes from the start',
      [
        [0, 0],
        [0, 5_000],
        [0, 10_000],
        [0, 15_000],
      ],
      [false, false, true, true],
    ],
    [
      'standing still, then moving again',
      [
        [5, 0],
        [5, 10_000],
        [6, 15_000],
        [6, 20_000],
        [6, 25_000],
      ],
      [false, true, false, false, true],
    ],
  ])('%s', (_, ticks, stalled) => {
    const watch = new StallWatch(10_000);
    expect(ticks.map(([bytes, at]) => watch.observe(bytes, at))).toEqual(stalled);
  });
});
