/**
 * DisasterRecoveryWorkflow: the strategy's six recovery procedures as one durable incident,
 * started by on-call from the Temporal UI (or `pgwarden dr start`):
 *   1. identify failure   automatic checks: database reachable, newest (verified) backups
 *   2. assess impact      on-call: scope of data loss, customer-facing impact
 *   3. select backup      proposed: newest verified before the failure; on-call confirms or picks
 *   4. execute restore    RestoreWorkflow as a child (in place with its own approval, or new db)
 *   5. verify recovery    row counts against the manifest, smoke queries, health URL
 *   6. resume operations  on-call confirms; final notices; recovery measured against RTO/RPO
 * Beside the steps runs the escalation matrix, frozen at start: level 1 at once and repeated
 * until acknowledged, level 2 at 1 h and level 3 at 4 h unless resolved, level 4 when the
 * assessment declares customer impact. Every human step is an Update with a validator and a
 * Signal of the same meaning; each leaves a line in the timeline.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import { incidentDetails } from '../src/incident/details';
import { DisasterRecoveryInput, IncidentState, SEVERITIES, Step, STEP_TITLES } from '../src/incident/incident';
import {
  customerNoticeDue,
  EscalationLevel,
  EscalationMatrix,
  LEVEL_NAMES,
  level1Repeats,
  pendingEscalations,
} from '../src/incident/matrix';
import { briefOf, IncidentNoticeKind } from '../src/incident/notices';
import { incidentRecovery } from '../src/incident/recovery';
import * as v from '../src/incident/validate';
import * as m from '../src/incident/messages';
import { approveRestoreSignal } from '../src/temporal/messages';
import { rootCauseMessage } from '../src/temporal/root-cause';
import {
  DatabaseSA,
  EscalationLevelSA,
  IncidentStatusSA,
  IncidentStepSA,
  OperationSA,
  SeveritySA,
} from '../src/temporal/search-attributes';
import { RestoreWorkflow } from './restore';

const NON_RETRYABLE = ['ConfigError', 'BackupError', 'UsageError'];
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});
const checks = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});
// Notices never throw for an unreachable channel; retries only cover a lost worker.
const notices = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

function usage(message: string): never {
  throw ApplicationFailure.create({ type: 'UsageError', message, nonRetryable: true });
}

export async function DisasterRecoveryWorkflow(input: DisasterRecoveryInput): Promise<IncidentState> {
  const info = workflowInfo();
  const id = info.workflowId;
  const openedAt = new Date();
  if (typeof input?.summary !== 'string' || !input.summary.trim())
    usage('"summary" is required: one line saying what failed, e.g. {"summary": "orders database corrupted"}');
  const severity = input.severity ?? 'SEV1';
  if (!SEVERITIES.includes(severity)) usage(`"severity" ${JSON.stringify(input.severity)}: use one of ${SEVERITIES.join(', ')}`);
  const failureTime = input.failureTime ? new Date(input.failureTime) : openedAt;
  if (Number.isNaN(failureTime.getTime()))
    usage(`"failureTime" ${JSON.stringify(input.failureTime)} is not an ISO time like 2026-11-24T02:15:00Z`);
  if (failureTime.getTime() > openedAt.getTime()) usage(`"failureTime" ${input.failureTime} is in the future`);

  const state: IncidentState = {
    incidentId: id,
    summary: input.summary.trim(),
    database: input.database?.trim() || '(default)',
    severity,
    status: 'open',
    step: 'identify',
    stepStatus: 'running',
    waitingFor: null,
    openedAt: openedAt.toISOString(),
    openedBy: input.openedBy?.trim() || 'on-call',
    failureTime: failureTime.toISOString(),
    closedAt: null,
    matrix: null,
    escalation: { level: 0, sent: [], level1Sends: 0, acknowledgedBy: null, acknowledgedAt: null, next: null },
    findings: null,
    assessment: null,
    proposal: null,
    selection: null,
    restore: null,
    checks: null,
    recovery: null,
    skipped: [],
    timeline: [],
  };
  const sent = new Set<EscalationLevel>();
  let selectedTakenAt: string | null = null;
  let restoreMs: number | null = null;
  let pendingSelection: v.SelectInput | null = null;
  let resumed: v.NoteInput | null = null;
  let decision: 'retry' | 'skip' | null = null;
  let skipRequested = false;
  let aborted: v.ReasonInput | null = null;
  let stepScope: CancellationScope | undefined;
  let restoreAttempts = 0;
  const main = new CancellationScope();

  const isOpen = () => state.status === 'open';
  const record = (step: IncidentState['timeline'][number]['step'], by: string, what: string) =>
    state.timeline.push({ at: new Date().toISOString(), step, by, what });

  // What the UI list filters on and the run's details, republished after every change.
  let published = '';
  function publish(): void {
    const attributes = { step: state.step, status: state.status, level: state.escalation.level, database: state.database };
    if (JSON.stringify(attributes) !== published) {
      published = JSON.stringify(attributes);
      upsertSearchAttributes([
        { key: DatabaseSA, value: state.database },
        { key: OperationSA, value: 'dr' },
        { key: SeveritySA, value: state.severity },
        { key: IncidentStatusSA, value: state.status },
        { key: IncidentStepSA, value: state.step },
        { key: EscalationLevelSA, value: state.escalation.level },
      ]);
    }
    setCurrentDetails(incidentDetails(state));
  }

  // --- Human steps: Update (validated, rejected before anything is recorded) and Signal.
  function bind<A>(
    update: UpdateDefinition<IncidentState, [A]>,
    signal: SignalDefinition<[A]>,
    validate: (s: IncidentState, a: A) => void,
    apply: (a: A) => void | Promise<void>,
  ): void {
    setHandler(
      update,
      async (a) => {
        await apply(a);
        publish();
        return state;
      },
      { validator: (a) => validate(state, a) },
    );
    setHandler(signal, async (a) => {
      try {
        validate(state, a);
      } catch (err) {
        log.warn('signal ignored', { signal: signal.name, reason: (err as Error).message });
        return;
      }
      await apply(a);
      publish();
    });
  }
  setHandler(m.incidentStateQuery, () => state);
  bind(m.acknowledgeUpdate, m.acknowledgeSignal, v.validateAcknowledge, (a) => {
    state.escalation.acknowledgedBy = a.by.trim();
    state.escalation.acknowledgedAt = new Date().toISOString();
    record('escalation', a.by.trim(), 'acknowledged; level 1 reminders stop (levels 2 and 3 still follow unless resolved)');
  });
  bind(m.assessUpdate, m.assessSignal, v.validateAssess, (a) => {
    state.assessment = {
      by: a.by.trim(),
      dataLossScope: a.dataLossScope.trim(),
      customerImpact: a.customerImpact,
      notes: a.notes?.trim() || undefined,
    };
    record(
      'assess',
      a.by.trim(),
      `data loss: ${state.assessment.dataLossScope}; customer-facing impact: ${a.customerImpact ? 'yes' : 'no'}${state.assessment.notes ? `; ${state.assessment.notes}` : ''}`,
    );
  });
  bind(m.selectBackupUpdate, m.selectBackupSignal, v.validateSelect, (a) => {
    pendingSelection = a;
  });
  bind(m.approveIncidentRestoreUpdate, m.approveIncidentRestoreSignal, v.validateApproveRestore, async (a) => {
    await getExternalWorkflowHandle(state.restore!.workflowId).signal(approveRestoreSignal, {
      by: a.by.trim(),
      note: a.note ?? `disaster recovery ${id}`,
    });
    record('restore', a.by.trim(), `approved the restore${a.note ? `: ${a.note}` : ''}`);
  });
  bind(m.resumeUpdate, m.resumeSignal, v.validateResume, (a) => {
    resumed = a;
  });
  bind(m.retryStepUpdate, m.retryStepSignal, v.validateRetry, (a) => {
    decision = 'retry';
    record(state.step, a.by.trim(), `retry: ${a.reason.trim()}`);
  });
  bind(m.skipStepUpdate, m.skipStepSignal, v.validateSkip, (a) => {
    record(state.step, a.by.trim(), `skipped: ${a.reason.trim()}`);
    if (state.stepStatus === 'failed') decision = 'skip';
    else {
      skipRequested = true;
      stepScope?.cancel();
    }
  });
  bind(m.abortUpdate, m.abortSignal, v.validateAbort, (a) => {
    aborted = a;
    record('incident', a.by.trim(), `aborted: ${a.reason.trim()}`);
    main.cancel();
  });

  // --- Steps: each can fail, then waits for a retry, a skip or an abort.
  async function runStep(step: Step, body: () => Promise<void>): Promise<void> {
    for (;;) {
      state.step = step;
      state.stepStatus = 'running';
      state.waitingFor = null;
      decision = null;
      skipRequested = false;
      record(step, 'pgwarden', `${STEP_TITLES[step]}: started`);
      publish();
      const scope = new CancellationScope();
      stepScope = scope;
      try {
        await scope.run(body);
        stepScope = undefined;
        state.stepStatus = 'done';
        return;
      } catch (err) {
        stepScope = undefined;
        if (isCancellation(err) && aborted) throw err;
        if (isCancellation(err) && skipRequested) {
          state.skipped.push(step);
          return;
        }
        if (isCancellation(err)) throw err;
        state.stepStatus = 'failed';
        state.waitingFor = `a decision on the failed step: pgwarden dr retry|skip ${id} --reason TEXT (or abort)`;
        record(step, 'pgwarden', `failed: ${rootCauseMessage(err)}`);
        publish();
        await condition(() => decision !== null);
        if (decision === 'skip') {
          state.skipped.push(step);
          return;
        }
      }
    }
  }

  /** Waits for a person; `ready` reads what their update recorded. */
  async function waitFor<T>(what: string, ready: () => T | null): Promise<T> {
    state.stepStatus = 'waiting';
    state.waitingFor = what;
    publish();
    await condition(() => ready() !== null);
    state.stepStatus = 'running';
    state.waitingFor = null;
    return ready()!;
  }

  // --- Escalation: runs beside the steps until the incident closes.
  async function notify(
    kind: IncidentNoticeKind,
    to: string[],
    extra: { reminder?: number; outcome?: string } = {},
  ): Promise<void> {
    try {
      await notices.notifyIncident({ kind, brief: briefOf(state, extra), to, at: new Date().toISOString() });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.error('incident notice not sent', { kind, error: rootCauseMessage(err) });
    }
  }
  function reached(level: EscalationLevel, matrix: EscalationMatrix, what: string): void {
    sent.add(level);
    state.escalation.sent = [...sent].sort();
    state.escalation.level = Math.max(state.escalation.level, level);
    const contacts =
      level === 1
        ? matrix.level1.contacts
        : level === 2
          ? matrix.level2.contacts
          : level === 3
            ? matrix.level3.contacts
            : matrix.level4.contacts;
    record('escalation', 'pgwarden', `level ${level} (${LEVEL_NAMES[level]}) ${what}: ${contacts.join(', ') || 'Slack only'}`);
    publish();
  }
  async function level1(matrix: EscalationMatrix): Promise<void> {
    state.escalation.level1Sends = 1;
    reached(1, matrix, 'notified');
    await notify('level1', matrix.level1.contacts);
    while (level1Repeats(Boolean(state.escalation.acknowledgedBy), !isOpen())) {
      const stopped = await condition(
        () => !level1Repeats(Boolean(state.escalation.acknowledgedBy), !isOpen()),
        `${matrix.level1.repeatMinutes} minutes`,
      );
      if (stopped) return;
      state.escalation.level1Sends += 1;
      record('escalation', 'pgwarden', `level 1 reminder ${state.escalation.level1Sends - 1}: not acknowledged`);
      publish();
      await notify('level1-reminder', matrix.level1.contacts, { reminder: state.escalation.level1Sends - 1 });
    }
  }
  async function timedLevels(matrix: EscalationMatrix): Promise<void> {
    for (;;) {
      const [next] = pendingEscalations(matrix, openedAt, sent, !isOpen());
      state.escalation.next = next ? { level: next.level, at: next.at.toISOString() } : null;
      publish();
      if (!next) return;
      const closedFirst = await condition(() => !isOpen(), Math.max(1, next.at.getTime() - Date.now()));
      if (closedFirst) return;
      reached(
        next.level,
        matrix,
        `notified after ${next.level === 2 ? matrix.level2.afterMinutes : matrix.level3.afterMinutes} min open`,
      );
      await notify(next.level === 2 ? 'level2' : 'level3', next.level === 2 ? matrix.level2.contacts : matrix.level3.contacts);
    }
  }
  async function customerLevel(matrix: EscalationMatrix): Promise<void> {
    await condition(() => customerNoticeDue(state.assessment?.customerImpact, sent, !isOpen()) || !isOpen());
    if (!isOpen()) return;
    reached(4, matrix, 'notified: customer-facing impact');
    await notify('level4', matrix.level4.contacts);
  }

  // --- The runbook.
  publish();
  let escalation: { scope: CancellationScope; done: Promise<unknown> } | undefined;
  try {
    await main.run(async () => {
      const opened = await quick.openIncident({ database: input.database, matrix: input.matrix });
      state.database = opened.database;
      state.matrix = opened.matrix;
      record(
        'incident',
        state.openedBy,
        `opened: ${state.summary} (${severity}; failure at ${state.failureTime}; escalation matrix "${opened.matrix.name}" frozen)`,
      );
      const scope = new CancellationScope();
      escalation = {
        scope,
        done: scope
          .run(() => Promise.all([level1(opened.matrix), timedLevels(opened.matrix), customerLevel(opened.matrix)]))
          .catch((err) => {
            if (!isCancellation(err)) log.error('escalation stopped', { error: rootCauseMessage(err) });
          }),
      };

      await runStep('identify', async () => {
        const f = await quick.identifyFailure({ database: state.database });
        state.findings = f;
        const age = (b: typeof f.newestBackup) => (b ? `${b.backupId} (${b.ageHours} h old)` : 'none');
        record(
          'identify',
          'pgwarden',
          `database ${f.databaseDetail}; newest backup ${age(f.newestBackup)}; newest verified ${age(f.newestVerified)}`,
        );
      });

      await runStep('assess', async () => {
        await waitFor(
          `the assessment: pgwarden dr assess ${id} --scope TEXT --customer-impact yes|no --as NAME`,
          () => state.assessment,
        );
      });

      await runStep('select', async () => {
        try {
          state.proposal = await quick.proposeBackup({ database: state.database, failureTime: state.failureTime });
          record(
            'select',
            'pgwarden',
            `proposed ${state.proposal.backupId} taken ${state.proposal.takenAt}: ${state.proposal.why}${state.proposal.retrieval ? `; ${state.proposal.retrieval}` : ''}`,
          );
        } catch (err) {
          if (isCancellation(err)) throw err;
          record('select', 'pgwarden', `no proposal: ${rootCauseMessage(err)}`);
        }
        for (;;) {
          const choice = await waitFor(
            `a backup: pgwarden dr select ${id} [--backup ID] [--new-db NAME] --as NAME`,
            () => pendingSelection,
          );
          pendingSelection = null;
          const backupId = choice.backupId ?? state.proposal!.backupId;
          try {
            const chosen = await quick.describeBackupChoice({ database: state.database, backupId });
            selectedTakenAt = chosen.takenAt;
            state.selection = { by: choice.by.trim(), backupId, newDatabase: choice.newDatabase };
            record(
              'select',
              choice.by.trim(),
              `chose ${backupId} (taken ${chosen.takenAt}, ${chosen.storageClass}), ${choice.newDatabase ? `into new database ${choice.newDatabase}` : 'in place'}`,
            );
            return;
          } catch (err) {
            if (isCancellation(err)) throw err;
            record('select', 'pgwarden', `refused ${backupId}: ${rootCauseMessage(err)}`);
          }
        }
      });

      await runStep('restore', async () => {
        const selection = state.selection;
        if (!selection)
          throw ApplicationFailure.nonRetryable('no backup was selected (that step was skipped); skip this step too, or abort');
        restoreAttempts += 1;
        const childId = `${id}-restore${restoreAttempts > 1 ? `-${restoreAttempts}` : ''}`;
        state.restore = {
          workflowId: childId,
          status: 'running',
          restoredInto: null,
          detail: selection.newDatabase
            ? `restoring ${selection.backupId} into new database ${selection.newDatabase}`
            : `restoring ${selection.backupId} in place; needs approval: pgwarden dr approve ${id} --as NAME`,
        };
        publish();
        try {
          const result = await executeChild(RestoreWorkflow, {
            workflowId: childId,
            args: [
              {
                database: state.database,
                file: selection.backupId,
                newDatabase: selection.newDatabase,
                approvalTimeoutMinutes: 24 * 60,
              },
            ],
            staticSummary: `Restore of ${state.database} for incident ${id}`,
          });
          restoreMs = result.recoveryMs;
          state.restore = {
            ...state.restore,
            status: 'succeeded',
            restoredInto: result.restoredInto,
            detail: `restored ${result.backupId} into ${result.restoredInto} in ${(result.recoveryMs / 60_000).toFixed(1)} min${result.keptAs ? `; previous data kept as ${result.keptAs}` : ''}`,
          };
          record('restore', 'pgwarden', state.restore.detail);
        } catch (err) {
          if (!isCancellation(err)) state.restore = { ...state.restore, status: 'failed', detail: rootCauseMessage(err) };
          throw err;
        }
      });

      await runStep('verify', async () => {
        const into = state.restore?.restoredInto ?? state.database;
        state.checks = await checks.verifyRecovery({
          database: state.database,
          restoredInto: into,
          backupId: state.restore?.status === 'succeeded' ? state.selection!.backupId : undefined,
        });
        const failed = state.checks.filter((c) => !c.ok);
        record(
          'verify',
          'pgwarden',
          state.checks.map((c) => `${c.name}: ${c.ok ? 'ok' : 'FAILED'} (${c.detail})`).join('; ') || 'no checks configured',
        );
        if (failed.length)
          throw ApplicationFailure.nonRetryable(
            `${failed.length} recovery check(s) failed: ${failed.map((c) => c.name).join(', ')}`,
          );
      });

      await runStep('resume', async () => {
        const r = await waitFor(`confirmation that operations resumed: pgwarden dr resume ${id} --as NAME`, () => resumed);
        record('resume', r.by.trim(), `operations resumed${r.note ? `: ${r.note}` : ''}`);
      });
    });
    await close('resolved');
  } catch (err) {
    if (!(aborted && isCancellation(err))) throw err; // e.g. the incident never opened: unknown database or matrix
    await CancellationScope.nonCancellable(() => close('aborted'));
  }
  return state;

  async function close(status: 'resolved' | 'aborted'): Promise<void> {
    const closedAt = new Date();
    state.status = status;
    state.closedAt = closedAt.toISOString();
    state.stepStatus = status === 'resolved' ? 'done' : state.stepStatus;
    state.waitingFor = null;
    state.escalation.next = null;
    if (status === 'resolved') {
      state.recovery = incidentRecovery({
        openedAt,
        resumedAt: closedAt,
        restoreMs,
        failureTime,
        backupTakenAt: selectedTakenAt ? new Date(selectedTakenAt) : null,
      });
    }
    record(
      'incident',
      status === 'resolved' ? 'pgwarden' : aborted!.by.trim(),
      status === 'resolved' ? 'resolved' : 'closed without recovery',
    );
    publish();
    escalation?.scope.cancel();
    await escalation?.done;
    const matrix = state.matrix;
    if (!matrix) return; // aborted before the incident opened: nobody was alerted, nobody to tell
    const outcome =
      status === 'resolved'
        ? (incidentDetails(state)
            .split('\n')
            .find((l) => l.startsWith('**Recovery:**'))
            ?.replace('**Recovery:** ', '') ?? 'resolved')
        : `aborted by ${aborted!.by}: ${aborted!.reason}`;
    const team = [
      ...new Set([
        ...matrix.level1.contacts,
        ...(sent.has(2) ? matrix.level2.contacts : []),
        ...(sent.has(3) ? matrix.level3.contacts : []),
      ]),
    ];
    await notify(status, team, { outcome });
    if (sent.has(4)) await notify('customer-closing', matrix.level4.contacts, { outcome });
  }
}
