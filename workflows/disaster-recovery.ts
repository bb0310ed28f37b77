/**
 * DisasterRecoveryWorkflow: the strategy's six recovery procedures as one durable incident,
 * started by on-call from the Temporal UI (or `pgwarden dr start`). Beside the steps runs the
 * escalation matrix (./escalation.ts), frozen at start. Every human step is an Update with a
 * validator and a Signal of the same meaning; each leaves a line in the timeline. The state
 * and its rules: src/operations/dr/incident-machine.ts.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DisasterRecoveryInput, IncidentState } from '../src/operations/dr/incident';
import { Incident, isDrill, openingProblem } from '../src/operations/dr/incident-machine';
import { SCRATCH_NAME_PER_RUN, scratchDatabaseName } from '../src/operations/restore/scratch-databases';

import * as m from '../src/operations/dr/messages';
import * as v from '../src/operations/dr/validate';
import { approveRestoreSignal } from '../src/infra/temporal/messages';
import { typedFailure } from '../src/infra/temporal/failure';
import { inputProblem, type InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { START_INPUT_CHECKED } from './start-input';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { IncidentStatusSA } from '../src/infra/temporal/search-attributes';
import { Escalation } from './escalation';
import { IncidentFlow } from './incident-flow';
import { RestoreWorkflow } from './restore';
import { PitrRestoreWorkflow } from './pitr-restore';
import { RecoverTableWorkflow } from './recover-table';
import { onHost } from './host-queue';
import { resolveChoice, type RecoveryChoice, type SelectInput } from '../src/operations/dr/choice';
import { finalName, planRecoveryNames, type RecoveryName } from '../src/operations/table-recovery/names';

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});
const checks = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export async function DisasterRecoveryWorkflow(input: DisasterRecoveryInput): Promise<IncidentState> {
  // The 1 h / 4 h clock starts when on-call started the incident, not when a worker first ran it.
  const openedAt = patched('dr-opened-at-start') ? workflowInfo().startTime : new Date();
  const problem =
    openingProblem(input, openedAt) ??
    (patched(START_INPUT_CHECKED) ? inputProblem(WorkflowType.disasterRecovery, DR_INPUT, input) : null);
  if (problem) {
    if (patched(NOT_OPENED_ALERTS)) await notOpened(input, openedAt, problem);
    throw typedFailure('UsageError', problem);
  }
  const incident = new Incident(workflowInfo().workflowId, input, openedAt);
  if (!patched('dr-level-without-customers')) incident.countCustomersAsLevel();
  const flow = new IncidentFlow(incident);
  // The strategy's quarterly drill: the same runbook on copies, pgwarden taking the human steps unless attended.
  const drill = isDrill(input) && patched(DRILL);
  const auto = drill && input.attended !== true;
  if (drill) incident.state.drill = { attended: !auto, database: null, ...(input.scenario ? { scenario: input.scenario } : {}) };
  if (auto)
    flow.onStepFailed = (reason) => {
      incident.abort({ by: DRILL_ACTOR, reason: `the drill stopped at ${incident.state.step}: ${reason}` });
      flow.main.cancel();
    };
  bindMessages(flow);
  flow.publish();

  let escalation: Escalation | undefined;
  try {
    await flow.main.run(async () => {
      const opened = await quick.openIncident({ database: input.database, matrix: input.matrix });
      if (drill) await quick.refuseDrillDuringIncident({ database: opened.database, drillId: incident.id });
      incident.opened(opened);
      escalation = new Escalation(flow, opened.matrix, openedAt, drill && !opened.drillEscalates ? 'level1' : 'all');
      escalation.start();
      flow.escalation = escalation;

      await flow.step('identify', () => identifyFailure(incident));
      await flow.step('assess', async () => {
        if (auto)
          return incident.assess({
            by: DRILL_ACTOR,
            dataLossScope: input.scenario === 'server-lost' ? 'none: a drill (the server played lost)' : 'none: a drill',
            customerImpact: false,
          });
        await flow.waitFor(
          `the assessment: pgwarden dr assess ${incident.id} --scope TEXT --customer-impact yes|no --as NAME`,
          () => incident.state.assessment,
        );
      });
      await flow.step('select', () => selectBackup(flow, auto));
      await flow.step('restore', () => executeRestore(flow));
      await flow.step('verify', () => verifyRecovery(incident));
      await flow.step('resume', async () => {
        if (auto) incident.resume({ by: DRILL_ACTOR, note: 'a drill: operations never stopped' });
        const r = await flow.waitFor(
          `confirmation that operations resumed: pgwarden dr resume ${incident.id} --as NAME`,
          () => incident.resumed,
        );
        incident.record('resume', r.by.trim(), `operations resumed${r.note ? `: ${r.note}` : ''}`);
      });
    });
    await close('resolved');
  } catch (err) {
    if (!(incident.aborted && isCancellation(err))) {
      // The incident never opened (unknown database or matrix): said to people, never shown as open.
      if (!escalation && patched(NOT_OPENED_ALERTS)) {
        incident.failedToOpen(rootCauseMessage(err));
        flow.publish();
        await notOpened(input, openedAt, rootCauseMessage(err), incident.state);
      }
      throw err;
    }
    await CancellationScope.nonCancellable(() => close('aborted'));
  }
  await condition(allHandlersFinished);
  return incident.state;

  /** Closes the incident, stops the escalation and tells everyone who was told it opened. */
  async function close(status: 'resolved' | 'aborted'): Promise<void> {
    const closing = incident.close(status);
    flow.publish();
    await escalation?.stop(closing?.outcome);
    const practised = incident.state.drill?.database;
    if (practised)
      await quick
        .dropDrillDatabase({ database: incident.state.database, name: practised })
        .catch((err: unknown) => log.warn('drill database not dropped', { error: rootCauseMessage(err) }));
    // A drill's point-in-time recovery made a new instance on the server's host: stopped and removed.
    const chosen = incident.state.selection;
    if (
      incident.state.drill &&
      chosen?.kind === 'point-in-time' &&
      incident.state.restore &&
      patched('dr-drill-discards-instance')
    )
      await proxyActivities<Activities>({
        ...onHost(chosen.hostQueue),
        startToCloseTimeout: '5 minutes',
        retry: { maximumAttempts: 3 },
      })
        .discardRestoreTestInstance({ server: incident.state.database, workflowId: incident.state.restore.workflowId })
        .catch((err: unknown) => log.warn('drill instance not removed', { error: rootCauseMessage(err) }));
    if (patched('dr-evidence-report')) {
      // The record an auditor asks for, built from this run's state; a failure to store it is logged, never the incident's.
      incident.state.evidence = await quick
        .storeIncidentEvidence({ state: incident.state })
        .catch((err: unknown) => (log.warn('evidence report not stored', { error: rootCauseMessage(err) }), null));
      flow.publish();
    }
    if (!closing || !escalation) return; // aborted before the incident opened: nobody to tell
    await escalation.notify(status, closing.team, { outcome: closing.outcome });
    if (closing.customers) await escalation.notify('customer-closing', closing.customers, { outcome: closing.outcome });
  }
}

