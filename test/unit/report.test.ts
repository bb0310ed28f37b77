import { innermost } from '../../activities/unrecorded-failures';
/** The report's pure parts: figures from facts, prices, the terminal trend, --days. */
import { parseDays } from '../../src/app/cli/commands/report';
import { restorePart, restoreTestReport, restoreTestSummary } from '../../src/operations/restore-test/restore-test';
import { formatReport, sparkline } from '../../src/operations/report/format';
import { DEFAULT_STORAGE_PRICES, parsePrices } from '../../src/infra/config/prices';
import { monthlyCost } from '../../src/operations/report/prices';
import { buildReport, ReportFacts } from '../../src/operations/report/report';
import { UsageError } from '../../src/infra/errors/errors';

const GiB = 1024 ** 3;
const now = new Date('2026-11-24T12:00:00Z');
const at = (daysAgo: number, hour = 2) => new Date(Date.UTC(2026, 10, 24 - daysAgo, hour)).toISOString();

function facts(over: Partial<ReportFacts> = {}): ReportFacts {
  return {
    database: 'app',
    now,
    days: 7,
    backups: [0, 1, 2, 4, 5, 6, 9].map((d, i) => ({
      backupId: `b${d}`,
      finishedAt: at(d),
      storedBytes: 1000 + 100 * (10 - d),
      rawBytes: 5000,
      durationMs: 60_000 + i * 1000,
    })),
    failures: [{ backupId: 'b3', failedAt: at(3), errorType: 'StorageError', message: 'bucket gone' }],
    verifications: [
      { backupId: 'b6', status: 'passed', finishedAt: at(6, 3), restoreMs: 30_000 },
      { backupId: 'b1', status: 'failed', finishedAt: at(1, 3), restoreMs: 50_000 },
      { backupId: 'b9', status: 'passed', finishedAt: at(9, 3), restoreMs: 99_000 },
    ],
    restores: [
      { backupId: 'b2', status: 'succeeded', finishedAt: at(2, 5), recoveryMs: 3 * 3_600_000, restoreMs: 600_000 },
      { backupId: 'b1', status: 'succeeded', finishedAt: at(1, 5), recoveryMs: 5 * 3_600_000, restoreMs: 900_000 },
      { backupId: 'b1', status: 'failed', finishedAt: at(1, 6), recoveryMs: 1000, restoreMs: null },
    ],
    objects: [
      { key: 'a', size: 2 * GiB, storageClass: 'STANDARD_IA' },
      { key: 'b', size: GiB, storageClass: 'GLACIER' },
      { key: 'c', size: 10, storageClass: undefined },
      { key: 'd', size: GiB, storageClass: 'REDUCED_REDUNDANCY' },
    ],
    prices: DEFAULT_STORAGE_PRICES,
    ...over,
  };
}

describe('buildReport', () => {
  const r = buildReport(facts());

  it('counts runs inside the window of whole days only', () => {
    expect(r.from).toBe('2026-11-18T00:00:00.000Z');
    expect(r.backups).toEqual({
      succeeded: 6,
      failed: 1,
      successRate: 85.7,
      lastSuccessAt: at(0),
      lastFailure: { at: at(3), backupId: 'b3', errorType: 'StorageError', message: 'bucket gone' },
    });
  });

  it('gives size and duration per day, with gaps where no backup finished', () => {
    expect(r.size.perDay).toEqual([1400, 1500, 1600, null, 1800, 1900, 2000]);
    expect(r.size).toMatchObject({ latestBytes: 2000, minBytes: 1400, maxBytes: 2000, changePercent: 42.9 });
    expect(r.duration).toEqual({
      latestMs: 60_000,
      medianMs: 62_500,
      maxMs: 65_000,
      perDay: [65_000, 64_000, 63_000, null, 62_000, 61_000, 60_000],
    });
  });

  it('reports verification and restore times, and recoveries within the 4 h RTO', () => {
    expect(r.verification).toEqual({ passed: 1, failed: 1, testRestoreMedianMs: 40_000, testRestoreLastMs: 50_000 });
    expect(r.restores).toEqual({
      succeeded: 2,
      failed: 1,
      lastRecoveryMs: 5 * 3_600_000,
      medianRecoveryMs: 4 * 3_600_000,
      medianRestoreMs: 750_000,
      withinRto: 1,
    });
  });

  it('prices storage per class and names classes it has no price for', () => {
    expect(r.storage.byClass).toEqual([
      { storageClass: 'STANDARD_IA', objects: 1, bytes: 2 * GiB, monthlyUsd: 0.025 },
      { storageClass: 'GLACIER', objects: 1, bytes: GiB, monthlyUsd: 0.0036 },
      { storageClass: 'REDUCED_REDUNDANCY', objects: 1, bytes: GiB, monthlyUsd: null },
      { storageClass: 'STANDARD', objects: 1, bytes: 10, monthlyUsd: (10 / GiB) * 0.023 },
    ]);
    expect(r.storage.monthlyUsd).toBeCloseTo(0.0286, 6);
    expect(r.storage.unpricedClasses).toEqual(['REDUCED_REDUNDANCY']);
  });

  it('says "no runs" rather than 0% or 100% for an empty window', () => {
    const empty = buildReport(facts({ backups: [], failures: [], verifications: [], restores: [], objects: [] }));
    expect(empty.backups.successRate).toBeNull();
    expect(empty.size).toEqual({
      latestBytes: null,
      minBytes: null,
      maxBytes: null,
      changePercent: null,
      perDay: new Array(7).fill(null),
    });
    expect(formatReport(empty)).toContain('success rate - (no runs)');
  });
});

