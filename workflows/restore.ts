/**
 * RestoreWorkflow: the strategy's restore_database.sh as a durable run.
 *   1. find the backup (a pgwarden backup, or an old script's .sql.gz.enc)
 *   2. if it sits in GLACIER / DEEP_ARCHIVE: request a retrieval and wait for it on a timer
 *   3. in place: wait for an explicit approval (update or signal), or give up safely
 *   4. restore into a fresh database, check the row counts, and for in place swap it in
 *   5. notify start, success (with the recovery time) and failure
 */
import { CancellationScope, log, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { RestoreDatabaseInput, RestoreSource } from '../activities/restore';
import { needsRetrieval, recoveryFigures, restoreNotes, retrievalEstimate } from '../src/operations/restore/restore-plan';
import type { RestoreStatus } from '../src/infra/temporal/messages';
import { ApprovalGate } from './approval-gate';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { RecoveryLog } from '../src/operations/table-recovery/evidence';
import { restoreEvidence } from '../src/operations/restore/evidence';
import { tagRun } from './tag-run';

export interface RestoreInput {
  /** Configured database whose backups are restored. */
  database: string;
  /** Backup id, backup key or old-script file; default: the newest complete backup. */
  file?: string;
  /** Restore into this new database; without it, restore in place (needs approval unless forced). */
  newDatabase?: string;
  /** In place without waiting for an approval. */
  force?: boolean;
  /** How long an in-place restore waits for approval before giving up (nothing changed). */
  approvalTimeoutMinutes?: number;
  /** Days an archived object stays retrieved. */
  retrievalDays?: number;
  /** Leave object ownership out: everything belongs to the backup user (pg_restore --no-owner). */
  noOwner?: boolean;
  /** The DR incident that runs this restore: its approval goes through the incident, the one path people are told. */
  incident?: string;
  /**
   * Into a new database on the test-restore server (VERIFY_DATABASE_URL, the strategy's staging
   * environment) instead of the database's own: the monthly restore test.
   */
  onTestServer?: boolean;
  /** Create the roles the backup needs and the server lacks, from the backup's globals (a new server). */
  createRoles?: boolean;
}

const RESTORE_INPUT: InputSpec<RestoreInput> = {
  database: 'string',
  file: 'string?',
  newDatabase: 'string?',
  force: 'boolean?',
  approvalTimeoutMinutes: 'number?',
  retrievalDays: 'number?',
  noOwner: 'boolean?',
  incident: 'string?',
  onTestServer: 'boolean?',
  createRoles: 'boolean?',
};

export interface RestoreResult {
  database: string;
  backupId: string;
  source: RestoreSource['kind'];
  restoredInto: string;
  keptAs: string | null;
  approvedBy: string | null;
  recoveryMs: number;
  restoreMs: number;
  backupAgeHours: number | null;
  withinRto: boolean;
  rowCountsChecked: boolean;
  /** What was not given back as the backup had it (a tablespace missing on this server, a role's setting). */
  warnings?: string[];
  /** Roles created from the backup's globals (createRoles). */
  rolesCreated?: string[];
  /** Where the run's evidence report is stored (JSON and markdown). */
  evidence?: { json: string; markdown: string } | null;
}

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});
const long = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  // Transfers and loads beat every few seconds: a dead worker's run moves on within 30 s.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '30 seconds', maximumAttempts: 3 },
});

