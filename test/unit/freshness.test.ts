import { catalogEntry } from '../../src/operations/catalog/catalog';
import { checkFreshness } from '../../src/operations/backup/freshness';

const now = new Date('2024-06-30T12:00:00Z');
const entry = (backupId: string, takenAt: string, verified: boolean) =>
  ({
    ...catalogEntry(
      {
        backupId,
        database: 'shop',
        snapshot: { takenAt },
        pgDump: { format: 'custom' },
        data: { storedBytes: 1, key: 'k' },
        tables: [],
        reason: 'r',
        encryption: { algorithm: 'AES-256-GCM', keyId: 'k' },
        storage: { storageClass: 'STANDARD_IA' },
      } as never,
      'm',
      undefined,
      undefined,
    ),
    verification: { status: verified ? 'passed' : 'never', at: null, failures: [] },
  }) as ReturnType<typeof catalogEntry>;
const policy = { maxBackupAgeHours: 26, maxVerifiedAgeDays: 8 };

describe('missing-backup check', () => {
  it('is quiet when the newest backup and the newest verified one are recent', () => {
    const r = checkFreshness(
      'shop',
      [entry('b2', '2024-06-30T02:00:00Z', false), entry('b1', '2024-06-27T02:00:00Z', true)],
      policy,
      now,
    );
    expect(r).toMatchObject({
      problems: [],
      newestBackup: { backupId: 'b2', ageHours: 10 },
      newestVerified: { backupId: 'b1', ageDays: 3.4 },
    });
  });
  it('says what is missing and since when', () => {
    const r = checkFreshness(
      'shop',
      [entry('b1', '2024-06-28T02:00:00Z', true), entry('b0', '2024-06-10T02:00:00Z', true)],
      policy,
      now,
    );
    expect(r.problems).toEqual([
      'the newest complete backup of shop (b1) is 58 h old, over the 26 h limit, missing since 2024-06-29T04:00:00.000Z; check the backup schedule and its recent runs',
    ]);
    expect(checkFreshness('shop', [], policy, now).problems).toEqual([
      'no complete backup of shop exists at all; check the backup schedule (pgwarden schedules list) and the worker',
      'no backup of shop has passed verification; run pgwarden verify and check the verification schedule',
    ]);
  });
});