const NOT_OPENED_ALERTS = 'dr-not-opened-alerts';
const DR_INPUT: InputSpec<DisasterRecoveryInput> = {
  summary: 'string',
  database: 'string?',
  failureTime: 'string?',
  severity: 'string?',
  matrix: 'string?',
  openedBy: 'string?',
  drill: 'boolean?',
  attended: 'boolean?',
  scenario: 'string?',
};
const DRILL = 'dr-drill';
/** Who takes a drill's human steps when nobody attends it. */
const DRILL_ACTOR = 'pgwarden (drill)';

/**
 * An incident that could not open alerts anyway, with the reason, to the default recipients
 * (NOTIFY_EMAIL_TO and Slack: there may be no matrix to follow), and its search attribute says
 * `failed`, so no list shows it as open.
 */
async function notOpened(
  input: Partial<DisasterRecoveryInput> | undefined,
  openedAt: Date,
  reason: string,
  state?: IncidentState,
): Promise<void> {
  if (!state) upsertSearchAttributes([{ key: IncidentStatusSA, value: 'failed' }]);
  const text = (v: unknown, fallback: string) => (typeof v === 'string' && v.trim() ? v.trim() : fallback);
  await quick
    .notifyIncident({
      kind: 'not-opened',
      brief: {
        incidentId: workflowInfo().workflowId,
        database: state?.database ?? text(input?.database, '(default)'),
        severity: state?.severity ?? text(input?.severity, 'SEV1'),
        summary: state?.summary ?? text(input?.summary, '(no summary)'),
        step: 'opening',
        openedAt: openedAt.toISOString(),
        failureTime: state?.failureTime ?? text(input?.failureTime, openedAt.toISOString()),
        acknowledgedBy: null,
        outcome: reason,
      },
      at: new Date().toISOString(),
    })
    .catch((err: unknown) =>
      log.warn('the notice that the incident could not open was not sent', { error: rootCauseMessage(err) }),
    );
}

