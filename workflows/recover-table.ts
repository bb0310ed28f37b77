/**
 * RecoverTableWorkflow: tables brought back as they were at a point in time, beside the live
 * ones, into a running database whose other tables keep their newer data.
 *   1. check: the target schema, rights and new names, a base backup before the target, its key
 *   2. recover: the server to the target in a temporary instance on its host (or, without a WAL
 *      archive covering the target, the newest logical backup before it into a temporary
 *      database); the tables renamed there
 *   3. with --replace: wait for an approval (or give up after the timeout, nothing changed)
 *   4. load: copied into the target database in one transaction (with --replace, swapped into
 *      the live table's place in that same transaction), and counted
 *   5. always: the temporary instance stopped and removed (or the database dropped), however the run ends
 */
import { ActivityCancellationType, CancellationScope, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { RecoveredCopy, TableRecoveryResult, TableRecoverySource } from '../activities/table-recovery';
import { needsRetrieval } from '../src/operations/restore/restore-plan';
import { typedFailure } from '../src/infra/temporal/failure';
import { describeTarget, type RecoveryTarget } from '../src/operations/pitr/target';
import { describeTable, finalName, type RecoveryName } from '../src/operations/table-recovery/names';
import { SCRATCH_NAME_PER_RUN, scratchDatabaseName } from '../src/operations/restore/scratch-databases';
import { plannedTable } from '../src/operations/table-recovery/notices';

import type { RestoreStatus } from '../src/infra/temporal/messages';
import { ApprovalGate } from './approval-gate';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { RecoveryLog, tableRecoveryEvidence } from '../src/operations/table-recovery/evidence';
import { onHost } from './host-queue';
import { tagRun } from './tag-run';
import { CALLERS_MISTAKES, failureOf, tellDespiteCancel } from './failure-notice';

export interface RecoverTableInput {
  /** The configured database the tables come from: a WAL_ARCHIVE server, or any with logical backups. */
  server: string;
  /** The configured database they come back into (usually the server's own). */
  into: string;
  tables: RecoveryName[];
  target: RecoveryTarget;
  /** The task queue of the worker on the server's host (TASK_QUEUE_<SERVER>); default this run's queue. */
  hostQueue?: string;
  /** From a logical backup instead of the WAL archive (the newest before the target, or this one). */
  fromBackup?: { backupId?: string };
  /** A replace (tables with keptAs) without waiting for an approval. */
  force?: boolean;
  /** How long a replace waits for its approval before giving up, changing nothing (default 60). */
  approvalTimeoutMinutes?: number;
  /** The DR incident that runs this recovery: its approval goes through the incident, as its notice says. */
  incident?: string;
}

const RECOVER_TABLE_INPUT: InputSpec<RecoverTableInput> = {
  server: 'string',
  into: 'string',
  tables: 'array',
  target: 'object',
  hostQueue: 'string?',
  fromBackup: 'object?',
  force: 'boolean?',
  approvalTimeoutMinutes: 'number?',
  incident: 'string?',
};

const quick = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 5 } });
const long = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '30 seconds', maximumAttempts: 3 },
});

export type RecoverTableResult = TableRecoveryResult & {
  durationMs: number;
  approvedBy?: string | null;
  /** Where the run's evidence report is stored (JSON and markdown). */
  evidence?: { json: string; markdown: string };
  /** What is worth knowing about the source, e.g. a base backup that failed its verification passed over. */
  notes?: string[];
};

export async function RecoverTableWorkflow(input: RecoverTableInput): Promise<RecoverTableResult> {
  checkInput(WorkflowType.recoverTable, RECOVER_TABLE_INPUT, input);
  tagRun(input.into, 'recover-table');
  const replace = input.tables.some((t) => t.keptAs);
  // The same status, query and approval Updates as an in-place restore: one approval path (pgwarden restore --approve).
  const status: RestoreStatus = {
    step: 'checking the target',
    database: input.into,
    backupId: null,
    mode: replace ? 'existing' : 'new',
    target: input.tables.map((t) => describeTable(finalName(t))).join(', '),
    awaitingApproval: false,
    approvedBy: null,
    rejectedBy: null,
  };
  // Runs recorded before it told nobody: a live table replaced, or a recovery failed, was known
  // only to whoever watched the terminal.
  if (!patched('table-recovery-notices')) return recoverTables(input, status, false);
  const { workflowId } = workflowInfo();
  const common = { server: input.server, into: input.into, target: describeTarget(input.target), workflowId };
  try {
    const result = await recoverTables(input, status, true);
    await tellDespiteCancel('table recovery notice', () =>
      quick.notifyTableRecovery({
        ...common,
        status: 'succeeded',
        tables: result.tables,
        source: sourceWords(result),
        recoveredTo: result.recoveredTo?.commitTime ?? null,
        lossSeconds: result.lossSeconds,
        approvedBy: result.approvedBy ?? null,
        durationMs: result.durationMs,
        report: result.evidence?.markdown ?? null,
      }),
    );
    return result;
  } catch (err) {
    const { errorType, message } = failureOf(err, 'the table recovery was cancelled');
    // A refused input (a name taken, a table that was not there) is its caller's to fix, and told to it.
    if (!CALLERS_MISTAKES.includes(errorType))
      await tellDespiteCancel('table recovery failure notice', () =>
        quick.notifyTableRecovery({
          ...common,
          database: input.into,
          status: 'failed',
          tables: input.tables.map((t) => describeTable(t.from)),
          during: status.step === 'done' ? 'removing the temporary instance or database' : status.step,
          loaded: status.step === 'done',
          errorType,
          message,
        }),
      );
    throw err;
  }
}

