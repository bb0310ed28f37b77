import {
  describeRestoreTest,
  restorePart,
  restoreTestMarkdown,
  restoreTestPoint,
  restoreTestProblem,
  restoreTestReport,
} from '../../src/operations/restore-test/restore-test';

const ok = { name: 'row counts', ok: true, detail: 'all 4 tables match the manifest' };
const bad = { name: 'smoke query 1', ok: false, detail: 'returned no rows: SELECT 1 FROM shop.orders' };

describe('restoreTestPoint: a random point of the window, away from its edges', () => {
  const window = { from: '2026-11-29T02:00:00.000Z', to: '2026-11-29T03:00:00.000Z' };
  it.each([
    [0, '2026-11-29T02:00:01.000Z'],
    [0.5, '2026-11-29T02:29:58.000Z'],
    [1, '2026-11-29T02:59:55.000Z'],
    [7, '2026-11-29T02:59:55.000Z'],
  ])('random %s gives %s', (random, point) => {
    expect(restoreTestPoint(window, random)).toBe(point);
  });
  it('gives none when the window is a few seconds', () => {
    expect(restoreTestPoint({ from: window.from, to: '2026-11-29T02:00:05.000Z' }, 0.5)).toBeNull();
  });
});

describe('the restore test report', () => {
  const report = (parts: ReturnType<typeof restorePart>[], skipped: string | null = null) =>
    restoreTestReport({
      id: 'restore-test-shop-20261202T050000Z',
      database: 'shop',
      startedAt: '2026-12-02T05:00:00.000Z',
      finishedAt: '2026-12-02T05:20:00.000Z',
      parts,
      pointInTimeSkipped: skipped,
    });

  it.each([
    ['every check passed within the RTO', { restoreMs: 600_000, checks: [ok] }, true],
    ['a check failed', { restoreMs: 600_000, checks: [ok, bad] }, false],
    ['over the 4 h restore objective', { restoreMs: 5 * 3_600_000, checks: [ok] }, false],
    ['the restore itself failed', { failure: 'backup_20261201_020000 is corrupt' }, false],
  ])('a part passes only when %s', (_, outcome, passed) => {
    expect(restorePart('logical', 'backup_20261201_020000', outcome).passed).toBe(passed);
    expect(report([restorePart('logical', 'backup_20261201_020000', outcome)]).passed).toBe(passed);
  });

  it('says each part in a line, and the point-in-time part it skipped', () => {
    const r = report(
      [restorePart('logical', 'backup_20261201_020000', { restoreMs: 90_000, checks: [ok] })],
      'shop is not in WAL_ARCHIVE',
    );
    expect(describeRestoreTest(r)).toEqual([
      'restore test of shop: PASSED',
      'logical: passed: backup_20261201_020000; restored in 90.0 s (RTO 2-4 h: met); row counts ok (all 4 tables match the manifest)',
      'point-in-time: not tested: shop is not in WAL_ARCHIVE',
    ]);
    expect(restoreTestMarkdown(r).split('\n')).toEqual(
      expect.arrayContaining([
        '# Restore test restore-test-shop-20261202T050000Z: shop passed',
        '| logical | backup_20261201_020000 | 90.0 s | met | passed |',
        '| point-in-time | not tested | – | – | shop is not in WAL_ARCHIVE |',
        '- logical: passed: row counts: all 4 tables match the manifest',
      ]),
    );
  });

  it('says what the restore did beyond loading, and leaves the notes out when there are none', () => {
    const notes = ["roles created from the backup's globals: app_owner"];
    const r = report([restorePart('logical', 'backup_20261201_020000', { restoreMs: 90_000, checks: [ok], notes })]);
    expect(r.parts[0].notes).toEqual(notes);
    expect(describeRestoreTest(r)[1]).toBe(
      "logical: passed: backup_20261201_020000; restored in 90.0 s (RTO 2-4 h: met); row counts ok (all 4 tables match the manifest); roles created from the backup's globals: app_owner",
    );
    const md = restoreTestMarkdown(r).split('\n');
    expect(md.slice(md.indexOf('## Notes'))).toEqual([
      '## Notes',
      '',
      "- logical: roles created from the backup's globals: app_owner",
      '',
    ]);
    const without = report([restorePart('logical', 'backup_20261201_020000', { restoreMs: 90_000, checks: [ok], notes: [] })]);
    expect(without.parts[0]).not.toHaveProperty('notes');
    expect(restoreTestMarkdown(without)).not.toContain('## Notes');
  });

  it('counts as not passed when there is nothing in it', () => {
    expect(report([]).passed).toBe(false);
  });
});

describe('restoreTestProblem: the daily check', () => {
  const now = new Date('2026-12-20T06:00:00Z');
  const t = (id: string, finishedAt: string, passed: boolean) => ({ id, finishedAt, passed });
  it.each([
    ['a test passed 18 days ago', [t('a', '2026-12-02T05:20:00Z', true)], null],
    [
      'the last one failed but one passed within the limit',
      [t('a', '2026-12-02T05:20:00Z', true), t('b', '2026-12-19T05:20:00Z', false)],
      null,
    ],
    [
      'the last passed one is too old',
      [t('a', '2026-11-02T05:20:00Z', true), t('b', '2026-12-02T05:20:00Z', false)],
      /^no restore test of shop has passed for 48 days \(limit 35\); the last one \(b, 2026-12-02T05:20:00Z\) FAILED; check its schedule \(pgwarden schedules list\), or run pgwarden restore-test$/,
    ],
    [
      'none ever ran, backed up for 50 days',
      [],
      /^no restore test of shop has ever passed; run pgwarden restore-test and check its schedule/,
    ],
  ])('%s', (_, tests, problem) => {
    const said = restoreTestProblem('shop', tests, 35, now, '2026-10-31T02:00:00Z');
    if (problem === null) expect(said).toBeNull();
    else expect(said).toMatch(problem);
  });

  it('is quiet for a database backed up for less than the limit, or not at all', () => {
    expect(restoreTestProblem('shop', [], 35, now, '2026-12-01T02:00:00Z')).toBeNull();
    expect(restoreTestProblem('shop', [], 35, now, null)).toBeNull();
  });
});