// --- The steps pgwarden runs.

/** 1. Is the database reachable, and what are the newest (verified) backups? */
async function identifyFailure(incident: Incident): Promise<void> {
  const f = await quick.identifyFailure({ database: incident.state.database });
  incident.state.findings = f;
  const age = (b: typeof f.newestBackup) => (b ? `${b.backupId} (${b.ageHours} h old)` : 'none');
  incident.record(
    'identify',
    'pgwarden',
    `database ${f.databaseDetail}; newest backup ${age(f.newestBackup)}; newest verified ${age(f.newestVerified)}`,
  );
}

/** Point-in-time recovery in the runbook: proposed at step 3, run as a child at 4, checked at 5. */
const POINT_IN_TIME = 'dr-point-in-time';
/** After a failed restore, `selectBackup` chooses another recovery and the restore runs again. */
const RESELECT = 'dr-reselect-after-failed-restore';

/**
 * 3. Propose the point just before the failure when the WAL archive covers it, and the newest
 * verified backup before the failure; on-call confirms, or picks a backup, a time, or tables.
 */
async function selectBackup(flow: IncidentFlow, auto = false): Promise<void> {
  const incident = flow.incident;
  const s = incident.state;
  const pointInTime = patched(POINT_IN_TIME);
  try {
    incident.proposed(await quick.proposeBackup({ database: s.database, failureTime: s.failureTime }));
  } catch (err) {
    if (isCancellation(err)) throw err;
    incident.record('select', 'pgwarden', `no proposal: ${rootCauseMessage(err)}`);
  }
  if (pointInTime) {
    try {
      incident.proposedPointInTime(await quick.proposePointInTime({ database: s.database, failureTime: s.failureTime }));
    } catch (err) {
      if (isCancellation(err)) throw err;
      incident.proposedPointInTime({ unavailable: rootCauseMessage(err) });
    }
  }
  if (auto && s.drill?.scenario === 'server-lost') {
    // The annual scenario: the whole server from its WAL archive, to the end of it, into a new instance (removed at the close).
    if (!s.pointInTime)
      throw typedFailure(
        'UsageError',
        `${s.database} has no point-in-time archive to recover the server from (WAL_ARCHIVE, a base backup)`,
      );
    incident.offerSelection({ by: DRILL_ACTOR, to: 'latest' });
  } else if (auto) {
    // An unattended drill restores the proposed backup into a database of its own, dropped at the close.
    const database = scratchDatabaseName('drill', incident.id, patched(SCRATCH_NAME_PER_RUN) ? workflowInfo().runId : undefined);
    if (!s.proposal) throw typedFailure('BackupError', `no backup of ${s.database} to practise on`);
    s.drill = { attended: false, database };
    incident.offerSelection({ by: DRILL_ACTOR, backupId: s.proposal.backupId, newDatabase: database });
  }
  for (;;) {
    const choice = await flow.waitFor(
      pointInTime && s.pointInTime
        ? `a recovery: pgwarden dr select ${incident.id} [--backup ID [--new-db NAME] | --to TIME|latest | --to-name POINT | --table S.T [--replace]] --as NAME`
        : `a backup: pgwarden dr select ${incident.id} [--backup ID] [--new-db NAME] --as NAME`,
      () => incident.selectionOffered,
    );
    incident.takeSelection();
    const resolved: RecoveryChoice | { problem: string } = pointInTime
      ? resolveChoice(s, choice)
      : { kind: 'backup', backupId: choice.backupId ?? s.proposal!.backupId, newDatabase: choice.newDatabase };
    if ('problem' in resolved) {
      if (auto) throw typedFailure('UsageError', resolved.problem);
      incident.record('select', 'pgwarden', `refused: ${resolved.problem}`);
      continue;
    }
    try {
      if (resolved.kind === 'backup')
        incident.chose(
          choice,
          resolved.backupId,
          await quick.describeBackupChoice({ database: s.database, backupId: resolved.backupId }),
        );
      else incident.choseRecovery(choice, resolved, await checkRecovery(incident, resolved));
      return;
    } catch (err) {
      if (isCancellation(err) || auto) throw err;
      const what = resolved.kind === 'backup' ? resolved.backupId : 'that point in time';
      incident.record('select', 'pgwarden', `refused ${what}: ${rootCauseMessage(err)}`);
    }
  }
}

