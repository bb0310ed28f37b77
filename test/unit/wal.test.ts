import { gapMessage, walContinuity } from '../../src/operations/pitr/wal-continuity';
import {
  formatLsn,
  historyFileName,
  newestSegment,
  parseHistory,
  parseHistoryFileName,
  parseLsn,
  recordsEndBefore,
  parseSegmentName,
  segmentName,
  segmentEnd,
  segmentOf,
  segmentStart,
  timelineOfSegment,
} from '../../src/operations/pitr/wal-names';

const MiB = 1024 * 1024;

describe('log sequence numbers', () => {
  it.each([
    ['0/0', 0n],
    ['0/3000028', 0x3000028n],
    ['16/B374D848', 0x16b374d848n],
    ['FFFFFFFF/FFFFFFFF', 0xffffffffffffffffn],
  ])('%s is %s bytes and back', (text, lsn) => {
    expect(parseLsn(text)).toBe(lsn);
    expect(formatLsn(lsn)).toBe(text);
  });

  it.each(['', '0', '0/', '/1', '0/3000028/1', 'G/0', '123456789/0'])('refuses %j', (text) => {
    expect(() => parseLsn(text)).toThrow('is not a log sequence number');
  });
});

describe('segment names', () => {
  it.each([
    // timeline, segno, segment size, name
    [1, 0n, 16 * MiB, '000000010000000000000000'],
    [1, 3n, 16 * MiB, '000000010000000000000003'],
    [1, 255n, 16 * MiB, '0000000100000000000000FF'],
    [1, 256n, 16 * MiB, '000000010000000100000000'],
    [2, 0x16b3n, 16 * MiB, '0000000200000016000000B3'],
    [1, 64n, 64 * MiB, '000000010000000100000000'],
    [0x1a, 5n, 1 * MiB, '0000001A0000000000000005'],
  ])('timeline %i segment %s (%i bytes) is %s', (timeline, segno, size, name) => {
    expect(segmentName({ timeline, segno }, size)).toBe(name);
    expect(parseSegmentName(name, size)).toEqual({ timeline, segno });
  });

  it.each([
    // segno, segment size, start, end
    [0n, 16 * MiB, '0/0', '0/1000000'],
    [0x16b3n, 16 * MiB, '16/B3000000', '16/B4000000'],
    [0xffn, 16 * MiB, '0/FF000000', '1/0'],
    [3n, 64 * MiB, '0/C000000', '0/10000000'],
  ])('segment %s (%i bytes) starts at %s and ends where the next starts, %s', (segno, size, start, end) => {
    expect(formatLsn(segmentStart(segno, size))).toBe(start);
    expect(formatLsn(segmentEnd(segno, size))).toBe(end);
    expect(segmentEnd(segno, size)).toBe(segmentStart(segno + 1n, size));
  });

  it('places an LSN in its segment', () => {
    expect(segmentName({ timeline: 1, segno: segmentOf(parseLsn('16/B374D848')) })).toBe('0000000100000016000000B3');
  });

  it.each([
    '000000010000000000000003.partial',
    '00000002.history',
    '000000010000000000000003.00000028.backup',
    '0000000100000000000001000', // 25 digits
    '00000001000000000000010G',
  ])('does not take %s for a segment', (name) => {
    expect(parseSegmentName(name)).toBeUndefined();
  });

  it('refuses a low half beyond the segments of one log id', () => {
    // With 64 MiB segments there are 64 per log id: 0x40 does not exist.
    expect(parseSegmentName('000000010000000000000040', 64 * MiB)).toBeUndefined();
  });
});

describe('timeline history', () => {
  const history = parseHistory(
    '1\t0/3000000\tno recovery target specified\n\n# comment\n2\t0/50000A0\tbefore 2026-11-29 10:00:00+00\n',
  );

  it('reads the timelines before this one, oldest first', () => {
    expect(history).toEqual([
      { parent: 1, switchpoint: 0x3000000n },
      { parent: 2, switchpoint: 0x50000a0n },
    ]);
    expect(historyFileName(3)).toBe('00000003.history');
    expect(parseHistoryFileName('0000000A.history')).toBe(10);
    expect(parseHistoryFileName('0000000A.partial')).toBeUndefined();
  });

  it.each([
    // segno, the timeline its file is read from on the way to timeline 3
    [0n, 1],
    [2n, 1],
    // The switch point begins segment 3: timeline 2's file.
    [3n, 2],
    [4n, 2],
    // A switch point inside segment 5: the newer timeline's file, which starts with a copy.
    [5n, 3],
    [9n, 3],
  ])('segment %s is read from timeline %i', (segno, timeline) => {
    expect(timelineOfSegment(segno, 3, history)).toBe(timeline);
  });

  it('refuses a malformed line', () => {
    expect(() => parseHistory('one\t0/1\n')).toThrow('does not start with a timeline number');
  });
});

