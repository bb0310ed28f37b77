/**
 * RestoreTestWorkflow: the strategy's "Monthly: full restore test", executed and recorded.
 *   1. logical: the newest backup restored into a temporary database (RestoreWorkflow, as a
 *      restore on the day would run), row counts against its manifest and the smoke queries
 *      (DR_SMOKE_QUERIES) there, then the database dropped
 *   2. point in time, for a server in WAL_ARCHIVE: the server recovered to a random point of
 *      its window in a temporary instance on its host (PitrRestoreWorkflow), promoted and the
 *      smoke queries there, then the instance stopped and removed
 *   3. each restore's time against the RTO; the report stored beside the backups and, when
 *      the test failed, said to people. `pgwarden report` and the daily check read it.
 */
import { CancellationScope, executeChild, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import { describeTarget } from '../src/operations/pitr/target';
import type { RestoreTestRunFailed } from '../src/operations/restore-test/notices';
import { failureOf, tellDespiteCancel } from './failure-notice';
import {
  describeRestoreTest,
  restorePart,
  RestoreTestPart,
  RestoreTestReport,
  restoreTestPoint,
  restoreTestReport,
} from '../src/operations/restore-test/restore-test';
import { SCRATCH_NAME_PER_RUN, scratchDatabaseName } from '../src/operations/restore/scratch-databases';
import { restoreNotes } from '../src/operations/restore/restore-plan';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { onHost } from './host-queue';
import { PitrRestoreWorkflow } from './pitr-restore';
import { RestoreWorkflow } from './restore';
import { tagRun } from './tag-run';

export interface RestoreTestInput {
  database: string;
  /** A server in WAL_ARCHIVE: the task queue of the worker on its host (TASK_QUEUE_<SERVER>). */
  hostQueue?: string;
}

const RESTORE_TEST_INPUT: InputSpec<RestoreTestInput> = { database: 'string', hostQueue: 'string?' };

const quick = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 5 } });
const checks = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export async function RestoreTestWorkflow(input: RestoreTestInput): Promise<RestoreTestReport> {
  checkInput(WorkflowType.restoreTest, RESTORE_TEST_INPUT, input);
  tagRun(input.database, 'restore-test');
  const run: RestoreTestRun = {
    id: workflowInfo().workflowId,
    database: input.database,
    startedAt: new Date().toISOString(),
    step: 'starting',
    parts: [],
    pointInTimeSkipped: null,
  };
  try {
    return await restoreTest(input, run);
  } catch (err) {
    // A monthly run nobody watches that stopped before its report was stored told nobody: the daily
    // check found the last report old weeks later. Said now, with the parts it did, as nothing else keeps them.
    if (patched('restore-test-failure-notice')) {
      const { errorType, message } = failureOf(err, 'the restore test was cancelled');
      log.error('restore test could not finish', { database: input.database, during: run.step, errorType, message });
      const failed: RestoreTestRunFailed = {
        database: input.database,
        during: run.step,
        errorType,
        message,
        tested: describeRestoreTest(reportOf(run)).slice(1),
        workflowId: run.id,
      };
      await tellDespiteCancel('restore test failure notice', () => quick.notifyRestoreTestRunFailed(failed));
    }
    throw err;
  }
}

/** The run so far: where it is (a failure's notice says it) and the parts done. */
interface RestoreTestRun {
  id: string;
  database: string;
  startedAt: string;
  step: string;
  parts: RestoreTestPart[];
  pointInTimeSkipped: string | null;
}

const reportOf = (run: RestoreTestRun): RestoreTestReport =>
  restoreTestReport({
    id: run.id,
    database: run.database,
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    parts: run.parts,
    pointInTimeSkipped: run.pointInTimeSkipped,
  });

async function restoreTest(input: RestoreTestInput, run: RestoreTestRun): Promise<RestoreTestReport> {
  run.step = 'logical: the newest backup into a temporary database';
  run.parts.push(await logicalRestore(input, run.id));
  run.step = 'reading the recoverable window';
  const window = await quick.pitrWindow({ server: input.database });
  if ('unavailable' in window && !window.unavailable.endsWith('is not in WAL_ARCHIVE'))
    run.parts.push(restorePart('point-in-time', 'no point in time', { failure: window.unavailable }));
  else if ('unavailable' in window) run.pointInTimeSkipped = window.unavailable;
  else {
    run.step = 'point-in-time: the server at a random point of its window in a temporary instance';
    run.parts.push(await pointInTimeRestore(input, run.id, window));
  }
  run.step = 'storing the report';
  const report = reportOf(run);
  report.evidence = await quick.recordRestoreTest({ report });
  return report;
}

/** 1. The newest backup into a temporary database, counted and queried there, then dropped. */
async function logicalRestore(input: RestoreTestInput, workflowId: string): Promise<RestoreTestPart> {
  const scratch = scratchDatabaseName(
    'restoretest',
    workflowId,
    patched(SCRATCH_NAME_PER_RUN) ? workflowInfo().runId : undefined,
  );
  try {
    const restored = await executeChild(RestoreWorkflow, {
      workflowId: `${workflowId}-logical`,
      args: [{ database: input.database, newDatabase: scratch, onTestServer: true }],
      staticSummary: `Restore test of ${input.database}: the newest backup into ${scratch}`,
    });
    const found = await checks.verifyRecovery({
      database: input.database,
      restoredInto: scratch,
      backupId: restored.backupId,
      health: false,
      onTestServer: true,
    });
    return restorePart('logical', restored.backupId, {
      restoreMs: restored.restoreMs,
      checks: found,
      notes: restoreNotes(restored),
    });
  } catch (err) {
    return restorePart('logical', 'the newest backup', { failure: rootCauseMessage(err) });
  } finally {
    await CancellationScope.nonCancellable(() =>
      quick.dropRestoreTestDatabase({ database: input.database, name: scratch, onTestServer: true }),
    );
  }
}

/** 2. The server at a random point of its window, in a temporary instance on its host, checked, then removed. */
async function pointInTimeRestore(
  input: RestoreTestInput,
  workflowId: string,
  window: { from: string; to: string },
): Promise<RestoreTestPart> {
  // Math.random in a workflow is seeded per run: the same point on replay.
  const time = restoreTestPoint(window, Math.random());
  if (!time)
    return restorePart('point-in-time', `the window ${window.from} to ${window.to}`, {
      failure: 'the recoverable window is too short to choose a point in (a base backup and a few seconds of WAL after it)',
    });
  const target = { kind: 'time' as const, time };
  const childId = `${workflowId}-pitr`;
  const host = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '2 minutes',
    retry: { maximumAttempts: 3 },
  });
  try {
    const recovered = await executeChild(PitrRestoreWorkflow, {
      workflowId: childId,
      args: [{ server: input.database, target, hostQueue: input.hostQueue }],
      staticSummary: `Restore test of ${input.database}: the server as of ${time}`,
    });
    const found = await host.verifyPointInTime({ database: input.database, port: recovered.port, target });
    return restorePart('point-in-time', `${describeTarget(target)} from ${recovered.baseBackupId}`, {
      restoreMs: recovered.durationMs,
      checks: found,
      recoveredTo: { commitTime: recovered.recoveredTo.commitTime, lsn: recovered.recoveredTo.lsn },
    });
  } catch (err) {
    return restorePart('point-in-time', describeTarget(target), { failure: rootCauseMessage(err) });
  } finally {
    await CancellationScope.nonCancellable(() =>
      host.discardRestoreTestInstance({ server: input.database, workflowId: childId }),
    );
  }
}