/** The tables' recovery names: beside the live ones (`_recovered`), or swapped into their place. */
function recoveryNames(tables: string[], replace: boolean): RecoveryName[] {
  const names = planRecoveryNames(tables, undefined, replace);
  if ('problem' in names) throw typedFailure('UsageError', names.problem); // the validator refused these already
  return names;
}

/**
 * A point-in-time or table recovery checked before it is taken, in seconds: a base backup
 * before the point, WAL up to it, the key; for tables also the target schema, rights and free
 * names (or the logical backup a table recovery falls back to).
 */
async function checkRecovery(
  incident: Incident,
  choice: Exclude<RecoveryChoice, { kind: 'backup' }>,
): Promise<{ backupId: string; takenAt: string; hostQueue?: string; note?: string }> {
  const database = incident.state.database;
  if (choice.kind === 'point-in-time') return quick.describePointInTime({ database, target: choice.target });
  const source = await quick.checkTableRecovery({
    server: database,
    into: database,
    tables: recoveryNames(choice.tables, choice.replace),
    target: choice.target,
  });
  if (source.kind === 'backup') return { backupId: source.backupId, takenAt: source.takenAt };
  return quick.describePointInTime({ database, target: choice.target });
}

/**
 * 4. The chosen recovery as a child: RestoreWorkflow (into a new database, or in place after
 * its own approval), PitrRestoreWorkflow (the server into a new instance on its host), or
 * RecoverTableWorkflow (tables back into the live database; a swap after its approval).
 */