export async function RestoreWorkflow(input: RestoreInput): Promise<RestoreResult> {
  checkInput(WorkflowType.restore, RESTORE_INPUT, input);
  const info = workflowInfo();
  const startedAt = new Date();
  const mode = input.newDatabase ? 'new' : 'existing';
  const status: RestoreStatus = {
    step: 'finding the backup',
    database: input.database,
    backupId: null,
    mode,
    target: input.newDatabase ?? input.database,
    awaitingApproval: false,
    approvedBy: null,
    rejectedBy: null,
  };
  const gate = new ApprovalGate(status, 'restore');
  tagRun(input.database, 'restore');

  /** The restore's record for the report; a bucket that cannot take it never fails the restore. */
  async function recordRestore(r: {
    status: 'succeeded' | 'failed';
    startedAt: Date;
    finishedAt: Date;
    recoveryMs: number;
    restoreMs: number | null;
    backupAgeHours: number | null;
    target: string;
  }) {
    if (!patched('restore-record')) return;
    try {
      await quick.recordRestore({
        ...r,
        database: input.database,
        backupId: status.backupId!,
        mode,
        startedAt: r.startedAt.toISOString(),
        finishedAt: r.finishedAt.toISOString(),
        workflow: { id: info.workflowId, runId: info.runId },
      });
    } catch (err) {
      log.warn('restore record not written; the report will miss this restore', { error: (err as Error).message });
    }
  }

  // The run's own record of its steps, for its evidence report (runs recorded before it kept none).
  const evidence = patched('restore-evidence') ? new RecoveryLog(() => new Date()) : undefined;
  evidence?.begin('find the backup and check the target');
  /** The report of a restore that got past its checks; a bucket that cannot take it never fails the restore. */
  async function storeEvidence(outcome: { failure: string | null; dataLoss: string | null; notes?: string[] }) {
    if (!evidence) return null;
    evidence.end(outcome.failure ? 'failed' : 'done');
    const report = restoreEvidence({
      type: 'restore',
      id: info.workflowId,
      database: input.database,
      what: status.backupId ?? input.file ?? 'the newest backup',
      into: mode === 'new' ? `new database ${status.target}` : `${status.target}, in place`,
      startedAt,
      finishedAt: new Date(),
      failure: outcome.failure,
      approval: mode === 'existing' && !input.force ? { approvedBy: status.approvedBy, rejectedBy: status.rejectedBy } : null,
      steps: evidence.steps,
      dataLoss: outcome.dataLoss,
      notes: outcome.notes,
      generatedAt: new Date(),
    });
    return CancellationScope.nonCancellable(() =>
      quick
        .storeRestoreEvidence({ report })
        .catch((err: unknown) => (log.warn('evidence report not stored', { error: rootCauseMessage(err) }), null)),
    );
  }

  const source = await quick.resolveRestoreSource({ database: input.database, file: input.file });
  status.backupId = source.backupId;
  // What the check and the restore itself are told of the target, alike.
  const target: Omit<RestoreDatabaseInput, 'source'> = {
    database: input.database,
    mode,
    targetName: status.target,
    noOwner: input.noOwner,
    workflowId: info.workflowId,
    runId: info.runId,
    ...(input.onTestServer ? { onTestServer: true } : {}),
    ...(input.createRoles ? { createRoles: true } : {}),
  };
  if (patched('restore-checks-before-notices')) {
    // A refused target fails here: before any approval, notice or record.
    status.step = 'checking the target';
    const checked = await quick.checkRestoreTarget({ ...target, backupId: source.backupId, kind: source.kind });
    // In place, the database by its own name (an alias's id is not); runs recorded before it were told none.
    if (checked?.targetName) status.target = checked.targetName;
  }
  let startedNotice: Promise<unknown> | undefined;
  try {
    if (needsRetrieval(source.storageClass)) {
      evidence?.begin(`retrieve the backup from ${source.storageClass}`);
      const { pollMinutes } = retrievalEstimate(source.storageClass);
      // A parallel backup's parts were archived with its main dump: all come back before loading.
      const keys = [source.dataKey, ...(source.partKeys ?? [])];
      for (const key of keys)
        status.step = await quick.requestArchiveRetrieval({
          key,
          storageClass: source.storageClass!,
          days: input.retrievalDays ?? 2,
        });
      for (const key of keys) while ((await quick.archiveState({ key })) !== 'readable') await sleep(`${pollMinutes} minutes`);
    }

    if (mode === 'existing' && !input.force) {
      const timeoutMinutes = input.approvalTimeoutMinutes ?? 60;
      evidence?.begin('wait for the approval');
      gate.open();
      await quick.notifyRestore({
        status: 'approval-needed',
        database: input.database,
        backupId: source.backupId,
        workflowId: info.workflowId,
        timeoutMinutes,
        ...(input.incident ? { incident: input.incident } : {}),
      });
      await gate.decided(timeoutMinutes);
    }

    status.step = 'restoring';
    evidence?.begin(mode === 'new' ? 'restore and count the rows' : 'restore beside, count the rows, swap in');
    const started = (startedNotice = quick.notifyRestore({
      status: 'started',
      database: input.database,
      backupId: source.backupId,
      target: status.target,
      mode,
      workflowId: info.workflowId,
    }));
    // The restore does not wait for its "started" notice to be out (a mail server's greeting
    // alone can take 100 ms); the notice is awaited after it, before the outcome's.
    const beside = patched('restore-start-notice-beside');
    if (beside)
      started.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    else await started;
    const restored = await long.restoreDatabase({ ...target, source });
    if (beside) await started;
    const figures = recoveryFigures({
      startedAt,
      finishedAt: new Date(),
      backupTakenAt: source.takenAt ? new Date(source.takenAt) : undefined,
    });
    status.step = 'done';
    const record = () =>
      recordRestore({
        status: 'succeeded',
        startedAt,
        finishedAt: new Date(),
        recoveryMs: figures.recoveryMs,
        restoreMs: restored.restoreMs,
        backupAgeHours: figures.backupAgeHours,
        target: restored.restoredInto,
      });
    const notify = () =>
      quick.notifyRestore({
        status: 'succeeded',
        database: input.database,
        backupId: source.backupId,
        target: restored.restoredInto,
        keptAs: restored.keptAs,
        recoveryMs: figures.recoveryMs,
        backupAgeHours: figures.backupAgeHours,
        withinRto: figures.withinRto,
        workflowId: info.workflowId,
      });
    const store = () =>
      storeEvidence({
        failure: null,
        dataLoss:
          figures.backupAgeHours === null
            ? null
            : `the backup was ${figures.backupAgeHours} h old: what was written after its snapshot is not in it`,
        notes: restoreNotes(restored),
      });
    let stored: Awaited<ReturnType<typeof store>>;
    // The record, the notice and the evidence report need nothing of each other: one round, not three.
    if (patched('restore-outcome-together')) [, , stored] = await Promise.all([record(), notify(), store()]);
    else {
      await record();
      await notify();
      stored = await store();
    }
    return {
      ...(stored ? { evidence: stored } : {}),
      database: input.database,
      backupId: source.backupId,
      source: source.kind,
      restoredInto: restored.restoredInto,
      keptAs: restored.keptAs,
      approvedBy: status.approvedBy,
      recoveryMs: figures.recoveryMs,
      restoreMs: restored.restoreMs,
      backupAgeHours: figures.backupAgeHours,
      withinRto: figures.withinRto,
      rowCountsChecked: restored.rowCountsChecked,
      ...(restored.warnings ? { warnings: restored.warnings } : {}),
      ...(restored.rolesCreated ? { rolesCreated: restored.rolesCreated } : {}),
    };
  } catch (err) {
    const loadWasTried = status.step === 'restoring';
    status.step = 'failed';
    if (loadWasTried) {
      await CancellationScope.nonCancellable(() =>
        recordRestore({
          status: 'failed',
          startedAt,
          finishedAt: new Date(),
          recoveryMs: Date.now() - startedAt.getTime(),
          restoreMs: null,
          backupAgeHours: null,
          target: status.target,
        }),
      );
    }
    await storeEvidence({ failure: rootCauseMessage(err), dataLoss: null });
    await startedNotice?.catch(() => undefined); // "failed" never overtakes "started"
    await quick.notifyRestore({
      status: 'failed',
      database: input.database,
      backupId: source.backupId,
      target: status.target,
      message: rootCauseMessage(err),
      workflowId: info.workflowId,
    });
    throw err;
  }
}
