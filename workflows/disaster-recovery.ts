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
import { Incident, openingProblem } from '../src/operations/dr/incident-machine';
import * as m from '../src/operations/dr/messages';
import * as v from '../src/operations/dr/validate';
import { approveRestoreSignal } from '../src/infra/temporal/messages';
import { typedFailure } from '../src/infra/temporal/failure';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { IncidentStatusSA } from '../src/infra/temporal/search-attributes';
import { Escalation } from './escalation';
import { IncidentFlow } from './incident-flow';
import { RestoreWorkflow } from './restore';

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
  const problem = openingProblem(input, openedAt);
  if (problem) {
    if (patched(NOT_OPENED_ALERTS)) await notOpened(input, openedAt, problem);
    throw typedFailure('UsageError', problem);
  }
  const incident = new Incident(workflowInfo().workflowId, input, openedAt);
  if (!patched('dr-level-without-customers')) incident.countCustomersAsLevel();
  const flow = new IncidentFlow(incident);
  bindMessages(flow);
  flow.publish();

  let escalation: Escalation | undefined;
  try {
    await flow.main.run(async () => {
      const opened = await quick.openIncident({ database: input.database, matrix: input.matrix });
      incident.opened(opened);
      escalation = new Escalation(flow, opened.matrix, openedAt);
      escalation.start();

      await flow.step('identify', () => identifyFailure(incident));
      await flow.step('assess', () =>
        flow.waitFor(
          `the assessment: pgwarden dr assess ${incident.id} --scope TEXT --customer-impact yes|no --as NAME`,
          () => incident.state.assessment,
        ),
      );
      await flow.step('select', () => selectBackup(flow));
      await flow.step('restore', () => executeRestore(flow));
      await flow.step('verify', () => verifyRecovery(incident));
      await flow.step('resume', async () => {
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
    await escalation?.stop();
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

/** 3. Propose the newest verified backup before the failure; on-call confirms or picks another. */
async function selectBackup(flow: IncidentFlow): Promise<void> {
  const incident = flow.incident;
  const s = incident.state;
  try {
    incident.proposed(await quick.proposeBackup({ database: s.database, failureTime: s.failureTime }));
  } catch (err) {
    if (isCancellation(err)) throw err;
    incident.record('select', 'pgwarden', `no proposal: ${rootCauseMessage(err)}`);
  }
  for (;;) {
    const choice = await flow.waitFor(
      `a backup: pgwarden dr select ${incident.id} [--backup ID] [--new-db NAME] --as NAME`,
      () => incident.selectionOffered,
    );
    incident.takeSelection();
    const backupId = choice.backupId ?? s.proposal!.backupId;
    try {
      incident.chose(choice, backupId, await quick.describeBackupChoice({ database: s.database, backupId }));
      return;
    } catch (err) {
      if (isCancellation(err)) throw err;
      incident.record('select', 'pgwarden', `refused ${backupId}: ${rootCauseMessage(err)}`);
    }
  }
}

/** 4. RestoreWorkflow as a child: into a new database, or in place after its own approval. */
async function executeRestore(flow: IncidentFlow): Promise<void> {
  const incident = flow.incident;
  const selection = incident.state.selection;
  if (!selection)
    throw typedFailure('UsageError', 'no backup was selected (that step was skipped); skip this step too, or abort');
  const workflowId = incident.restoreStarted();
  flow.publish();
  try {
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

/** 5. Row counts against the manifest, smoke queries and the health URL. */
async function verifyRecovery(incident: Incident): Promise<void> {
  const s = incident.state;
  const failed = incident.checked(
    await checks.verifyRecovery({
      database: s.database,
      restoredInto: s.restore?.restoredInto ?? s.database,
      backupId: s.restore?.status === 'succeeded' ? s.selection!.backupId : undefined,
    }),
  );
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

// --- What people send: each an Update with its validator and a Signal twin.

function bindMessages(flow: IncidentFlow): void {
  const incident = flow.incident;
  setHandler(m.incidentStateQuery, () => incident.state);
  flow.bind(m.acknowledgeUpdate, m.acknowledgeSignal, v.validateAcknowledge, (a) => incident.acknowledge(a));
  flow.bind(m.assessUpdate, m.assessSignal, v.validateAssess, (a) => incident.assess(a));
  flow.bind(m.selectBackupUpdate, m.selectBackupSignal, v.validateSelect, async (a) => {
    // A backup that is not there fails the Update itself (and the CLI), or is shown refused for
    // the Signal, instead of being taken and refused later in the timeline only.
    if (patched('dr-select-checks-backup')) await checkChoice(incident, a.backupId ?? incident.state.proposal?.backupId);
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
  flow.bind(m.abortUpdate, m.abortSignal, v.validateAbort, (a) => {
    incident.abort(a);
    flow.main.cancel();
  });
}