async function executeRestore(flow: IncidentFlow): Promise<void> {
  const incident = flow.incident;
  const selection = incident.state.selection;
  if (!selection)
    throw typedFailure('UsageError', 'no backup was selected (that step was skipped); skip this step too, or abort');
  const workflowId = incident.restoreStarted();
  flow.publish();
  const database = incident.state.database;
  try {
    if (selection.kind === 'point-in-time') {
      incident.recoveredPointInTime(
        await executeChild(PitrRestoreWorkflow, {
          workflowId,
          args: [{ server: database, target: selection.target!, hostQueue: selection.hostQueue }],
          staticSummary: `Point-in-time recovery of ${database} for incident ${incident.id}`,
        }),
      );
      return;
    }
    if (selection.kind === 'tables') {
      incident.recoveredTables(
        await executeChild(RecoverTableWorkflow, {
          workflowId,
          args: [
            {
              server: database,
              into: database,
              tables: recoveryNames(selection.tables!, Boolean(selection.replace)),
              target: selection.target!,
              hostQueue: selection.hostQueue,
              approvalTimeoutMinutes: 24 * 60,
              // Its approval notice then names the incident's approval, not a second path.
              ...(patched('dr-tables-names-incident') ? { incident: incident.id } : {}),
            },
          ],
          staticSummary: `Table recovery in ${database} for incident ${incident.id}`,
        }),
      );
      return;
    }
    const result = await executeChild(RestoreWorkflow, {
      workflowId,
      args: [
        {
          database: incident.state.database,
          file: selection.backupId,
          newDatabase: selection.newDatabase,
          approvalTimeoutMinutes: 24 * 60,
          // Its approval notice then names the incident's approval, not a second path.
          ...(patched('dr-restore-names-incident') ? { incident: incident.id } : {}),
          // A server lost and replaced has none of the application's roles: made from the backup's
          // globals (only those missing). Not in a drill: it must leave production as it was.
          ...(!incident.state.drill && patched('dr-restore-creates-roles') ? { createRoles: true } : {}),
        },
      ],
      staticSummary: `Restore of ${incident.state.database} for incident ${incident.id}`,
    });
    incident.restored(result);
  } catch (err) {
    if (!isCancellation(err)) incident.restoreFailed(rootCauseMessage(err));
    throw err;
  }
}

/**
 * 5. Row counts against the manifest, smoke queries and the health URL; for a point-in-time
 * recovery, the new instance promoted and the smoke queries there (on its host); for tables,
 * their rows counted again in the live database, and the smoke queries and health URL.
 */
async function verifyRecovery(incident: Incident): Promise<void> {
  const s = incident.state;
  const recovered = s.restore?.status === 'succeeded';
  const kind = s.selection?.kind ?? 'backup';
  let results;
  if (kind === 'point-in-time' && recovered) {
    const onItsHost = proxyActivities<Activities>({
      ...onHost(s.selection!.hostQueue),
      startToCloseTimeout: '15 minutes',
      heartbeatTimeout: '2 minutes',
      retry: { maximumAttempts: 3 },
    });
    results = await onItsHost.verifyPointInTime({ database: s.database, port: s.restore!.port!, target: s.selection!.target! });
  } else if (kind === 'tables' && recovered) {
    const names = recoveryNames(s.selection!.tables!, Boolean(s.selection!.replace));
    results = await checks.verifyRecovery({
      database: s.database,
      restoredInto: s.database,
      tables: names.map((n, i) => ({ name: finalName(n), rows: incident.recoveredRows[i] ?? -1 })),
    });
  } else {
    results = await checks.verifyRecovery({
      database: s.database,
      restoredInto: s.restore?.restoredInto ?? s.database,
      backupId: recovered && kind === 'backup' ? s.selection!.backupId : undefined,
    });
  }
  const failed = incident.checked(results);
  if (failed.length)
    throw typedFailure('BackupError', `${failed.length} recovery check(s) failed: ${failed.map((c) => c.name).join(', ')}`);
}

/** Fails (typed, for the CLI's exit code) when the backup chosen is not a complete backup of the database. */
async function checkChoice(incident: Incident, backupId: string | undefined): Promise<void> {
  if (!backupId) return; // no proposal and none named: the step's own loop says so
  try {
    await quick.describeBackupChoice({ database: incident.state.database, backupId });
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw typedFailure('BackupNotFoundError', rootCauseMessage(err));
  }
}

/**
 * Another recovery chosen after the restore failed (the backup was damaged, the point not
 * reachable): checked and taken as in step 3, and the restore runs again with it. A choice
 * that cannot be done fails the Update, and the failed restore still waits for a decision.
 */