describe('walContinuity', () => {
  const names = (timeline: number, ...segnos: number[]) => segnos.map((n) => segmentName({ timeline, segno: BigInt(n) }));
  const history = parseHistory('1\t0/3000000\tpromoted\n');

  it.each([
    [
      'everything from the base backup on',
      { from: 0x2000028n, timeline: 1, history: [], stored: names(1, 1, 2, 3, 4) },
      { expected: 3, found: 3, firstMissing: undefined, gaps: [], reachableUntil: 0x5000000n },
    ],
    [
      'a gap: its first segment and how far recovery gets',
      { from: 0x2000028n, timeline: 1, history: [], stored: names(1, 2, 3, 5, 6, 7, 9) },
      {
        expected: 8,
        found: 6,
        firstMissing: '000000010000000000000004',
        gaps: ['000000010000000000000004', '000000010000000000000008'],
        reachableUntil: 0x4000000n,
      },
    ],
    [
      'a run of missing segments said as one range',
      { from: 0n, timeline: 1, history: [], stored: names(1, 0, 4) },
      {
        expected: 5,
        found: 2,
        firstMissing: '000000010000000000000001',
        gaps: ['000000010000000000000001..03'],
        reachableUntil: 0x1000000n,
      },
    ],
    [
      'following a promotion onto timeline 2',
      { from: 0x1000000n, timeline: 2, history, stored: [...names(1, 1, 2, 3, 4), ...names(2, 3, 4, 5)] },
      { expected: 5, found: 5, firstMissing: undefined, gaps: [], reachableUntil: 0x6000000n },
    ],
    [
      "timeline 1's copy of the switch segment does not replace timeline 2's",
      { from: 0x1000000n, timeline: 2, history, stored: [...names(1, 1, 2, 3), ...names(2, 4)] },
      { expected: 4, found: 3, firstMissing: '000000020000000000000003', gaps: ['000000020000000000000003'] },
    ],
    [
      'nothing stored yet',
      { from: 0x2000028n, timeline: 1, history: [], stored: [] },
      { expected: 0, found: 0, firstMissing: undefined, gaps: [], reachableUntil: 0x2000028n },
    ],
  ])('%s', (_what, input, expected) => {
    expect(walContinuity(input)).toMatchObject(expected);
  });

  it('ignores segments before the start and files that are not segments', () => {
    const c = walContinuity({
      from: 0x3000000n,
      timeline: 1,
      history: [],
      stored: [...names(1, 1, 2, 3), '000000010000000000000004.partial', '00000002.history'],
    });
    expect(c).toMatchObject({ expected: 1, found: 1, newest: '000000010000000000000003' });
  });

  it('names the missing segment and the latest reachable point in one line', () => {
    const c = walContinuity({ from: 0x2000028n, timeline: 1, history: [], stored: names(1, 2, 3, 5) });
    expect(gapMessage(c)).toBe(
      'WAL segment 000000010000000000000004 is missing from the archive, so recovery cannot pass 0/4000000; restore to a point before it (--to-lsn 0/4000000) or from a newer base backup',
    );
    expect(gapMessage(walContinuity({ from: 0n, timeline: 1, history: [], stored: names(1, 0) }))).toBeUndefined();
  });
});

describe('newestSegment', () => {
  it.each([
    ['none among other files', ['00000001.history', 'x.partial'], undefined],
    [
      'by position',
      ['000000010000000000000003', '000000010000000100000000', '0000000100000000000000FF'],
      '000000010000000100000000',
    ],
    [
      'a later timeline at the same position',
      ['000000010000000000000005', '000000020000000000000005'],
      '000000020000000000000005',
    ],
    [
      'a further position on an earlier timeline',
      ['000000020000000000000004', '000000010000000000000005'],
      '000000010000000000000005',
    ],
  ])('finds the furthest segment: %s', (_why, names, expected) => {
    expect(newestSegment(names)?.name).toBe(expected);
  });
});

describe('the position every record before the insert position ends by', () => {
  const seg = 16 * 1024 * 1024;
  it.each([
    ['just after a segment switch: the long header of an empty first page', 'D/AC000028', 'D/AC000000'],
    ['just past the short header of an empty page', 'D/AC002018', 'D/AC002000'],
    ['inside a page with records', 'D/AC0020F0', 'D/AC0020F0'],
    ['40 bytes into a page that is not a segment start (a record ended there)', 'D/AC002028', 'D/AC002028'],
    [
      '24 bytes into the first page of a segment (inside its long header: not an insert position, kept)',
      'D/AC000018',
      'D/AC000018',
    ],
  ])('%s', (_what, insert, expected) => {
    expect(formatLsn(recordsEndBefore(parseLsn(insert), 8192, seg))).toBe(expected);
  });
});
