/** What a restore test tells people: passed, failed, or could not finish. */
import { restoreTestNotice, restoreTestRunFailedNotice } from '../../src/operations/restore-test/notices';
import { restorePart, restoreTestReport } from '../../src/operations/restore-test/restore-test';

const logicalFailed = restorePart('logical', 'the newest backup', { failure: 'cannot reach bucket' });

it('a failed test: critical, each part, the report, what to do', () => {
  const report = restoreTestReport({
    id: 'restore-test-shop-1',
    database: 'shop',
    startedAt: '2026-12-02T05:00:00Z',
    finishedAt: '2026-12-02T05:01:00Z',
    parts: [logicalFailed],
    pointInTimeSkipped: 'shop is not in WAL_ARCHIVE',
  });
  expect(restoreTestNotice(report, 's3://b/reports/x.md')).toEqual({
    event: 'restore-test.failed',
    about: 'shop',
    severity: 'critical',
    title: 'Restore test of shop failed',
    facts: [
      ['Database', 'shop'],
      ['logical', 'FAILED: the newest backup; cannot reach bucket'],
      ['point-in-time', 'not tested: shop is not in WAL_ARCHIVE'],
      ['Report', 's3://b/reports/x.md'],
      ['Workflow', 'restore-test-shop-1'],
    ],
    action:
      'read the report; a backup that does not restore is not a backup: run pgwarden verify and pgwarden restore-test again once fixed',
  });
});

it('a passed test: OK, each part with its time against the RTO, the report, nothing to do', () => {
  const logical = restorePart('logical', 'backup_20261202_010000', {
    restoreMs: 42_000,
    checks: [{ name: 'row counts', ok: true, detail: 'all 3 tables match the manifest' }],
  });
  const report = restoreTestReport({
    id: 'restore-test-shop-2',
    database: 'shop',
    startedAt: '2026-12-02T05:00:00Z',
    finishedAt: '2026-12-02T05:01:00Z',
    parts: [logical],
    pointInTimeSkipped: null,
  });
  const notice = restoreTestNotice(report, 's3://b/reports/y.md');
  expect(notice).toMatchObject({ event: 'restore-test.passed', severity: 'info', title: 'Restore test of shop passed' });
  expect(notice.action).toBeUndefined();
  expect(notice.facts).toEqual([
    ['Database', 'shop'],
    ['logical', expect.stringMatching(/^passed: backup_20261202_010000; restored in 42\.0 s \(.*: met\); row counts ok/)],
    ['Report', 's3://b/reports/y.md'],
    ['Workflow', 'restore-test-shop-2'],
  ]);
});

it.each([
  [
    'StorageError',
    [],
    'fix the cause named above (the Temporal Web UI has the full error), then run pgwarden restore-test --database shop; no report of this run is stored, so the daily check still counts the last one',
  ],
  [
    'ConfigError',
    ['logical: FAILED: the newest backup; cannot reach bucket'],
    'fix the worker configuration named above and restart the worker, then run pgwarden restore-test --database shop; no report of this run is stored, so the daily check still counts the last one',
  ],
])('a test that could not finish (%s): critical, where, the parts done, what to do', (errorType, tested, action) => {
  const notice = restoreTestRunFailedNotice({
    database: 'shop',
    during: 'storing the report',
    errorType,
    message: 'cannot reach bucket',
    tested,
    workflowId: 'restore-test-shop-1',
  });
  expect(notice).toMatchObject({
    event: 'restore-test.run-failed',
    severity: 'critical',
    title: 'Restore test of shop could not finish',
    action,
  });
  expect(notice.facts).toEqual([
    ['Database', 'shop'],
    ['During', 'storing the report'],
    ['Error', `${errorType}: cannot reach bucket`],
    ...(tested.length ? [['logical', 'FAILED: the newest backup; cannot reach bucket']] : []),
    ['Workflow', 'restore-test-shop-1'],
  ]);
});
