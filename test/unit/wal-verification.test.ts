import {
  describeWalVerification,
  rereadDue,
  walRereadPlan,
  walReadBackProblems,
  walCheckPlan,
  waldumpFailure,
  WalVerification,
} from '../../src/operations/pitr/wal-verification';
import { parseLsn, TimelineSwitch } from '../../src/operations/pitr/wal-names';

const SEG = 16 * 1024 * 1024;
const s = (timeline: number, segno: number) =>
  `${timeline.toString(16).toUpperCase().padStart(8, '0')}00000000${segno.toString(16).toUpperCase().padStart(8, '0')}`;
const range = (timeline: number, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => s(timeline, from + i));

describe('walCheckPlan', () => {
  const plan = (
    segments: string[],
    checked: Record<string, string> = {},
    options: { batchSize?: number; budget?: number; histories?: Map<number, TimelineSwitch[]> } = {},
  ) =>
    walCheckPlan({
      segments,
      histories: options.histories ?? new Map(),
      checked,
      segmentBytes: SEG,
      batchSize: options.batchSize ?? 4,
      budget: options.budget ?? 100,
    });

  it.each([
    [
      'a first run: everything, in batches that overlap by one segment',
      range(1, 2, 7),
      {},
      {},
      [
        { timeline: 1, lead: null, segments: range(1, 2, 5), startLsn: '0/2000000', endLsn: '0/6000000' },
        { timeline: 1, lead: s(1, 5), segments: range(1, 6, 7), startLsn: '0/5000000', endLsn: '0/8000000' },
      ],
      0,
    ],
    [
      'a later run: only what came since, led by the newest checked segment',
      range(1, 2, 9),
      { '1': s(1, 7) },
      {},
      [{ timeline: 1, lead: s(1, 7), segments: range(1, 8, 9), startLsn: '0/7000000', endLsn: '0/A000000' }],
      0,
    ],
    ['nothing new', range(1, 2, 9), { '1': s(1, 9) }, {}, [], 0],
    [
      'a gap: the run after it starts without a lead',
      [...range(1, 2, 3), ...range(1, 6, 7)],
      {},
      {},
      [
        { timeline: 1, lead: null, segments: range(1, 2, 3), startLsn: '0/2000000', endLsn: '0/4000000' },
        { timeline: 1, lead: null, segments: range(1, 6, 7), startLsn: '0/6000000', endLsn: '0/8000000' },
      ],
      0,
    ],
    [
      'a budget: the oldest first, the rest counted for the next run',
      range(1, 2, 9),
      {},
      { budget: 3 },
      [{ timeline: 1, lead: null, segments: range(1, 2, 4), startLsn: '0/2000000', endLsn: '0/5000000' }],
      5,
    ],
    [
      'a timeline switch: the old one read up to its switch point, a fork’s leftovers past it not at all',
      [...range(1, 2, 5), ...range(2, 4, 5)],
      {},
      { histories: new Map([[2, [{ parent: 1, switchpoint: parseLsn('0/4000120') }]]]) },
      [
        { timeline: 1, lead: null, segments: range(1, 2, 4), startLsn: '0/2000000', endLsn: '0/4000120' },
        { timeline: 2, lead: null, segments: range(2, 4, 5), startLsn: '0/4000000', endLsn: '0/6000000' },
      ],
      0,
    ],
  ])('%s', (_what, segments, checked, options, batches, deferred) => {
    expect(plan(segments, checked, options)).toEqual({ batches, deferred });
  });

  it('passes over names that are not segments', () => {
    expect(plan(['00000002.history', `${s(1, 2)}.partial`]).batches).toEqual([]);
  });
});

describe('rereadDue', () => {
  const now = Date.parse('2026-12-02T03:00:00Z');
  it.each([
    ['never: 0 days', { everyDays: 0, lastFullPassAt: undefined, underWay: true }, false],
    ['no complete pass recorded', { everyDays: 30, lastFullPassAt: undefined, underWay: false }, true],
    ['a pass under way goes on', { everyDays: 30, lastFullPassAt: '2026-11-30T03:00:00Z', underWay: true }, true],
    ['the last pass began 29 days ago', { everyDays: 30, lastFullPassAt: '2026-11-03T03:00:01Z', underWay: false }, false],
    ['the last pass began 30 days ago', { everyDays: 30, lastFullPassAt: '2026-11-02T03:00:00Z', underWay: false }, true],
  ])('%s', (_what, input, due) => expect(rereadDue({ ...input, now })).toBe(due));
});

