import { settledLeftovers, UNMARKED_GRACE_MS } from '../../src/operations/verify/leftovers';

type Row = { name: string; comment: string | null };

describe('settledLeftovers: the janitor looks again at a database without a comment', () => {
  const run = async (lists: Row[][]) => {
    const waits: number[] = [];
    let calls = 0;
    const rows = await settledLeftovers(
      async () => lists[Math.min(calls++, lists.length - 1)],
      async (ms) => void waits.push(ms),
    );
    return { rows, waits, calls };
  };

  it.each<[string, Row[][], Row[], number[]]>([
    ['nothing left: one look', [[]], [], []],
    [
      'every database marked: one look',
      [[{ name: 'a', comment: 'pgwarden verify w r' }]],
      [{ name: 'a', comment: 'pgwarden verify w r' }],
      [],
    ],
    [
      'one just made, marked a moment later: the second look is what counts',
      [[{ name: 'a', comment: null }], [{ name: 'a', comment: 'pgwarden verify w r' }]],
      [{ name: 'a', comment: 'pgwarden verify w r' }],
      [UNMARKED_GRACE_MS],
    ],
    [
      'one whose run died before marking it: still unmarked, so it goes',
      [[{ name: 'a', comment: null }], [{ name: 'a', comment: null }]],
      [{ name: 'a', comment: null }],
      [UNMARKED_GRACE_MS],
    ],
  ])('%s', async (_case, lists, expected, waits) => {
    const seen = await run(lists);
    expect(seen.rows).toEqual(expected);
    expect(seen.waits).toEqual(waits);
    expect(seen.calls).toBe(waits.length + 1);
  });
});
