/** What a verification that could not finish tells people. */
import { verifyRunFailedNotice, type VerifyRunFailed } from '../../src/operations/verify/notices';

const failure = (over: Partial<VerifyRunFailed>): VerifyRunFailed => ({
  database: 'shop',
  during: 'backup_20261206_010000: test restore and row counts',
  errorType: 'StorageError',
  message: 'cannot reach bucket',
  verified: [],
  workflowId: 'verify-shop-1',
  ...over,
});

it.each([
  [
    'StorageError',
    [],
    'fix the cause named above (the Temporal Web UI has the full error), then run pgwarden verify --database shop; until one finishes, the backups are no more proven to restore than before this run',
  ],
  [
    'ConfigError',
    ['backup_20261205_010000: passed'],
    'fix the worker configuration named above and restart the worker, then run pgwarden verify --database shop; until one finishes, the backups are no more proven to restore than before this run',
  ],
])('%s: critical, where it stopped, what it had verified, what to do', (errorType, verified, action) => {
  const notice = verifyRunFailedNotice(failure({ errorType, verified }));
  expect(notice).toMatchObject({
    event: 'verify.run-failed',
    severity: 'critical',
    title: 'Verification of shop could not finish',
    action,
  });
  expect(notice.facts).toEqual([
    ['Database', 'shop'],
    ['During', 'backup_20261206_010000: test restore and row counts'],
    ['Error', `${errorType}: cannot reach bucket`],
    ...(verified.length ? [['Verified before', verified.join(', ')]] : []),
    ['Workflow', 'verify-shop-1'],
  ]);
});
