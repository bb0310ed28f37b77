import { busyCheckWorthwhile, openCopyReach, partialCopyDue, PartialCadence } from '../../src/operations/pitr/partial-cadence';

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

describe('openCopyReach', () => {
  const MiB = 1024n * 1024n;
  const SEG = 16 * 1024 * 1024;
  const seg = (n: bigint) => n * 16n * MiB;
  it.each<[string, { held: bigint; written: bigint; segno: bigint }, { written: bigint; reach: bigint }]>([
    [
      'a fresh report inside the open segment moves the reach',
      { held: seg(3n), written: seg(3n) + 100n, segno: 3n },
      { written: seg(3n) + 100n, reach: seg(3n) + 100n },
    ],
    [
      // The CI failure: segment 2 completed and shipped (reach = its end), then the new segment's
      // first copy with a report from before the switch; the gauge went back and stayed there.
      'a report older than the completed segment before it never moves the reach back',
      { held: seg(3n), written: seg(3n) - 5000n, segno: 3n },
      { written: seg(3n), reach: seg(3n) },
    ],
    [
      'a report already in the next segment: the copy holds this one at most',
      { held: seg(3n), written: seg(4n) + 8192n, segno: 3n },
      { written: seg(4n), reach: seg(4n) },
    ],
    ['the segment end exactly', { held: seg(3n), written: seg(4n), segno: 3n }, { written: seg(4n), reach: seg(4n) }],
    [
      'a reach further than the copy (a later completed segment) stays',
      { held: seg(6n), written: seg(3n) + 100n, segno: 3n },
      { written: seg(3n) + 100n, reach: seg(6n) },
    ],
  ])('%s', (_what, input, expected) => {
    expect(openCopyReach({ ...input, segmentBytes: SEG })).toEqual(expected);
  });
});
