/**
 * The fast layer: workflows' branches with stubbed activities on the time-skipping server, so
 * retries, retry windows, fail-fast, non-retryable failures and approval timeouts are checked
 * in seconds. The real-server layer (backup.test.ts, restore.test.ts, ...) keeps the
 * end-to-end cases; this one owns the decisions the workflow code makes between activities.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { toActivityFailure } from '../../activities/failures';
import { describeFailure } from '../../src/app/cli/failure';
import { EncryptionError, StorageError } from '../../src/infra/errors/errors';
import { attemptsFor } from '../../src/infra/temporal/retry-window';
import { restoreStatusQuery } from '../../src/infra/temporal/messages';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { RunningWorker, timeSkippingEnvironment, workerOn } from '../support/time-skipping';
import { uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

/** What each stubbed activity was asked, per workflow id, and how each answers (set per test). */
const calls: Record<string, Array<{ activity: string; attempt: number; input: unknown }>> = {};
type Behaviour = (attempt: number, input: never) => unknown;
const behaviour: Record<string, Record<string, Behaviour>> = {};

function stub(name: string, fallback: Behaviour) {
  return async (input: never) => {
    const info = Context.current().info;
    const id = info.workflowExecution?.workflowId ?? '?';
    (calls[id] ??= []).push({ activity: name, attempt: info.attempt, input });
    const answer = (behaviour[id]?.[name] ?? fallback)(info.attempt, input);
    if (answer instanceof Error) throw answer;
    return answer;
  };
}

const dumpResult = (input: { backupId: string; database: string }) => ({
  backupId: input.backupId,
  database: input.database,
  databaseName: input.database,
  keys: { data: `p/${input.database}/data/${input.backupId}.dump.enc`, globals: 'g', manifest: 'm' },
  server: { version: '15', major: 15 },
  pgDump: { version: '15', format: 'custom' },
  compression: { algorithm: 'gzip', level: 6 },
  encryption: { algorithm: 'aes-256-gcm', keyId: 'k1', container: 'pgwarden-gcm-v1' },
  data: { key: `p/${input.database}/data/${input.backupId}.dump.enc`, rawBytes: 10, storedBytes: 8, sha256: 'x', md5: 'y' },
  globals: { key: 'g', rawBytes: 1, storedBytes: 1, sha256: 'x', md5: 'y', withPasswords: false },
  tables: [{ schema: 'public', table: 't', rows: 3 }],
  databaseProperties: {},
  roles: {},
  snapshot: { id: 's', takenAt: new Date().toISOString() },
  storage: { bucket: 'b', storageClass: 'STANDARD', serverSideEncryption: 'none', objectLockUntil: null },
});

const activities = {
  preflight: stub('preflight', () => ({ database: 'shop' })),
  chooseBackupId: stub('chooseBackupId', (_a, input: { from: string }) => input.from),
  dumpAndUpload: stub('dumpAndUpload', (_a, input: { backupId: string; database: string }) => dumpResult(input)),
  writeManifest: stub('writeManifest', () => ({ durationMs: 1000 })),
  notifyBackup: stub('notifyBackup', () => []),
  recordBackupFailure: stub('recordBackupFailure', () => 'record-key'),
  resolveRestoreSource: stub('resolveRestoreSource', () => ({
    kind: 'pgwarden',
    backupId: 'backup_20261124_020000',
    dataKey: 'k',
    format: 'custom',
    keyId: 'k1',
    takenAt: new Date(Date.now() - 3_600_000).toISOString(),
    storageClass: 'STANDARD',
    storedBytes: 1,
  })),
  checkRestoreTarget: stub('checkRestoreTarget', (_a, i: { targetName: string }) => ({ targetName: i.targetName })),
  notifyRestore: stub('notifyRestore', () => []),
  recordRestore: stub('recordRestore', () => 'record'),
  restoreDatabase: stub('restoreDatabase', (_a, i: { targetName: string }) => ({
    restoredInto: i.targetName,
    keptAs: null,
    restoreMs: 1000,
    tables: 1,
    rowCountsChecked: true,
  })),
};

const PREFLIGHT_BACKOFF = { initialSeconds: 5, coefficient: 2, maximumIntervalSeconds: 60 };