/** Where the copies came from, in words: the evidence report's and the notices'. */
function sourceWords(copy: { baseBackupId: string; fromBackup?: { takenAt: string; why: string }; note?: string }): string {
  return copy.fromBackup
    ? `logical backup ${copy.baseBackupId} taken ${copy.fromBackup.takenAt} (${copy.fromBackup.why})`
    : `base backup ${copy.baseBackupId} and the WAL archive${copy.note ? ` (${copy.note})` : ''}`;
}

/** The recovery itself; `status.step` says where it is (the status query, and a failure's notice). */
async function recoverTables(input: RecoverTableInput, status: RestoreStatus, notices: boolean): Promise<RecoverTableResult> {
  const started = Date.now();
  const { workflowId } = workflowInfo();
  // Tables with keptAs replace live ones: the status says so since the run began.
  const replace = status.mode === 'existing';
  const gate = new ApprovalGate(status, 'table recovery');
  const { checkTableRecovery } = proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 3 },
  });
  // Cancelled (by a person, or an incident aborted), a run still removes its temporary instance
  // or database and keeps its evidence; runs before this change did neither.
  const cleansUpWhenCancelled = patched('table-recovery-cleanup-when-cancelled');
  const onServerHost = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '24 hours',
    // They beat every few seconds however long a step runs: a dead worker is noticed in half a minute.
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
    // A step cancelled stops its instance itself; the cleanup below comes after it, not beside it.
    ...(cleansUpWhenCancelled ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : {}),
  });
  const { discardTableRecovery } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '10 minutes',
    retry: { maximumAttempts: 10 },
  });

  const work = {
    server: input.server,
    into: input.into,
    tables: input.tables,
    target: input.target,
    ...(input.fromBackup ? { fromBackup: input.fromBackup } : {}),
  };
  // The run's own record of its steps, for its evidence report (runs recorded before it kept none).
  const evidence = patched('table-recovery-evidence') ? new RecoveryLog(() => new Date()) : undefined;
  let copy: RecoveredCopy | undefined;
  let result: RecoverTableResult | undefined;
  let failure: string | null = null;
  evidence?.begin('check the target and choose the source');
  // Runs recorded before logical backups were a source got no answer here: the archive, as then.
  const source = (await checkTableRecovery(work).catch(failed)) ?? { kind: 'pitr' };
  // Checked, about to take long: the team hears a copy is on its way (runs before this change did not say).
  if (notices && patched('table-recovery-started-notice'))
    await quick.notifyTableRecovery({
      status: 'started',
      server: input.server,
      into: input.into,
      target: describeTarget(input.target),
      workflowId,
      tables: input.tables.map((t) => plannedTable(t, Boolean(input.force))),
      source:
        source.kind === 'backup'
          ? sourceWords({ baseBackupId: source.backupId, fromBackup: source })
          : `the base backup before ${describeTarget(input.target)} and the WAL archive of ${input.server}`,
      ...(input.incident ? { incident: input.incident } : {}),
    });
  const scratch =
    source.kind === 'backup'
      ? scratchDatabaseName('tables', workflowId, patched(SCRATCH_NAME_PER_RUN) ? workflowInfo().runId : undefined)
      : undefined;
  try {
    if (source.kind === 'backup') {
      status.step = `restoring ${source.backupId} into a temporary database`;
      evidence?.begin(`restore ${source.backupId} into a temporary database, rename the tables there`);
      copy = await fromLogicalBackup(input, source, scratch!, status);
    } else {
      status.step = `recovering ${input.server} to ${describeTarget(input.target)}`;
      evidence?.begin(
        `recover ${input.server} to ${describeTarget(input.target)} in a temporary instance, rename the tables there`,
      );
      copy = await onServerHost.prepareRecoveredTables({ ...work, workflowId });
    }
    status.backupId = copy.baseBackupId;
    if (replace && !input.force) {
      evidence?.begin('wait for the approval');
      gate.open();
      const timeoutMinutes = input.approvalTimeoutMinutes ?? 60;
      if (notices)
        await quick.notifyTableRecovery({
          status: 'approval-needed',
          server: input.server,
          into: input.into,
          target: describeTarget(input.target),
          workflowId,
          tables: input.tables.filter((t) => t.keptAs).map((t) => describeTable(finalName(t))),
          source: sourceWords(copy),
          timeoutMinutes,
          ...(input.incident ? { incident: input.incident } : {}),
        });
      await gate.decided(timeoutMinutes);
    }
    status.step = replace ? 'replacing the tables with their copies' : 'copying the tables into the target';
    evidence?.begin(
      replace
        ? 'replace the tables with their copies, in one transaction'
        : 'copy the tables into the target, in one transaction',
    );
    const loaded = await onServerHost.loadRecoveredTables({ ...work, workflowId, copy });
    status.step = 'done';
    result = {
      ...loaded,
      approvedBy: status.approvedBy,
      durationMs: Date.now() - started,
      ...(copy.note ? { notes: [copy.note] } : {}),
    };
    return result;
  } catch (err) {
    return failed(err);
  } finally {
    evidence?.begin('remove the temporary instance or database');
    const cleanUp = async () => {
      await discardTableRecovery({ server: input.server, workflowId, ...(scratch ? { database: scratch } : {}) });
      if (evidence) await storeEvidence();
    };
    await (cleansUpWhenCancelled ? CancellationScope.nonCancellable(cleanUp) : cleanUp());
  }

  function failed(err: unknown): never {
    failure ??= rootCauseMessage(err);
    evidence?.end('failed');
    throw err;
  }

  async function storeEvidence(): Promise<void> {
    evidence!.end('done'); // the removal; a failed step was marked when it failed
    const report = tableRecoveryEvidence({
      id: workflowId,
      server: input.server,
      into: input.into,
      target: describeTarget(input.target),
      source: copy ? sourceWords(copy) : null,
      startedAt: new Date(started),
      finishedAt: new Date(),
      failure,
      approval: replace && !input.force ? { approvedBy: status.approvedBy, rejectedBy: status.rejectedBy } : null,
      tables: result
        ? result.tables.map((t) => ({
            table: t.table,
            as: t.as,
            rows: t.rows,
            ...(t.keptAs !== undefined ? { keptAs: t.keptAs } : {}),
          }))
        : input.tables.map((t) => ({ table: describeTable(t.from), as: describeTable(finalName(t)), rows: null })),
      steps: evidence!.steps,
      recoveredTo: result?.recoveredTo ? { commitTime: result.recoveredTo.commitTime, lsn: result.recoveredTo.lsn } : null,
      lossSeconds: result?.lossSeconds ?? null,
      generatedAt: new Date(),
    });
    // The report is evidence, not the recovery: a failure to store it is logged, never the run's.
    const stored = await quick
      .storeTableRecoveryEvidence({ report })
      .catch((err: unknown) => (log.warn('evidence report not stored', { error: rootCauseMessage(err) }), null));
    if (result && stored) result.evidence = stored;
  }
}