describe('walRereadPlan', () => {
  const plan = (reread: { until: Record<string, string>; upTo: Record<string, string> }, failed: string[] = [], budget = 100) =>
    walRereadPlan({
      segments: [...range(1, 2, 9), ...range(2, 9, 12)],
      histories: new Map([[2, [{ parent: 1, switchpoint: parseLsn('0/9000120') }]]]),
      reread: { startedAt: '2026-12-02T03:00:00Z', ...reread },
      failed,
      segmentBytes: SEG,
      batchSize: 4,
      budget,
    });

  it.each([
    [
      'a pass begun: what was read back when it began, not what came since',
      { until: { '1': s(1, 9), '2': s(2, 10) }, upTo: {} },
      [],
      100,
      [
        { timeline: 1, lead: null, segments: range(1, 2, 5), startLsn: '0/2000000', endLsn: '0/6000000' },
        { timeline: 1, lead: s(1, 5), segments: range(1, 6, 9), startLsn: '0/5000000', endLsn: '0/9000120' },
        { timeline: 2, lead: null, segments: range(2, 9, 10), startLsn: '0/9000000', endLsn: '0/B000000' },
      ],
      0,
    ],
    [
      'a pass going on from where it got, within the budget',
      { until: { '1': s(1, 9), '2': s(2, 10) }, upTo: { '1': s(1, 5) } },
      [],
      3,
      [{ timeline: 1, lead: s(1, 5), segments: range(1, 6, 8), startLsn: '0/5000000', endLsn: '0/9000000' }],
      3,
    ],
    [
      'a failed segment: read first by every run anyway, so passed over and leading nothing',
      { until: { '1': s(1, 9) }, upTo: { '1': s(1, 5) } },
      [s(1, 7)],
      100,
      [
        { timeline: 1, lead: s(1, 5), segments: [s(1, 6)], startLsn: '0/5000000', endLsn: '0/7000000' },
        { timeline: 1, lead: null, segments: range(1, 8, 9), startLsn: '0/8000000', endLsn: '0/9000120' },
      ],
      0,
    ],
    ['a timeline never read back is not read again', { until: {}, upTo: {} }, [], 100, [], 0],
  ])('%s', (_what, reread, failed, budget, batches, deferred) => {
    expect(plan(reread, failed, budget)).toEqual({ batches, deferred });
  });
});

describe('waldumpFailure', () => {
  const firstNew = '000000010000000000000018';
  it.each([
    [
      'a broken record: the segment it starts in',
      'pg_waldump: error: error in WAL record at 0/197A0BD0: incorrect resource manager data checksum in record at 0/197A0FD0\n',
      '000000010000000000000019',
      'error in WAL record at 0/197A0BD0: incorrect resource manager data checksum in record at 0/197A0FD0',
    ],
    [
      'a record starting in the lead, broken further on: the first new segment',
      'pg_waldump: error: error in WAL record at 0/17FFFC38: invalid record length at 0/18000010\n',
      firstNew,
      'error in WAL record at 0/17FFFC38: invalid record length at 0/18000010',
    ],
    [
      'no position: the first new segment',
      'pg_waldump: error: could not find a valid record after 0/18000000\n',
      firstNew,
      'could not find a valid record after 0/18000000',
    ],
    ['nothing said', '', firstNew, 'pg_waldump failed without saying why'],
  ])('%s', (_what, stderr, segment, line) => {
    expect(waldumpFailure(stderr, firstNew, SEG)).toEqual({ segment, finding: `${segment}: ${line}` });
  });
});

describe('describeWalVerification', () => {
  const v: WalVerification = {
    server: 'shop',
    status: 'passed',
    segments: 12,
    bytes: 12 * SEG,
    upTo: s(1, 0x2a),
    deferred: 0,
    failures: [],
    durationMs: 900,
  };
  it.each([
    [
      v,
      "WAL contents: PASSED (12 segment(s) archived since the last check read back up to 00000001000000000000002A: decrypted, checksums and every record's CRC)",
    ],
    [{ ...v, segments: 0, upTo: null }, 'WAL contents: PASSED (no segment archived since the last check)'],
    [
      { ...v, segments: 0, upTo: null, reread: { startedAt: '2026-12-02T03:00:05.120Z', segments: 32, left: 0 } },
      'WAL contents: PASSED (no segment archived since the last check; 32 archived earlier read again by the pass begun 2026-12-02 03:00 UTC, which is complete)',
    ],
    [
      { ...v, segments: 0, upTo: null, reread: { startedAt: '2026-12-02T03:00:05.120Z', segments: 16, left: 7 } },
      'WAL contents: PASSED (no segment archived since the last check; 16 archived earlier read again by the pass begun 2026-12-02 03:00 UTC, 7 left for later runs)',
    ],
    [
      { ...v, status: 'failed' as const, deferred: 40 },
      "WAL contents: FAILED (12 segment(s) archived since the last check read back up to 00000001000000000000002A: decrypted, checksums and every record's CRC; 40 more left for the next run)",
    ],
  ])('%#', (value, line) => expect(describeWalVerification(value)).toBe(line));
});

describe('walReadBackProblems', () => {
  it.each([
    [{ upTo: s(1, 9), checkedAt: '2026-11-29T03:02:00.000Z', pending: 0, failed: [] }, []],
    [
      { upTo: s(1, 9), checkedAt: '2026-11-29T03:02:00.000Z', pending: 0, failed: [s(1, 3), s(1, 7)] },
      [
        '2 archived WAL segment(s) of shop failed their read-back (000000010000000000000003, 000000010000000000000007): a point-in-time recovery through them stops there; take a new base backup (pgwarden basebackup), look for an intact copy (bucket versioning or replication), and run pgwarden verify again once mended',
      ],
    ],
  ])('%#', (read, problems) => expect(walReadBackProblems('shop', read)).toEqual(problems));
});
