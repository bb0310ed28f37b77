/** The monthly cleanup's notice: nobody watches the schedule, so what it held back is told. */
import { cleanupNotice, CleanupReport } from '../../src/operations/cleanup/notices';

const report = (kept: CleanupReport['kept']): CleanupReport => ({
  database: 'shop',
  dryRun: false,
  kept,
  locked: [],
  deleted: [],
  orphansRemoved: 0,
  uploadsAborted: 0,
  lifecycle: 'unchanged',
  warnings: [],
  workflowId: 'cleanup-shop',
});

it.each([
  [
    'nothing held: an info notice without a Held line',
    [{ backupId: 'backup_20261101_020000', reasons: ['one of the newest 3 (#1)'] }],
    'info',
    undefined,
  ],
  [
    'held by a restore: a warning that names it',
    [
      { backupId: 'backup_20261101_020000', reasons: ['one of the newest 3 (#1)'] },
      {
        backupId: 'backup_20261001_020000',
        reasons: ['held: restore restore-shop-1 may read it; the first cleanup after they end deletes it'],
      },
    ],
    'warning',
    '1 backup(s) the policy would delete: restore restore-shop-1 may read it; the first cleanup after they end deletes it',
  ],
])('%s', (_, kept, severity, heldLine) => {
  const notice = cleanupNotice(report(kept));
  expect(notice.severity).toBe(severity);
  expect(notice.facts.find(([k]) => k === 'Held')?.[1]).toBe(heldLine);
});
