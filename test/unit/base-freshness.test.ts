import { baseBackupFreshnessProblems } from '../../src/operations/pitr/base-freshness';
import type { BaseVerificationSummary } from '../../src/operations/pitr/window';

const now = new Date('2026-12-02T06:00:00Z');
const base = (backupId: string, finishedAt: string) => ({ backupId, finishedAt });
const passed = (verifiedAt: string): BaseVerificationSummary => ({ status: 'passed', verifiedAt, failures: [] });
const failed = (verifiedAt: string): BaseVerificationSummary => ({ status: 'failed', verifiedAt, failures: ['x'] });
const stale =
  'the newest base backup of shop (base_20261122_010000) is 10 days old, over the 8-day limit (BASEBACKUP_MAX_AGE_DAYS), so a point-in-time restore replays all WAL since then; check the base backup schedule (pgwarden schedules list), or run pgwarden basebackup --server shop';

describe('baseBackupFreshnessProblems', () => {
  it.each<[string, Array<{ backupId: string; finishedAt: string }>, Array<[string, BaseVerificationSummary]>, string[]]>([
    ['no base backup: the archive check says so already', [], [], []],
    [
      'a recent base backup verified this week: quiet',
      [base('base_20261129_010000', '2026-11-29T01:05:00Z')],
      [['base_20261129_010000', passed('2026-11-29T03:10:00Z')]],
      [],
    ],
    ['a new setup not yet due a verification: quiet', [base('base_20261201_010000', '2026-12-01T01:05:00Z')], [], []],
    [
      'the newest too old, an older one verified long ago',
      [base('base_20261101_010000', '2026-11-01T01:05:00Z'), base('base_20261122_010000', '2026-11-22T01:05:00Z')],
      [['base_20261101_010000', passed('2026-11-01T03:10:00Z')]],
      [
        stale,
        'no base backup verification of shop has passed for 31 days (limit 8); the last one (base_20261101_010000, 2026-11-01T03:10:00Z) passed; check its schedule (pgwarden schedules list), or run pgwarden verify --database shop',
      ],
    ],
    [
      'never verified, the first base backup over the limit ago',
      [base('base_20261122_010000', '2026-11-22T01:05:00Z')],
      [],
      [
        stale,
        'no base backup verification of shop has ever passed; run pgwarden verify --database shop and check its schedule (pgwarden schedules list)',
      ],
    ],
    [
      'the latest verification failed and the passed one is old',
      [base('base_20261115_010000', '2026-11-15T01:05:00Z'), base('base_20261129_010000', '2026-11-29T01:05:00Z')],
      [
        ['base_20261115_010000', passed('2026-11-15T03:10:00Z')],
        ['base_20261129_010000', failed('2026-11-29T03:10:00Z')],
      ],
      [
        'no base backup verification of shop has passed for 17 days (limit 8); the last one (base_20261129_010000, 2026-11-29T03:10:00Z) FAILED; check its schedule (pgwarden schedules list), or run pgwarden verify --database shop',
      ],
    ],
  ])('%s', (_what, bases, verifications, expected) => {
    expect(
      baseBackupFreshnessProblems({
        server: 'shop',
        bases,
        verifications: new Map(verifications),
        maxAgeDays: 8,
        maxVerifiedAgeDays: 8,
        now,
      }),
    ).toEqual(expected);
  });
});
