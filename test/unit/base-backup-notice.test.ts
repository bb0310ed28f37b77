/** What a base backup that ended tells people: its wording, success and failure. */
import { renderEmail } from '../../src/infra/notify/notice';
import { baseBackupNotice, type BaseBackupOutcome } from '../../src/operations/pitr/notices';

const succeeded: BaseBackupOutcome = {
  status: 'succeeded',
  server: 'shop',
  backupId: 'base_20261206_010000',
  storedBytes: 150 * 1024 * 1024,
  walFrom: '2/88000028 (000000010000000200000088)',
  durationMs: 23_400,
  reason: 'scheduled',
  workflowId: 'base-backup-shop-1',
};
const failed = (errorType: string): BaseBackupOutcome => ({
  status: 'failed',
  server: 'shop',
  errorType,
  message: 'it broke',
  reason: 'scheduled',
  workflowId: 'base-backup-shop-2',
});

it('a base backup that succeeded: what it is, where recovery from it starts, how long it took', () => {
  expect(renderEmail(baseBackupNotice(succeeded))).toEqual({
    subject: '[pgwarden] OK: Base backup of shop succeeded',
    text: [
      'Base backup of shop succeeded',
      '',
      'Server:      shop',
      'Base backup: base_20261206_010000',
      'Size:        150.0 MiB stored',
      'WAL from:    2/88000028 (000000010000000200000088)',
      'Duration:    23.4s',
      'Reason:      scheduled',
      'Workflow:    base-backup-shop-1',
      '',
      '-- pgwarden (basebackup.succeeded)',
      '',
    ].join('\n'),
  });
  expect(baseBackupNotice({ ...succeeded, incrementalOf: 'base_20261205_010000' }).facts[1]).toEqual([
    'Base backup',
    'base_20261206_010000 (incremental on base_20261205_010000)',
  ]);
});

it.each([
  [
    'ConfigError',
    'fix the worker configuration named above, restart the worker, and run pgwarden basebackup --server shop; until one succeeds, a point-in-time recovery starts from the previous base backup and replays all WAL archived since (pgwarden pitr list)',
  ],
  [
    'BackupError',
    'open the workflow in the Temporal Web UI for the full error, fix the cause, and run pgwarden basebackup --server shop; until one succeeds, a point-in-time recovery starts from the previous base backup and replays all WAL archived since (pgwarden pitr list)',
  ],
])('a base backup that failed with %s is critical, with what to do', (errorType, action) => {
  const notice = baseBackupNotice(failed(errorType));
  expect(notice).toMatchObject({ event: 'basebackup.failed', severity: 'critical', title: 'Base backup of shop FAILED', action });
  expect(notice.facts).toContainEqual(['Error', `${errorType}: it broke`]);
});
