/**
 * Runs started the way the Temporal UI starts them: whatever JSON was typed, straight to the
 * server. A missing or mistyped field fails the run at once with a UsageError naming it, before
 * any activity, where it used to fail its workflow task on every retry (a run stuck for ever),
 * or, for `"force": "false"` (a string, so true), do what was not asked.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { workflowSuite } from '../support/workflow-suite';

const suite = workflowSuite('startinput');

describe('a run started with input typed by hand', () => {
  let taskQueue: string;
  let db: string;
  beforeAll(async () => {
    db = await suite.freshDatabase('startinput');
    ({ taskQueue } = await suite.workerFor(db));
  });

  /** Starts `type` with `args` as the UI would; returns its failure and whether any activity was scheduled. */
  async function started(type: string, args: unknown[]) {
    const workflowId = `startinput-${randomUUID().slice(0, 8)}`;
    const handle = await suite.server.client.workflow.start(type, { taskQueue, workflowId, args });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = innermostFailure(err) as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    const { events } = await handle.fetchHistory();
    const activities = (events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    const failedTasks = (events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
    return { type: cause.type, nonRetryable: cause.nonRetryable, message: cause.message, activities, failedTasks };
  }

  it.each<[string, string, unknown[], string]>([
    [
      'a backup with no input',
      WorkflowType.backup,
      [],
      'BackupWorkflow takes one JSON object as its input, e.g. {"database": "…"}; got undefined',
    ],
    [
      'a backup without its database',
      WorkflowType.backup,
      [{}],
      'BackupWorkflow needs "database" (a string in quotes), e.g. {"database": "…"}',
    ],
    [
      'a restore in place with "force" in quotes',
      WorkflowType.restore,
      [{ database: 'DB', force: 'false' }],
      `RestoreWorkflow's "force" must be true or false without quotes; got "false"`,
    ],
    [
      'a restore with a misspelt new database',
      WorkflowType.restore,
      [{ database: 'DB', newDatbase: 'copy' }],
      'RestoreWorkflow has no input "newDatbase" (a misspelling?); its inputs are database, file, newDatabase, force, approvalTimeoutMinutes, retrievalDays, noOwner, incident, onTestServer, createRoles',
    ],
    [
      'a verification of one backup given as a number',
      WorkflowType.verify,
      [{ database: 'DB', backupId: 20261205 }],
      `VerifyBackupWorkflow's "backupId" must be a string in quotes; got 20261205`,
    ],
    [
      'a point-in-time recovery without a target',
      WorkflowType.pitrRestore,
      [{ server: 'DB' }],
      'PitrRestoreWorkflow needs "target" (a JSON object), e.g. {"server": "…", "target": {…}}',
    ],
    [
      // A misspelt "drill" would open a real incident and page on-call.
      'an incident with a misspelt drill',
      WorkflowType.disasterRecovery,
      [{ summary: 'quarterly drill', database: 'DB', drll: true }],
      'DisasterRecoveryWorkflow has no input "drll" (a misspelling?); its inputs are summary, database, failureTime, severity, matrix, openedBy, drill, attended, scenario',
    ],
  ])('fails at once: %s', async (_what, type, args, message) => {
    const withDb = JSON.parse(JSON.stringify(args).replace(/"DB"/g, JSON.stringify(db))) as unknown[];
    const run = await started(type, withDb);
    expect(run).toEqual({ type: 'UsageError', nonRetryable: true, message, activities: expect.any(Number), failedTasks: 0 });
    // The incident's refusal alerts on-call that nothing opened; no other run does any work.
    if (type !== WorkflowType.disasterRecovery) expect(run.activities).toBe(0);
  });
});