describe('workflow branches with stubbed activities (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: RunningWorker;
  const taskQueue = uniqueTaskQueue('branching');

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    worker = await workerOn(env, taskQueue, activities);
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  async function run(workflow: string, args: object, set: Record<string, Behaviour> = {}) {
    const workflowId = `branch-${uniqueSuffix()}`;
    behaviour[workflowId] = set;
    const outcome = await env.client.workflow
      .execute(workflow, { taskQueue, workflowId, args: [args] })
      .then((result: unknown) => ({ result, error: undefined as unknown }))
      .catch((error: unknown) => ({ result: undefined, error }));
    const asked = (activity: string) => (calls[workflowId] ?? []).filter((c) => c.activity === activity);
    return { ...outcome, asked, workflowId };
  }

  describe('BackupWorkflow', () => {
    it('retries a dump that failed transiently and commits once', async () => {
      const r = await run(
        WorkflowType.backup,
        { database: 'shop' },
        {
          dumpAndUpload: (attempt, input: { backupId: string; database: string }) =>
            attempt === 1 ? toActivityFailure(new StorageError('connection reset', { retryable: true })) : dumpResult(input),
        },
      );
      expect(r.error).toBeUndefined();
      expect(r.asked('dumpAndUpload').map((c) => c.attempt)).toEqual([1, 2]);
      expect(r.asked('writeManifest')).toHaveLength(1);
      expect(r.asked('recordBackupFailure')).toEqual([]);
      expect(r.asked('notifyBackup').map((c) => (c.input as { status: string }).status)).toEqual(['succeeded']);
    });

    it('stops at a non-retryable failure: recorded, notified, exit code of its type, nothing dumped', async () => {
      const r = await run(
        WorkflowType.backup,
        { database: 'shop' },
        {
          preflight: () => toActivityFailure(new EncryptionError('no key k9 in the key ring')),
        },
      );
      expect(r.error).toBeInstanceOf(WorkflowFailedError);
      expect(describeFailure(r.error)).toEqual({ lines: ['no key k9 in the key ring'], exitCode: 4 });
      expect(r.asked('preflight')).toHaveLength(1);
      expect(r.asked('dumpAndUpload')).toEqual([]);
      expect(r.asked('recordBackupFailure').map((c) => c.input)).toEqual([
        expect.objectContaining({ errorType: 'EncryptionError', message: 'no key k9 in the key ring' }),
      ]);
      expect(r.asked('notifyBackup').map((c) => c.input)).toEqual([
        expect.objectContaining({ status: 'failed', errorType: 'EncryptionError' }),
      ]);
    });

    it.each([
      ['rides out an outage for the retry window', { retryWindowMinutes: 2 }, attemptsFor(120, PREFLIGHT_BACKOFF)],
      ['tries once when failing fast', { retryWindowMinutes: 2, failFast: true }, 1],
    ])('%s, then fails with the storage exit code', async (_what, extra, attempts) => {
      const r = await run(
        WorkflowType.backup,
        { database: 'shop', ...extra },
        {
          preflight: () => toActivityFailure(new StorageError('cannot reach bucket', { retryable: true })),
        },
      );
      expect(describeFailure(r.error).exitCode).toBe(3);
      expect(r.asked('preflight')).toHaveLength(attempts);
      expect(attempts).toBeGreaterThan('failFast' in extra ? 0 : 3);
    });

    it('fails without a failure record when only the notice failed after the commit', async () => {
      const r = await run(
        WorkflowType.backup,
        { database: 'shop' },
        {
          notifyBackup: () => toActivityFailure(new StorageError('smtp down')),
        },
      );
      expect(r.error).toBeInstanceOf(WorkflowFailedError);
      expect(r.asked('writeManifest')).toHaveLength(1);
      expect(r.asked('recordBackupFailure')).toEqual([]);
    });
  });

  describe('RestoreWorkflow', () => {
    it('gives up an unapproved in-place restore after its timeout: exit 77, nothing restored, people told', async () => {
      const r = await run(WorkflowType.restore, { database: 'shop', approvalTimeoutMinutes: 90 });
      expect(describeFailure(r.error)).toEqual({
        lines: ['no approval within 90 minutes; nothing was changed'],
        exitCode: 77,
      });
      expect(r.asked('restoreDatabase')).toEqual([]);
      // Only a restore that loaded something is a restore record; this one never started.
      expect(r.asked('recordRestore')).toEqual([]);
      expect(r.asked('notifyRestore').map((c) => (c.input as { status: string }).status)).toEqual(['approval-needed', 'failed']);
    });

    it('restores into a new database without waiting for anyone', async () => {
      const r = await run(WorkflowType.restore, { database: 'shop', newDatabase: 'shop_copy' });
      expect(r.error).toBeUndefined();
      expect(r.result).toMatchObject({ restoredInto: 'shop_copy', approvedBy: null });
      expect(r.asked('restoreDatabase').map((c) => c.input)).toEqual([expect.objectContaining({ targetName: 'shop_copy' })]);
    });

    it('refuses before any notice when the target check fails', async () => {
      const r = await run(
        WorkflowType.restore,
        { database: 'shop', newDatabase: 'shop_copy' },
        {
          checkRestoreTarget: () => toActivityFailure(new StorageError('work disk full')),
        },
      );
      expect(describeFailure(r.error).lines).toEqual(['work disk full']);
      expect(r.asked('restoreDatabase')).toEqual([]);
      expect(r.asked('notifyRestore')).toEqual([]);
    });
  });

  it('answers the restore status query while waiting for approval', async () => {
    const workflowId = `branch-${uniqueSuffix()}`;
    const handle = await env.client.workflow.start(WorkflowType.restore, {
      taskQueue,
      workflowId,
      args: [{ database: 'shop', approvalTimeoutMinutes: 60 }],
    });
    let status = await handle.query(restoreStatusQuery);
    for (let i = 0; i < 50 && !status.awaitingApproval; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await handle.query(restoreStatusQuery);
    }
    expect(status).toMatchObject({ awaitingApproval: true });
    await handle.terminate('test over');
  });
});
