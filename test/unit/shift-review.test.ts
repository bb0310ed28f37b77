import {
  MOST_FAILURES_LISTED,
  reviewFacts,
  reviewShift,
  workWords,
  type ClosedRun,
  type ShiftReview,
} from '../../src/operations/dr/shift-review';

const since = '2026-12-07T09:00:00.000Z';
const run = (type: string, outcome: ClosedRun['outcome'], closedAt: string, extra: Partial<ClosedRun> = {}): ClosedRun => ({
  type,
  workflowId: `${type}-${closedAt}`,
  database: 'shop',
  outcome,
  closedAt,
  ...extra,
});

describe('the shift in review', () => {
  it.each<[string, ClosedRun[], Omit<ShiftReview, 'since'>]>([
    ['a quiet shift', [], { backupsStored: 0, failed: [], incidents: [] }],
    [
      'backups stored; a run before the shift is not its own',
      [
        run('BackupWorkflow', 'completed', '2026-12-08T02:01:00.000Z'),
        run('BackupWorkflow', 'completed', '2026-12-09T02:01:00.000Z'),
        run('BackupWorkflow', 'failed', '2026-12-06T02:01:00.000Z'),
      ],
      { backupsStored: 2, failed: [], incidents: [] },
    ],
    [
      'a failure, then a success of the same work and database',
      [
        run('BackupWorkflow', 'completed', '2026-12-10T02:01:00.000Z'),
        run('BackupWorkflow', 'failed', '2026-12-09T02:01:00.000Z'),
        run('BackupWorkflow', 'failed', '2026-12-08T02:01:00.000Z'),
      ],
      {
        backupsStored: 1,
        failed: [
          {
            work: 'backup',
            database: 'shop',
            times: 2,
            lastId: 'BackupWorkflow-2026-12-09T02:01:00.000Z',
            lastAt: '2026-12-09T02:01:00.000Z',
            succeededSince: true,
          },
        ],
        incidents: [],
      },
    ],
    [
      "another database's success is not this one's; timed out and terminated are failures",
      [
        run('VerifyBackupWorkflow', 'timed out', '2026-12-08T03:00:00.000Z'),
        run('VerifyBackupWorkflow', 'completed', '2026-12-08T04:00:00.000Z', { database: 'app' }),
        run('CleanupWorkflow', 'terminated', '2026-12-08T05:00:00.000Z'),
      ],
      {
        backupsStored: 0,
        failed: [
          {
            work: 'verify',
            database: 'shop',
            times: 1,
            lastId: 'VerifyBackupWorkflow-2026-12-08T03:00:00.000Z',
            lastAt: '2026-12-08T03:00:00.000Z',
            succeededSince: false,
          },
          {
            work: 'cleanup',
            database: 'shop',
            times: 1,
            lastId: 'CleanupWorkflow-2026-12-08T05:00:00.000Z',
            lastAt: '2026-12-08T05:00:00.000Z',
            succeededSince: false,
          },
        ],
        incidents: [],
      },
    ],
    [
      'a cancelled run and pgwarden asking itself are left out; closed incidents listed',
      [
        run('RestoreWorkflow', 'cancelled', '2026-12-08T05:00:00.000Z'),
        run('PreflightWorkflow', 'failed', '2026-12-08T05:00:00.000Z'),
        run('ListBackupsWorkflow', 'failed', '2026-12-08T05:00:00.000Z'),
        run('DisasterRecoveryWorkflow', 'completed', '2026-12-08T06:00:00.000Z', {
          workflowId: 'dr-shop-1',
          incident: { severity: 'SEV2', status: 'resolved' },
        }),
      ],
      { backupsStored: 0, failed: [], incidents: [{ id: 'dr-shop-1', severity: 'SEV2', database: 'shop', status: 'resolved' }] },
    ],
  ])('%s', (_, runs, expected) => {
    expect(reviewShift(runs, since)).toEqual({ since, ...expected });
  });

  it.each([
    ['BackupWorkflow', 'backup'],
    ['RestoreTestWorkflow', 'restore test'],
    ['WalArchiveWorkflow', 'WAL archiving'],
    ['CheckBackupsWorkflow', 'daily check'],
    ['SomethingElse', 'SomethingElse'],
  ])('names %s "%s"', (type, words) => {
    expect(workWords(type)).toBe(words);
  });

  it('tells the totals, each failure with whether it recovered, the closed incidents, and counts what it does not list', () => {
    const review = reviewShift(
      [
        run('BackupWorkflow', 'completed', '2026-12-08T02:01:00.000Z'),
        run('BackupWorkflow', 'failed', '2026-12-09T02:01:00.000Z', { workflowId: 'backup-shop-20261209T020000Z' }),
        run('BackupWorkflow', 'failed', '2026-12-10T02:01:00.000Z', { workflowId: 'backup-shop-20261210T020000Z' }),
        run('DisasterRecoveryWorkflow', 'completed', '2026-12-08T06:00:00.000Z', {
          workflowId: 'dr-shop-1',
          incident: { severity: 'SEV2', status: 'aborted' },
        }),
      ],
      since,
    );
    expect(reviewFacts(review)).toEqual([
      ['Last shift', 'since 2026-12-07 09:00 UTC: 1 backup stored, 2 runs failed, 1 incident closed'],
      ['Failed', 'backup of shop 2x, the last 2026-12-10 02:01 UTC (backup-shop-20261210T020000Z): no run has succeeded since'],
      ['Closed incident', 'dr-shop-1 (SEV2, shop): aborted'],
    ]);
    expect(reviewFacts(reviewShift([], since))).toEqual([
      ['Last shift', 'since 2026-12-07 09:00 UTC: 0 backups stored, no run failed'],
    ]);
    // The CLI's review of the shift under way.
    expect(reviewFacts(reviewShift([], since), 'So far')[0][0]).toBe('So far');
    const many = reviewShift(
      Array.from({ length: MOST_FAILURES_LISTED + 2 }, (_, i) =>
        run('VerifyBackupWorkflow', 'failed', '2026-12-08T03:00:00.000Z', { database: `db${i}` }),
      ),
      since,
    );
    const facts = reviewFacts(many);
    expect(facts.filter(([l]) => l === 'Failed')).toHaveLength(MOST_FAILURES_LISTED + 1);
    expect(facts.at(-1)).toEqual(['Failed', 'and 2 more kinds of work: pgwarden report']);
  });

  it('says from when a listing cut short is whole, and nothing of it when the listing was whole', () => {
    // Newest closed first, as visibility lists them; the oldest run read sets the bound, an asking run included.
    const read = [
      run('BackupWorkflow', 'completed', '2026-12-09T02:01:00.000Z'),
      run('BackupWorkflow', 'failed', '2026-12-08T02:01:00.000Z'),
      run('PreflightWorkflow', 'completed', '2026-12-08T01:30:00.000Z'),
    ];
    const cut = reviewShift(read, since, false);
    expect(cut.readBackTo).toBe('2026-12-08T01:30:00.000Z');
    expect(reviewFacts(cut)[0]).toEqual([
      'Last shift',
      'since 2026-12-07 09:00 UTC: 1 backup stored, 1 run failed (only the newest runs were read, back to 2026-12-08 01:30 UTC)',
    ]);
    expect(reviewShift(read, since)).not.toHaveProperty('readBackTo');
    expect(reviewShift(read, since, true)).not.toHaveProperty('readBackTo');
  });
});