async function chooseAgain(incident: Incident, a: SelectInput): Promise<void> {
  const resolved = resolveChoice(incident.state, a);
  if ('problem' in resolved) throw typedFailure('UsageError', resolved.problem);
  const database = incident.state.database;
  let described;
  try {
    described =
      resolved.kind === 'backup'
        ? await quick.describeBackupChoice({ database, backupId: resolved.backupId })
        : await checkRecovery(incident, resolved);
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw typedFailure(resolved.kind === 'backup' ? 'BackupNotFoundError' : 'UsageError', rootCauseMessage(err));
  }
  if (resolved.kind === 'backup') incident.chose(a, resolved.backupId, described as { takenAt: string; storageClass: string });
  else incident.choseRecovery(a, resolved, described);
  incident.retryWithNewChoice(a.by);
}

/** Fails (typed, for the CLI's exit code) when a point-in-time or table recovery cannot be done. */
async function checkRecoveryChoice(incident: Incident, choice: Exclude<RecoveryChoice, { kind: 'backup' }>): Promise<void> {
  try {
    await checkRecovery(incident, choice);
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw typedFailure('UsageError', rootCauseMessage(err));
  }
}

// --- What people send: each an Update with its validator and a Signal twin.

function bindMessages(flow: IncidentFlow): void {
  const incident = flow.incident;
  setHandler(m.incidentStateQuery, () => incident.state);
  flow.bind(m.acknowledgeUpdate, m.acknowledgeSignal, v.validateAcknowledge, async (a) => {
    // A handover (takeOver) is told to everyone alerted: their notices named who leads.
    const from = incident.acknowledge(a);
    if (from) await flow.escalation?.handover(from, a.by.trim());
  });
  flow.bind(m.assessUpdate, m.assessSignal, v.validateAssess, (a) => incident.assess(a));
  flow.bind(m.selectBackupUpdate, m.selectBackupSignal, v.validateSelect, async (a) => {
    if (incident.state.step === 'restore' && incident.state.stepStatus === 'failed' && patched(RESELECT))
      return chooseAgain(incident, a);
    // A backup that is not there fails the Update itself (and the CLI), or is shown refused for
    // the Signal, instead of being taken and refused later in the timeline only.
    if (patched('dr-select-checks-backup')) {
      const choice = patched(POINT_IN_TIME) ? resolveChoice(incident.state, a) : null;
      if (choice && !('problem' in choice) && choice.kind !== 'backup') await checkRecoveryChoice(incident, choice);
      else await checkChoice(incident, a.backupId ?? incident.state.proposal?.backupId);
    }
    incident.offerSelection(a);
  });
  flow.bind(m.approveIncidentRestoreUpdate, m.approveIncidentRestoreSignal, v.validateApproveRestore, async (a) => {
    await getExternalWorkflowHandle(incident.state.restore!.workflowId).signal(approveRestoreSignal, {
      by: a.by.trim(),
      note: a.note ?? `disaster recovery ${incident.id}`,
    });
    incident.approvedRestore(a);
  });
  flow.bind(m.resumeUpdate, m.resumeSignal, v.validateResume, (a) => incident.resume(a));
  flow.bind(m.retryStepUpdate, m.retryStepSignal, v.validateRetry, (a) => incident.retry(a));
  flow.bind(m.skipStepUpdate, m.skipStepSignal, v.validateSkip, (a) => {
    if (incident.skip(a)) flow.cancelStep();
  });
  flow.bind(m.noteUpdate, m.noteSignal, v.validateNote, async (a) => {
    incident.note(a);
    if (a.tell) await flow.escalation?.tell(a);
  });
  flow.bind(m.escalateUpdate, m.escalateSignal, v.validateEscalate, async (a) => {
    incident.escalate(a);
    await flow.escalation?.escalateNow(a);
  });
  flow.bind(m.addResponderUpdate, m.addResponderSignal, v.validateAddResponder, async (a) => {
    await flow.escalation?.askToHelp(incident.addResponder(a));
  });
  flow.bind(m.abortUpdate, m.abortSignal, v.validateAbort, (a) => {
    incident.abort(a);
    flow.main.cancel();
  });
}
