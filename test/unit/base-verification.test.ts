import {
  baseVerificationFailures,
  compareBaseCounts,
  describeBaseVerification,
  neverVerifiedBefore,
  snapshotParts,
  type BaseBackupRowCounts,
  type BaseBackupVerification,
} from '../../src/operations/pitr/base-verification';
import { lastWalNeeded } from '../../src/operations/pitr/base-backup';

const recorded: BaseBackupRowCounts = {
  database: 'shop',
  snapshot: '100:105:101,103',
  lsn: '0/3000060',
  tables: [
    { schema: 'public', table: 'orders', rows: 10 },
    { schema: 'public', table: 'payments', rows: 4 },
  ],
};

describe('snapshotParts', () => {
  it.each([
    ['100:105:101,103', 105n, [101n, 103n]],
    ['100:100:', 100n, []],
    [' 7:9:8 ', 9n, [8n]],
  ])('%s', (text, xmax, xip) => {
    expect(snapshotParts(text)).toEqual({ xmax, xip });
  });
  it('refuses what is not a snapshot', () => {
    expect(() => snapshotParts('0/3000060')).toThrow('not a transaction snapshot: "0/3000060"');
  });
});

describe('compareBaseCounts', () => {
  const same = recorded.tables;
  it.each<[string, BaseBackupRowCounts | undefined, typeof same, number, object]>([
    ['equal counts at one point in WAL', recorded, same, 0, { compared: true, tables: 2, differences: [] }],
    [
      'a table with other counts is named',
      recorded,
      [same[0], { ...same[1], rows: 5 }],
      0,
      { compared: true, differences: [{ schema: 'public', table: 'payments', expected: 4, actual: 5 }] },
    ],
    [
      'a table missing from the copy',
      recorded,
      [same[0]],
      0,
      { compared: true, differences: [{ schema: 'public', table: 'payments', expected: 4, actual: null }] },
    ],
    [
      'a commit in the instant of counting: skipped, not failed',
      recorded,
      [same[0], { ...same[1], rows: 5 }],
      1,
      { compared: false, differences: [], skipped: expect.stringMatching(/^1 transaction\(s\) committed in the instant/) },
    ],
    [
      'no counts recorded (an older base backup)',
      undefined,
      same,
      0,
      { compared: false, skipped: 'no counts were recorded with this base backup' },
    ],
  ])('%s', (_name, rec, actual, unseen, expected) => {
    expect(compareBaseCounts(rec, actual, unseen)).toMatchObject(expected);
  });
});

describe('the outcome', () => {
  const ok = { ok: true, detail: 'backup successfully verified' };
  const recovery = { ok: true, detail: 'recovered', seconds: 2.5, lsn: '0/3000060' };
  const v = (over: Partial<BaseBackupVerification>): BaseBackupVerification => {
    const base = {
      server: 'shop',
      backupId: 'base_20261129_010000',
      verifyBackup: ok,
      recovery,
      rowCounts: compareBaseCounts(recorded, recorded.tables, 0),
      durationMs: 9000,
      ...over,
    };
    const failures = baseVerificationFailures(base);
    return { ...base, failures, status: failures.length ? 'failed' : 'passed' };
  };
  it.each([
    [
      {},
      'base backup base_20261129_010000: PASSED (pg_verifybackup, recovery to 0/3000060 in 2.5 s, row counts of 2 table(s) match)',
    ],
    [
      { verifyBackup: { ok: false, detail: 'error: "base/1/1259" has size 0 on disk but size 8192 in the manifest' } },
      'base backup base_20261129_010000: FAILED: pg_verifybackup: error: "base/1/1259" has size 0 on disk but size 8192 in the manifest',
    ],
    [
      {
        recovery: {
          ok: false,
          detail: 'shop: recovery stopped: requested recovery stop point is before consistent recovery point',
          seconds: null,
          lsn: null,
        },
      },
      'base backup base_20261129_010000: FAILED: recovery: shop: recovery stopped: requested recovery stop point is before consistent recovery point',
    ],
    [
      { rowCounts: compareBaseCounts(recorded, [recorded.tables[0]], 0) },
      'base backup base_20261129_010000: FAILED: row counts differ in 1 table(s): public.payments: in the manifest (4 rows) but missing after restore',
    ],
    [
      { rowCounts: compareBaseCounts(undefined, recorded.tables, 0) },
      'base backup base_20261129_010000: PASSED (pg_verifybackup, recovery to 0/3000060 in 2.5 s, row counts not compared (no counts were recorded with this base backup))',
    ],
  ])('%j', (over, line) => {
    expect(describeBaseVerification(v(over))).toBe(line);
  });
});

describe('lastWalNeeded', () => {
  const m = {
    stop: { lsn: '0/2000100', timeline: 1, walFile: '000000010000000000000002' },
    serverInfo: { segmentBytes: 16 * 1024 * 1024 },
  };
  it.each([
    [undefined, '000000010000000000000002'],
    [{ ...recorded, lsn: '0/2000200' }, '000000010000000000000002'],
    [{ ...recorded, lsn: '0/3000060' }, '000000010000000000000003'],
  ])('counts at %j: %s', (rowCounts, walFile) => {
    expect(lastWalNeeded({ ...m, rowCounts } as Parameters<typeof lastWalNeeded>[0])).toBe(walFile);
  });
});

describe('neverVerifiedBefore', () => {
  const [b1, b2, b3] = ['base_20261201_010000', 'base_20261202_010000', 'base_20261203_010000'];
  it.each<[string, string[], string[], string, string[]]>([
    ['none verified: all but the newest, oldest first', [b3, b1, b2], [], b3, [b1, b2]],
    ['one verified is left out', [b1, b2, b3], [b1], b3, [b2]],
    ['all verified: nothing', [b1, b2, b3], [b1, b2, b3], b3, []],
    ['the newest is never listed, verified or not', [b1, b2, b3], [b3], b3, [b1, b2]],
    ['only the newest: nothing', [b1], [], b1, []],
    ['the newest is not the last by name (after a failover): still left out', [b1, b2, b3], [], b2, [b1, b3]],
  ])('%s', (_what, ids, verified, newest, expected) => {
    expect(neverVerifiedBefore(ids, new Set(verified), newest)).toEqual(expected);
  });
});