/**
 * A logical backup restored into a temporary database by the restore's own activities (its
 * checks, row counts against the manifest), and the tables renamed there.
 */
async function fromLogicalBackup(
  input: RecoverTableInput,
  source: Extract<TableRecoverySource, { kind: 'backup' }>,
  scratch: string,
  status: RestoreStatus,
): Promise<RecoveredCopy> {
  const { workflowId, runId } = workflowInfo();
  const restoreSource = await quick.resolveRestoreSource({ database: input.server, file: source.backupId });
  if (needsRetrieval(restoreSource.storageClass))
    throw typedFailure(
      'UsageError',
      `backup ${source.backupId} is in ${restoreSource.storageClass}: bring it back with pgwarden restore --file ${source.backupId} --new-db NAME first, or use a newer backup (--from-backup ID)`,
    );
  const restore = { database: input.server, mode: 'new' as const, targetName: scratch, workflowId, runId };
  await quick.checkRestoreTarget({ ...restore, backupId: restoreSource.backupId, kind: restoreSource.kind });
  await long.restoreDatabase({ ...restore, source: restoreSource });
  status.step = 'renaming the tables in the temporary database';
  return long.prepareTablesFromDatabase({
    server: input.server,
    into: input.into,
    tables: input.tables,
    target: input.target,
    workflowId,
    database: scratch,
    backupId: source.backupId,
    fromBackup: { takenAt: source.takenAt, why: source.why },
  });
}
