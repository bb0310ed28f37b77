import { busyCheckWorthwhile, partialCopyDue, PartialCadence } from '../../src/operations/pitr/partial-cadence';

const KiB = 1024;
const base: PartialCadence = { sinceShippedMs: 0, changed: true, unshippedBytes: 0n, everySeconds: 5, soonerAtBytes: 64 * KiB };

describe('partialCopyDue', () => {
  it.each<[string, Partial<PartialCadence>, boolean]>([
    ['the first copy of a written segment', { sinceShippedMs: Number.MAX_SAFE_INTEGER }, true],
    [
      'nothing written since the last copy, however long ago',
      { changed: false, sinceShippedMs: 60_000, unshippedBytes: 0n },
      false,
    ],
    [
      'nothing written, even when the position says otherwise',
      { changed: false, sinceShippedMs: 2000, unshippedBytes: 1_000_000n },
      false,
    ],
    ['the interval is up: a quiet server ships what it has', { sinceShippedMs: 5000, unshippedBytes: 100n }, true],
    ['quiet: a few bytes wait for the interval', { sinceShippedMs: 4999, unshippedBytes: 100n }, false],
    ['busy: 64 KiB at stake after a second', { sinceShippedMs: 1000, unshippedBytes: 64n * 1024n }, true],
    ['busy, but never twice within a second', { sinceShippedMs: 999, unshippedBytes: 10n * 1024n * 1024n }, false],
    ['just under the threshold waits', { sinceShippedMs: 3000, unshippedBytes: 64n * 1024n - 1n }, false],
    ['received position unknown: the interval alone', { sinceShippedMs: 3000, unshippedBytes: undefined }, false],
    [
      'WAL_PARTIAL_UPLOAD_KB=0: the interval alone',
      { sinceShippedMs: 3000, unshippedBytes: 1_000_000n, soonerAtBytes: 0 },
      false,
    ],
    ['an interval of one second ships every second anyway', { everySeconds: 1, sinceShippedMs: 1000, unshippedBytes: 1n }, true],
  ])('%s', (_what, change, due) => {
    expect(partialCopyDue({ ...base, ...change })).toBe(due);
  });
});

describe('busyCheckWorthwhile', () => {
  it.each<[string, Partial<PartialCadence>, boolean]>([
    ['within the first second: no query', { sinceShippedMs: 500 }, false],
    ['between a second and the interval: ask the server', { sinceShippedMs: 2000 }, true],
    ['the interval is up: shipped anyway, no need to ask', { sinceShippedMs: 5000 }, false],
    ['nothing written: no query', { sinceShippedMs: 2000, changed: false }, false],
    ['sooner copies off: no query', { sinceShippedMs: 2000, soonerAtBytes: 0 }, false],
  ])('%s', (_what, change, worth) => {
    expect(busyCheckWorthwhile({ ...base, ...change })).toBe(worth);
  });
});
