/** The strategy's log files: which lines go where, what a line says, and a file that stops taking lines. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logKindOf, logLine, logWriter } from '../../src/infra/logs/operation-logs';
import { checkLogFiles } from '../../src/app/worker/worker-logger';
import { ConfigError } from '../../src/infra/errors/errors';

describe('logKindOf', () => {
  it.each([
    ['backup complete', { workflowType: 'BackupWorkflow' }, 'backup'],
    ['verified', { workflowType: 'VerifyBackupWorkflow', activityType: 'verifyBackup' }, 'backup'],
    ['cleanup planned', { workflowType: 'CleanupWorkflow' }, 'backup'],
    ['checked', { workflowType: 'CheckBackupsWorkflow' }, 'backup'],
    ['round', { workflowType: 'WalArchiveWorkflow' }, 'backup'],
    ['restored', { workflowType: 'RestoreWorkflow' }, 'restore'],
    ['recovered', { workflowType: 'PitrRestoreWorkflow' }, 'restore'],
    ['tables back', { workflowType: 'RecoverTableWorkflow' }, 'restore'],
    ['step done', { workflowType: 'DisasterRecoveryWorkflow' }, 'restore'],
    ['test passed', { workflowType: 'RestoreTestWorkflow' }, 'restore'],
    ['notice sent', { workflowType: 'BackupWorkflow', channel: 'email' }, 'notification'],
    ['notification not delivered', { workflowType: 'RestoreWorkflow' }, 'notification'],
    ['listing', { workflowType: 'ListBackupsWorkflow' }, null],
    ['Worker state changed', { sdkComponent: 'worker' }, null],
    ['no meta', undefined, null],
  ])('%s %j: %s', (message, meta, kind) => {
    expect(logKindOf(message, meta)).toBe(kind);
  });
});

it('a line: time, level, the run, its activity, the message, its own facts (the SDK bookkeeping left out)', () => {
  const meta = {
    namespace: 'default',
    taskQueue: 'pgwarden',
    runId: 'r',
    attempt: 1,
    workflowType: 'BackupWorkflow',
    workflowId: 'backup-shop-20261207T020000Z',
    activityType: 'notifyBackup',
    event: 'backup.succeeded',
    channel: 'email',
  };
  expect(logLine(new Date('2026-12-07T02:00:05.250Z'), 'INFO', 'notice sent', meta)).toBe(
    '2026-12-07T02:00:05.250Z INFO BackupWorkflow backup-shop-20261207T020000Z notifyBackup: notice sent {"event":"backup.succeeded","channel":"email"}\n',
  );
  expect(logLine(new Date('2026-12-07T02:00:05.250Z'), 'WARN', 'worker stopping', undefined)).toBe(
    '2026-12-07T02:00:05.250Z WARN: worker stopping\n',
  );
});

describe('the files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pgwarden-logs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends each kind to its own file, and nothing for a kind without one', () => {
    const files = { backup: join(dir, 'backup.log'), notification: join(dir, 'notify.log') };
    const append = logWriter(files);
    const at = new Date('2026-12-07T02:00:00Z');
    append(at, 'INFO', 'backup complete', { workflowType: 'BackupWorkflow', workflowId: 'b1' });
    append(at, 'INFO', 'notice sent', { workflowType: 'BackupWorkflow', workflowId: 'b1', channel: 'slack' });
    append(at, 'INFO', 'restored', { workflowType: 'RestoreWorkflow', workflowId: 'r1' });
    expect(readFileSync(files.backup, 'utf8')).toBe('2026-12-07T02:00:00.000Z INFO BackupWorkflow b1: backup complete\n');
    expect(readFileSync(files.notification, 'utf8')).toContain('notice sent {"channel":"slack"}');
  });

  it('says once on stderr that a file stopped taking lines, and again after it recovered and failed anew', () => {
    const said: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    try {
      let full = true;
      const append = logWriter({ backup: '/var/log/full.log' }, () => {
        if (full) throw new Error('ENOSPC: no space left on device');
      });
      const line = () => append(new Date(), 'INFO', 'x', { workflowType: 'BackupWorkflow', workflowId: 'b' });
      line();
      line();
      full = false;
      line();
      full = true;
      line();
      expect(said).toEqual([
        'pgwarden worker: cannot append to /var/log/full.log: ENOSPC: no space left on device\n',
        'pgwarden worker: cannot append to /var/log/full.log: ENOSPC: no space left on device\n',
      ]);
    } finally {
      stderr.mockRestore();
    }
  });

  it('checks every file before the worker starts: one line each for those it cannot append to', () => {
    expect(() => checkLogFiles({ backup: join(dir, 'ok.log') })).not.toThrow();
    try {
      checkLogFiles({ backup: join(dir, 'no', 'such', 'dir.log'), restore: join(dir, 'ok.log'), notification: dir });
      throw new Error('accepted');
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        `BACKUP_LOG_FILE: cannot append to ${join(dir, 'no', 'such', 'dir.log')} (ENOENT): create its folder, or let the worker's user write there`,
        `NOTIFICATION_LOG_FILE: cannot append to ${dir} (EISDIR): create its folder, or let the worker's user write there`,
      ]);
    }
  });
});