describe('formatReport', () => {
  it('shows the figures and the trends a person reads at a glance', () => {
    const text = formatReport(buildReport(facts()));
    expect(text.split('\n')).toEqual([
      'app: last 7 days (2026-11-18 to 2026-11-24)',
      '  backups       6 succeeded, 1 failed; success rate 85.7%; last success 2026-11-24 02:00Z',
      '                last failure 2026-11-21 02:00Z StorageError: bucket gone',
      '  size          |▁▂▃ ▆▇█| 2.0 KiB now, +42.9% over the period (min 1.4 KiB, max 2.0 KiB)',
      '  duration      |█▇▅ ▄▂▁| 60.0s last, median 62.5s, max 65.0s',
      '  verification  1 passed, 1 failed; test restore median 40.0s (last 50.0s)',
      '  restores      2 succeeded, 1 failed; recovery last 300.0 min, median 240.0 min; within the 4 h RTO: 1 of 2',
      '  storage       4.0 GiB in 4 objects, est. $0.03/month (no price for REDUCED_REDUNDANCY; set S3_STORAGE_PRICES)',
      '                STANDARD_IA              1 objects    2.0 GiB  $0.03/month',
      '                GLACIER                  1 objects    1.0 GiB  $0.0036/month',
      '                REDUCED_REDUNDANCY       1 objects    1.0 GiB  no price/month',
      '                STANDARD                 1 objects       10 B  <$0.0001/month',
    ]);
  });
});

