/**
 * PitrRestoreWorkflow: a server brought back to a point in time, into a new instance on the
 * worker's host (the original is never touched). One activity does the work on disk, with
 * heartbeats saying where it is: base backup unpacked, WAL fetched, replay position.
 */
import { ActivityCancellationType, CancellationScope, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { PitrRestoreResult } from '../activities/pitr';
import type { RecoveryTarget } from '../src/operations/pitr/target';
import { onHost } from './host-queue';
import { describeTarget } from '../src/operations/pitr/target';
import { restoreEvidence } from '../src/operations/restore/evidence';
import { RecoveryLog } from '../src/operations/table-recovery/evidence';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { tagRun } from './tag-run';
import { CALLERS_MISTAKES, failureOf, tellDespiteCancel } from './failure-notice';

export interface PitrRestoreInput {
  server: string;
  target: RecoveryTarget;
  /** The base backup to start from; default the newest one consistent before the target. */
  baseBackupId?: string;
  dataDir?: string;
  port?: number;
  /** Stop the instance when recovery is done and keep only its data directory (default: leave it running). */
  stopAfter?: boolean;
  /** The task queue of the worker on the host the instance is made on (TASK_QUEUE_<SERVER>); default this run's queue. */
  hostQueue?: string;
}

const PITR_RESTORE_INPUT: InputSpec<PitrRestoreInput> = {
  server: 'string',
  target: 'object',
  baseBackupId: 'string?',
  dataDir: 'string?',
  port: 'number?',
  stopAfter: 'boolean?',
  hostQueue: 'string?',
};

const quick = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 5 } });

export async function PitrRestoreWorkflow(input: PitrRestoreInput): Promise<PitrRestoreResult> {
  checkInput(WorkflowType.pitrRestore, PITR_RESTORE_INPUT, input);
  tagRun(input.server, 'pitr-restore');
  const { restorePointInTime } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '2 minutes',
    // A worker that died (or was cut off) mid-restore: the next attempt, on the same host, stops
    // what is left of the earlier one and starts its folder over. One attempt in runs before that.
    retry: patched('pitr-restore-retried') ? { initialInterval: '10 seconds', maximumAttempts: 3 } : { maximumAttempts: 1 },
    // Cancelled, the run ends once the instance is stopped and its files are gone, not before.
    ...(patched('pitr-restore-waits-for-cancellation')
      ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED }
      : {}),
  });
  const startedAt = new Date();
  // The run's own record, for its evidence report (runs recorded before it kept none).
  const evidence = patched('pitr-restore-evidence') ? new RecoveryLog(() => new Date()) : undefined;
  evidence?.begin('unpack the base backup, fetch the WAL, recover to the target, promote');
  let result: PitrRestoreResult | undefined;
  let failure: string | null = null;
  // Runs recorded before it told nobody how they ended, but whoever watched the terminal.
  const notices = patched('pitr-restore-notices');
  let failed: { errorType: string; message: string } | undefined;
  try {
    result = await restorePointInTime({
      server: input.server,
      target: input.target,
      ...(input.baseBackupId ? { baseBackupId: input.baseBackupId } : {}),
      dataDir: input.dataDir,
      port: input.port,
      keepRunning: !input.stopAfter,
      workflowId: workflowInfo().workflowId,
    });
    return result;
  } catch (err) {
    failure = rootCauseMessage(err);
    failed = failureOf(err, 'the restore was cancelled');
    throw err;
  } finally {
    if (evidence) {
      evidence.end(failure ? 'failed' : 'done');
      const report = restoreEvidence({
        type: 'pitr-restore',
        id: workflowInfo().workflowId,
        database: input.server,
        what: `the server as of ${describeTarget(input.target)}${result ? ` from ${result.baseBackupId}` : ''}`,
        into: result
          ? `a new instance in ${result.dataDir}${result.connection ? `, running on port ${result.port}` : ', stopped'}`
          : 'a new instance',
        startedAt,
        finishedAt: new Date(),
        failure,
        approval: null,
        steps: evidence.steps,
        recoveredTo: result ? { commitTime: result.recoveredTo.commitTime, lsn: result.recoveredTo.lsn } : null,
        dataLoss:
          result?.lossSeconds != null
            ? `${result.lossSeconds.toFixed(3)} s of commits before the target at most (the target minus the last commit replayed)`
            : null,
        ...(result?.notes?.length ? { notes: result.notes } : {}),
        generatedAt: new Date(),
      });
      const stored = await CancellationScope.nonCancellable(() =>
        quick
          .storeRestoreEvidence({ report })
          .catch((err: unknown) => (log.warn('evidence report not stored', { error: rootCauseMessage(err) }), null)),
      );
      if (result && stored) result.evidence = stored;
    }
    if (notices && (result || (failed && !PITR_CALLERS_MISTAKES.includes(failed.errorType))))
      await tellDespiteCancel('point-in-time restore notice', () =>
        quick.notifyPitrRestore(
          result
            ? {
                status: 'succeeded',
                server: input.server,
                target: result.target,
                baseBackupId: result.baseBackupId,
                recoveredTo: { commitTime: result.recoveredTo.commitTime, lsn: result.recoveredTo.lsn },
                lossSeconds: result.lossSeconds,
                dataDir: result.dataDir,
                runningOn: result.connection ? result.port : null,
                durationMs: result.durationMs,
                notes: result.notes ?? [],
                report: result.evidence?.markdown ?? null,
                workflowId: workflowInfo().workflowId,
              }
            : {
                status: 'failed',
                server: input.server,
                database: input.server,
                target: describeTarget(input.target),
                ...failed!,
                workflowId: workflowInfo().workflowId,
              },
        ),
      );
  }
}

/** A refused input (a base backup or folder that does not fit, a folder in use: busy) is its caller's to fix, and told to it. */
const PITR_CALLERS_MISTAKES = [...CALLERS_MISTAKES, 'BusyError'];

/** Stops an instance a point-in-time restore left running, on the worker that runs it. */
const PITR_STOP_INPUT: InputSpec<{ dataDir: string; hostQueue?: string }> = { dataDir: 'string', hostQueue: 'string?' };

export async function PitrStopWorkflow(input: { dataDir: string; hostQueue?: string }): Promise<void> {
  checkInput(WorkflowType.pitrStop, PITR_STOP_INPUT, input);
  const { stopPitrInstance } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 2 },
  });
  await stopPitrInstance({ dataDir: input.dataDir });
}