describe('formatReport of a server in WAL_ARCHIVE', () => {
  it('adds the point-in-time window, and its problems', () => {
    const report = buildReport(facts());
    const window = { from: '2026-11-22T02:10:00.000Z', fromBackup: 'base_20261122_020000', toLsn: '0/7000000' };
    expect(
      formatReport({
        ...report,
        pitr: { server: 'app', baseBackups: 2, window, walSegments: 5, firstMissing: null, problems: [] },
      })
        .split('\n')
        .at(-1),
    ).toBe(
      '  point in time window from 2026-11-22 02:10:00 UTC (base_20261122_020000) to WAL 0/7000000; 2 base backup(s), 5 WAL segment(s)',
    );
    expect(
      formatReport({
        ...report,
        pitr: { server: 'app', baseBackups: 0, window: null, walSegments: 0, firstMissing: null, problems: ['no base backup'] },
      })
        .split('\n')
        .at(-1),
    ).toBe('  point in time window none; 0 base backup(s), 0 WAL segment(s); no base backup');
  });

  it('shows the restore tests: counts, the last one with its times, and the trend of the logical restore time', () => {
    const report = buildReport(facts());
    const test = (id: string, finishedAt: string, passed: boolean, logicalMs: number | null, pointInTimeMs: number | null) =>
      restoreTestReport({
        id,
        database: 'app',
        startedAt: finishedAt,
        finishedAt,
        pointInTimeSkipped: null,
        parts: [
          logicalMs === null
            ? restorePart('logical', 'b', { failure: 'corrupt' })
            : restorePart('logical', 'b', { restoreMs: logicalMs, checks: [] }),
          ...(pointInTimeMs === null ? [] : [restorePart('point-in-time', 'p', { restoreMs: pointInTimeMs, checks: [] })]),
        ].map((p) => ({ ...p, passed: p.passed && passed })),
      });
    const summary = restoreTestSummary([
      test('t3', '2026-11-02T05:20:00Z', true, 90_000, 120_000),
      test('t1', '2026-09-02T05:20:00Z', true, 60_000, null),
      test('t2', '2026-10-02T05:20:00Z', false, null, null),
    ]);
    expect(summary).toEqual({
      passed: 2,
      failed: 1,
      last: { id: 't3', finishedAt: '2026-11-02T05:20:00Z', passed: true, logicalMs: 90_000, pointInTimeMs: 120_000 },
      logicalMs: [60_000, null, 90_000],
      pointInTimeMs: [null, null, 120_000],
    });
    expect(
      formatReport({ ...report, restoreTests: summary })
        .split('\n')
        .at(-1),
    ).toBe(
      '  restore tests |▁ █| 2 passed, 1 failed; last 2026-11-02 05:20Z PASSED (logical 90.0s, point in time 2.0 min; RTO 2-4 h)',
    );
    expect(
      formatReport({ ...report, restoreTests: restoreTestSummary([]) })
        .split('\n')
        .at(-1),
    ).toBe('  restore tests none yet (pgwarden restore-test; monthly on its schedule)');
  });
});

describe('sparkline', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8], '▁▂▃▄▅▆▇█'],
    [[5, 5, 5], '▄▄▄'],
    [[null, 1, null, 2], ' ▁ █'],
    [[null, null], '  '],
    [[], ''],
  ])('%j -> "%s"', (values, line) => expect(sparkline(values)).toBe(line));

  it('folds long windows into at most 60 columns', () => {
    const line = sparkline(Array.from({ length: 365 }, (_, i) => i));
    expect(line.length).toBeLessThanOrEqual(60);
    expect(line.length).toBe(Math.ceil(365 / 7));
    expect(line[0]).toBe('▁');
    expect(line[line.length - 1]).toBe('█');
  });
});

describe('prices', () => {
  it('overrides defaults with S3_STORAGE_PRICES and reports bad entries', () => {
    expect(parsePrices('STANDARD_IA=0.02, MINIO=0.005').prices).toMatchObject({
      STANDARD_IA: 0.02,
      MINIO: 0.005,
      GLACIER: 0.0036,
    });
    expect(parsePrices('STANDARD=cheap').problems).toEqual([
      '"STANDARD=cheap" is not CLASS=USD_PER_GB_MONTH (e.g. STANDARD_IA=0.0125)',
    ]);
    expect(monthlyCost(GiB, 'DEEP_ARCHIVE', DEFAULT_STORAGE_PRICES)).toBe(0.00099);
    expect(monthlyCost(GiB, 'UNKNOWN', DEFAULT_STORAGE_PRICES)).toBeNull();
  });
});

describe('--days', () => {
  it.each([
    [undefined, 30],
    ['7', 7],
    ['3650', 3650],
  ])('%s -> %d', (text, days) => expect(parseDays(text)).toBe(days));
  it.each(['0', '-1', '1.5', 'week', '3651'])('rejects %s', (text) => expect(() => parseDays(text)).toThrow(UsageError));
});

describe('failed runs the bucket has no record of', () => {
  it.each([
    [
      {
        message: 'Activity task failed',
        cause: { message: 'HeadBucket failed: cannot reach', applicationFailureInfo: { type: 'StorageError' } },
      },
      { errorType: 'StorageError', message: 'HeadBucket failed: cannot reach' },
    ],
    [
      { message: 'plain', applicationFailureInfo: {} },
      { errorType: 'Error', message: 'plain' },
    ],
    [undefined, { errorType: 'Error', message: 'the run failed' }],
  ])('%j reads as its innermost cause', (failure, expected) => expect(innermost(failure)).toEqual(expected));
});
