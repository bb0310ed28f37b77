/**
 * An incident's state and every transition of it, apart from Temporal: the workflow binds
 * messages and timers to these methods and publishes the state after each. Each transition
 * leaves its line in the timeline. Pure (the clock is handed in), so the rules are unit-tested.
 */
import { contactWords, EscalationLevel, EscalationMatrix, LEVEL_NAMES, toldWords, ToldWhy } from './escalation';
import { describeTarget } from '../pitr/target';
import type { RecoveryChoice } from './choice';
import {
  BackupProposal,
  DisasterRecoveryInput,
  IncidentState,
  leaderOf,
  PointInTimeProposal,
  Responder,
  RecoveryCheck,
  SEVERITIES,
  Step,
  STEP_TITLES,
  TimelineEntry,
  closingAudienceOf,
  updateAudienceOf,
} from './incident';
import { describeRecovery, incidentRecovery } from './recovery';
import { restoreNotes } from '../restore/restore-plan';
import type {
  AckInput,
  AssessInput,
  EscalateInput,
  NoteInput,
  ReasonInput,
  ResponderInput,
  SelectInput,
  UpdateInput,
} from './validate';

/** What is wrong with a start form, in one line, or null when the incident can open. */
export function openingProblem(input: Partial<DisasterRecoveryInput> | undefined, openedAt: Date): string | null {
  if (typeof input?.summary !== 'string' || !input.summary.trim())
    return '"summary" is required: one line saying what failed, e.g. {"summary": "orders database corrupted"}';
  if (input.severity != null && !SEVERITIES.includes(input.severity as never) && input.severity !== 'DRILL')
    return `"severity" ${JSON.stringify(input.severity)}: use one of ${SEVERITIES.join(', ')} (or "drill": true)`;
  if (input.drill != null && typeof input.drill !== 'boolean')
    return `"drill" must be true or false without quotes; got ${JSON.stringify(input.drill)}`;
  if (input.scenario != null && input.scenario !== 'server-lost')
    return `"scenario" ${JSON.stringify(input.scenario)}: the one scenario is "server-lost"`;
  if (input.scenario != null && !isDrill(input)) return '"scenario" is for a drill: add "drill": true';
  if (input.failureTime) {
    const failureTime = new Date(input.failureTime);
    if (Number.isNaN(failureTime.getTime()))
      return `"failureTime" ${JSON.stringify(input.failureTime)} is not an ISO time like 2026-11-24T02:15:00Z`;
    if (failureTime.getTime() > openedAt.getTime()) return `"failureTime" ${input.failureTime} is in the future`;
  }
  return null;
}

/** A drill is asked for with "drill": true, or with severity DRILL. */
export const isDrill = (input: Partial<DisasterRecoveryInput> | undefined) =>
  input?.drill === true || input?.severity === 'DRILL';

/** The state an incident opens with (openingProblem must have passed). */
export function openingState(incidentId: string, input: DisasterRecoveryInput, openedAt: Date): IncidentState {
  return {
    incidentId,
    summary: input.summary.trim(),
    database: input.database?.trim() || '(default)',
    severity: isDrill(input) ? 'DRILL' : (input.severity ?? 'SEV1'),
    status: 'open',
    step: 'identify',
    stepStatus: 'running',
    waitingFor: null,
    openedAt: openedAt.toISOString(),
    openedBy: input.openedBy?.trim() || 'on-call',
    failureTime: (input.failureTime ? new Date(input.failureTime) : openedAt).toISOString(),
    closedAt: null,
    matrix: null,
    escalation: {
      level: 0,
      sent: [],
      told: [],
      newsAt: null,
      level1Sends: 0,
      acknowledgedBy: null,
      acknowledgedAt: null,
      next: null,
    },
    findings: null,
    assessment: null,
    proposal: null,
    selection: null,
    restore: null,
    checks: null,
    recovery: null,
    skipped: [],
    timeline: [],
    lastRefused: null,
  };
}

export interface RestoreOutcome {
  backupId: string;
  restoredInto: string;
  keptAs: string | null;
  recoveryMs: number;
  /** Roles made from the backup's globals (a server without them). */
  rolesCreated?: string[];
  /** What was not given back as the backup had it. */
  warnings?: string[];
}

/** A point-in-time recovery's outcome (PitrRestoreWorkflow's result, the part the incident keeps). */
export interface PointInTimeOutcome {
  baseBackupId: string;
  connection: string | null;
  port: number;
  recoveredTo: { commitTime: string | null; lsn: string };
  lossSeconds: number | null;
  durationMs: number;
}

/** A table recovery's outcome (RecoverTableWorkflow's result, the part the incident keeps). */
export interface TablesOutcome {
  into: string;
  recoveredTo: { commitTime: string | null; lsn: string } | null;
  fromBackup?: { takenAt: string };
  tables: { table: string; as: string; rows: number; keptAs?: string | null }[];
  durationMs: number;
}

/** What the closing notices say and to whom. */
export interface Closing {
  outcome: string;
  team: string[];
  customers: string[] | null;
}

export class Incident {
  readonly state: IncidentState;
  /** What people sent that the runbook has not taken yet. */
  private pendingSelection: SelectInput | null = null;
  private resumedBy: NoteInput | null = null;
  private decision: 'retry' | 'skip' | null = null;
  private skipRequested = false;
  private abortedBy: ReasonInput | null = null;
  /** Figures for the recovery measurement. */
  private selectedTakenAt: string | null = null;
  private restoreMs: number | null = null;
  private restoreAttempts = 0;
  /** Rows each recovered table had when its recovery counted them, for step 5 to count again. */
  recoveredRows: number[] = [];

  constructor(
    incidentId: string,
    input: DisasterRecoveryInput,
    private readonly openedAt: Date,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.state = openingState(incidentId, input, openedAt);
  }

  /** Off only for incidents that began before the customer notice was kept apart (replay). */
  private customersApart = true;

  /** For incidents recorded before the customer notice was kept apart from the level. */
  countCustomersAsLevel(): void {
    this.customersApart = false;
  }

  get id(): string {
    return this.state.incidentId;
  }
  get isOpen(): boolean {
    return this.state.status === 'open';
  }
  get aborted(): boolean {
    return this.abortedBy !== null;
  }
  get sentLevels(): ReadonlySet<EscalationLevel> {
    return new Set(this.state.escalation.sent);
  }
  get acknowledged(): boolean {
    return Boolean(this.state.escalation.acknowledgedBy);
  }
  /** The backup on call was alerted: from then they hear what level 1 hears. */
  get backupAlerted(): boolean {
    return Boolean(this.state.escalation.backupAlertedAt);
  }

  /** Appends to the timeline; the entry's time, for a record kept beside it. */
  record(step: TimelineEntry['step'], by: string, what: string): string {
    const at = this.now().toISOString();
    this.state.timeline.push({ at, step, by, what });
    return at;
  }

  // --- Opening and escalation.

  opened(o: { database: string; matrix: EscalationMatrix }): void {
    this.state.database = o.database;
    this.state.matrix = o.matrix;
    const s = this.state;
    // First in the timeline and at the start time, even when a worker came late and an
    // acknowledgement sent meanwhile was recorded before the opening could be.
    s.timeline.unshift({
      at: this.openedAt.toISOString(),
      step: 'incident',
      by: s.openedBy,
      what: `opened: ${s.summary} (${s.severity}; failure at ${s.failureTime}; escalation matrix "${o.matrix.name}" frozen)`,
    });
  }

  /** A level was notified (or is being): it counts as sent, raises the incident's level, and is kept with why. */
  reached(level: EscalationLevel, matrix: EscalationMatrix, why: ToldWhy): void {
    const e = this.state.escalation;
    e.sent = [...new Set([...e.sent, level])].sort();
    // The customer notice is not a rung above the executive: PgwardenEscalationLevel >= 2
    // must mean "the manager was told".
    if (level !== 4 || !this.customersApart) e.level = Math.max(e.level, level);
    const at = this.record(
      'escalation',
      'pgwarden',
      `level ${level} (${LEVEL_NAMES[level]}) ${toldWords(why)}: ${contactWords(level, matrix)}`,
    );
    e.told = [...e.told, { level, at, why }];
    if (level === 2 || level === 3) e.newsAt = at;
  }

  /** A drill that alerts level 1 only: said in the state, so an escalation by hand is refused. */
  levelOneOnly(): void {
    this.state.escalation.levelOneOnly = true;
  }

  level1Sent(): void {
    this.state.escalation.level1Sends = 1;
  }

  /** Counts and records the next level 1 reminder; returns its number. */
  level1Reminder(): number {
    this.state.escalation.level1Sends += 1;
    const n = this.state.escalation.level1Sends - 1;
    this.record('escalation', 'pgwarden', `level 1 reminder ${n}: not acknowledged`);
    return n;
  }

  /** Level 1 did not acknowledge in time: the backup on call is alerted (which the workflow sends). */
  backupOnCallAlerted(backup: { who: string; afterMinutes: number }): void {
    this.state.escalation.backupAlertedAt = this.record(
      'escalation',
      'pgwarden',
      `backup on call alerted: ${backup.who} (level 1 not acknowledged after ${backup.afterMinutes} min)`,
    );
  }

  nextEscalation(next: { level: number; at: Date } | undefined): void {
    this.state.escalation.next = next ? { level: next.level, at: next.at.toISOString() } : null;
  }

  // --- What people send (validated before these run).

  /**
   * An acknowledgement, or a handover when someone already acknowledged (validated: takeOver).
   * The first acknowledgement stays as it was, for the time to acknowledge; the lead moves.
   * Returns who handed over, for the notice, or null.
   */
  acknowledge(a: AckInput): string | null {
    const from = leaderOf(this.state.escalation);
    // Who leads now is reached as they acknowledged; nobody is reached at a predecessor's address.
    this.state.escalation.leadReach = a.reach ?? null;
    if (from) {
      this.state.escalation.lead = { by: a.by.trim(), since: this.now().toISOString(), from };
      this.record('escalation', a.by.trim(), `took the lead over from ${from}`);
      return from;
    }
    this.state.escalation.acknowledgedBy = a.by.trim();
    this.state.escalation.acknowledgedAt = this.now().toISOString();
    this.record('escalation', a.by.trim(), 'acknowledged; level 1 reminders stop (levels 2 and 3 still follow unless resolved)');
    return null;
  }

  assess(a: AssessInput): void {
    const assessment = {
      by: a.by.trim(),
      dataLossScope: a.dataLossScope.trim(),
      customerImpact: a.customerImpact,
      notes: a.notes?.trim() || undefined,
    };
    this.state.assessment = assessment;
    this.record(
      'assess',
      assessment.by,
      `data loss: ${assessment.dataLossScope}; customer-facing impact: ${a.customerImpact ? 'yes' : 'no'}${assessment.notes ? `; ${assessment.notes}` : ''}`,
    );
  }

  offerSelection(a: SelectInput): void {
    this.pendingSelection = a;
  }

  /** The selection sent since the last call, if any. */
  takeSelection(): SelectInput | null {
    const a = this.pendingSelection;
    this.pendingSelection = null;
    return a;
  }

  get selectionOffered(): SelectInput | null {
    return this.pendingSelection;
  }

  approvedRestore(a: NoteInput): void {
    this.record('restore', a.by.trim(), `approved the restore${a.note ? `: ${a.note}` : ''}`);
  }

  resume(a: NoteInput): void {
    this.resumedBy = a;
  }

  get resumed(): NoteInput | null {
    return this.resumedBy;
  }

  retry(a: ReasonInput): void {
    this.decision = 'retry';
    this.record(this.state.step, a.by.trim(), `retry: ${a.reason.trim()}`);
  }

  /** After a failed restore, another recovery was chosen (chose/choseRecovery recorded it): the restore runs again with it. */
  retryWithNewChoice(by: string): void {
    this.decision = 'retry';
    this.record('restore', by.trim(), 'retry with the recovery chosen again');
  }

  /** A skip decides a failed step; a waiting step must be cancelled (returns true). */
  skip(a: ReasonInput): boolean {
    this.record(this.state.step, a.by.trim(), `skipped: ${a.reason.trim()}`);
    if (this.state.stepStatus === 'failed') {
      this.decision = 'skip';
      return false;
    }
    this.skipRequested = true;
    return true;
  }

  /** A Signal its validator refused: nobody saw an error, so the incident shows and records it. */
  refused(action: string, by: unknown, reason: string): void {
    const who = typeof by === 'string' && by.trim() ? by.trim() : 'someone (no "by")';
    this.state.lastRefused = { at: this.now().toISOString(), by: who, action, reason };
    this.record('incident', who, `refused ${action}: ${reason}`);
  }

  /** Who a status update reaches now. */
  get alerted(): string[] {
    return updateAudienceOf(this.state);
  }

  /** A person's note, or a status update told to everyone alerted (which the workflow sends). */
  note(a: UpdateInput): void {
    const at = this.record(
      'incident',
      a.by.trim(),
      `${a.tell ? `update to ${this.alerted.join(', ')}` : 'note'}: ${a.text.trim()}`,
    );
    if (a.tell) this.state.escalation.newsAt = at;
  }

  /**
   * When those above level 1 last had news: the manager's notice, a status update, or a reminder
   * to post one; null before the manager was told.
   */
  get lastNewsAt(): Date | null {
    const { newsAt } = this.state.escalation;
    return this.sentLevels.has(2) && newsAt ? new Date(newsAt) : null;
  }

  /** Level 1 is reminded to post a status update: nobody above it heard news for `minutes`. */
  updateReminder(minutes: number): void {
    this.state.escalation.newsAt = this.record(
      'escalation',
      'pgwarden',
      `update reminder: no status update for ${minutes} min to those alerted above level 1`,
    );
  }

  /** Someone escalates at once, before the level's timer (the workflow then alerts the levels). */
  escalate(a: EscalateInput): void {
    this.record('escalation', a.by.trim(), `escalated to level ${a.level} (${LEVEL_NAMES[a.level]}) now: ${a.reason.trim()}`);
  }

  /** Someone asked to help (which the workflow tells them); returns who, as recorded. */
  addResponder(a: ResponderInput): Responder {
    const e = this.state.escalation;
    const by = a.by.trim();
    const at = this.record('escalation', by, `asked ${a.who.trim()} to help: ${a.reason.trim()}`);
    const responder = { who: a.who.trim(), by, at, reason: a.reason.trim() };
    e.responders = [...(e.responders ?? []), responder];
    return responder;
  }

  abort(a: ReasonInput): void {
    this.abortedBy = a;
    this.record('incident', a.by.trim(), `aborted: ${a.reason.trim()}`);
  }

  // --- Steps.

  stepStarted(step: Step): void {
    this.state.step = step;
    this.state.stepStatus = 'running';
    this.state.waitingFor = null;
    this.decision = null;
    this.skipRequested = false;
    this.record(step, 'pgwarden', `${STEP_TITLES[step]}: started`);
  }

  stepDone(): void {
    this.state.stepStatus = 'done';
  }

  /** A cancelled step: true when that was a person's skip (the step counts as skipped). */
  stepCancelled(): boolean {
    if (this.abortedBy || !this.skipRequested) return false;
    this.state.skipped.push(this.state.step);
    return true;
  }

  stepFailed(reason: string): void {
    this.state.stepStatus = 'failed';
    this.state.waitingFor = `a decision on the failed step: pgwarden dr retry|skip ${this.id} --reason TEXT (or abort)${
      this.state.step === 'restore' ? `, or another recovery: pgwarden dr select ${this.id} ... --as NAME` : ''
    }`;
    this.record(this.state.step, 'pgwarden', `failed: ${reason}`);
  }

  /** Retry or skip, once a person decided on a failed step; a skip counts the step as skipped. */
  get decided(): 'retry' | 'skip' | null {
    return this.decision;
  }

  skipFailed(): void {
    this.state.skipped.push(this.state.step);
  }

  waiting(what: string): void {
    this.state.stepStatus = 'waiting';
    this.state.waitingFor = what;
  }

  working(): void {
    this.state.stepStatus = 'running';
    this.state.waitingFor = null;
  }

  // --- What the steps found and did.

  proposed(p: BackupProposal): void {
    this.state.proposal = p;
    this.record(
      'select',
      'pgwarden',
      `proposed ${p.backupId} taken ${p.takenAt}: ${p.why}${p.retrieval ? `; ${p.retrieval}` : ''}`,
    );
  }

  /** The point before the failure the WAL archive covers, or why there is none (said in the timeline). */
  proposedPointInTime(p: PointInTimeProposal | { unavailable: string }): void {
    if ('unavailable' in p) {
      this.state.pointInTime = null;
      this.record('select', 'pgwarden', `no point-in-time recovery: ${p.unavailable}`);
      return;
    }
    this.state.pointInTime = p;
    this.record(
      'select',
      'pgwarden',
      `proposed point in time ${describeTarget(p.target)}: ${p.why}; about ${p.lossSeconds} s of data lost before the failure` +
        (p.restorePoints?.length
          ? `; restore points made before the failure: ${p.restorePoints.map((r) => `"${r.name}" (${r.createdAt})`).join(', ')}`
          : ''),
    );
  }

  /** A point-in-time or table recovery chosen, and checked to be possible. */
  choseRecovery(
    choice: SelectInput,
    resolved: Exclude<RecoveryChoice, { kind: 'backup' }>,
    checked: { backupId: string; takenAt: string; hostQueue?: string; note?: string },
  ): void {
    const by = choice.by.trim();
    this.state.selection = {
      by,
      backupId: checked.backupId,
      kind: resolved.kind,
      target: resolved.target,
      hostQueue: checked.hostQueue,
      ...(resolved.kind === 'tables' ? { tables: resolved.tables, replace: resolved.replace } : {}),
    };
    const point = describeTarget(resolved.target);
    this.record(
      'select',
      by,
      (resolved.kind === 'tables'
        ? `chose ${resolved.tables.join(', ')} as of ${point} (from ${checked.backupId}), ${resolved.replace ? 'in place of the live tables, after an approval' : 'beside the live tables'}`
        : `chose the server as of ${point} (from base backup ${checked.backupId}), into a new instance`) +
        (checked.note ? `; ${checked.note}` : ''),
    );
  }

  chose(choice: SelectInput, backupId: string, chosen: { takenAt: string; storageClass: string }): void {
    this.selectedTakenAt = chosen.takenAt;
    this.state.selection = { by: choice.by.trim(), backupId, newDatabase: choice.newDatabase };
    this.record(
      'select',
      choice.by.trim(),
      `chose ${backupId} (taken ${chosen.takenAt}, ${chosen.storageClass}), ${choice.newDatabase ? `into new database ${choice.newDatabase}` : 'in place'}`,
    );
  }

  /** Starts a restore attempt; returns the child workflow's id (one per attempt). */
  restoreStarted(): string {
    const selection = this.state.selection!;
    this.restoreAttempts += 1;
    const workflowId = `${this.id}-restore${this.restoreAttempts > 1 ? `-${this.restoreAttempts}` : ''}`;
    const point = selection.target ? describeTarget(selection.target) : '';
    this.state.restore = {
      workflowId,
      status: 'running',
      restoredInto: null,
      detail:
        selection.kind === 'point-in-time'
          ? `recovering the server as of ${point} into a new instance`
          : selection.kind === 'tables'
            ? `recovering ${selection.tables!.join(', ')} as of ${point}${selection.replace ? `; the swap needs approval: pgwarden dr approve ${this.id} --as NAME` : ''}`
            : selection.newDatabase
              ? `restoring ${selection.backupId} into new database ${selection.newDatabase}`
              : `restoring ${selection.backupId} in place; needs approval: pgwarden dr approve ${this.id} --as NAME`,
    };
    return workflowId;
  }

  restored(r: RestoreOutcome): void {
    this.restoreMs = r.recoveryMs;
    this.state.restore = {
      ...this.state.restore!,
      status: 'succeeded',
      restoredInto: r.restoredInto,
      detail: [
        `restored ${r.backupId} into ${r.restoredInto} in ${(r.recoveryMs / 60_000).toFixed(1)} min`,
        ...(r.keptAs ? [`previous data kept as ${r.keptAs}`] : []),
        ...restoreNotes(r),
      ].join('; '),
    };
    this.record('restore', 'pgwarden', this.state.restore.detail);
  }

  /** The server recovered into a new instance: where it runs, and the point it reached. */
  recoveredPointInTime(r: PointInTimeOutcome): void {
    this.restoreMs = r.durationMs;
    this.selectedTakenAt = r.recoveredTo.commitTime;
    const reached = r.recoveredTo.commitTime
      ? `last commit ${r.recoveredTo.commitTime} (LSN ${r.recoveredTo.lsn})`
      : `LSN ${r.recoveredTo.lsn}`;
    this.state.restore = {
      ...this.state.restore!,
      status: 'succeeded',
      restoredInto: r.connection ?? `port ${r.port}`,
      recoveredTo: r.recoveredTo,
      port: r.port,
      detail: `recovered from ${r.baseBackupId} to ${reached} in ${(r.durationMs / 60_000).toFixed(1)} min; the new instance: ${r.connection ?? `port ${r.port}`}`,
    };
    this.record('restore', 'pgwarden', this.state.restore.detail);
  }

  /** Tables brought back into the live database. */
  recoveredTables(r: TablesOutcome): void {
    this.restoreMs = r.durationMs;
    this.selectedTakenAt = r.recoveredTo?.commitTime ?? r.fromBackup?.takenAt ?? null;
    this.recoveredRows = r.tables.map((t) => t.rows);
    const tables = r.tables.map(
      (t) => `${t.table} → ${t.as} (${t.rows} rows${t.keptAs ? `; live rows kept as ${t.keptAs}` : ''})`,
    );
    this.state.restore = {
      ...this.state.restore!,
      status: 'succeeded',
      restoredInto: r.into,
      recoveredTo: r.recoveredTo ? { commitTime: r.recoveredTo.commitTime, lsn: r.recoveredTo.lsn } : null,
      detail: `recovered ${tables.join(', ')} into ${r.into} in ${(r.durationMs / 60_000).toFixed(1)} min${
        r.recoveredTo?.commitTime
          ? `, as of the last commit ${r.recoveredTo.commitTime}`
          : r.fromBackup
            ? `, from the backup taken ${r.fromBackup.takenAt}`
            : ''
      }`,
    };
    this.record('restore', 'pgwarden', this.state.restore.detail);
  }

  restoreFailed(reason: string): void {
    this.state.restore = { ...this.state.restore!, status: 'failed', detail: reason };
  }

  /** Records the recovery checks; returns the failed ones. */
  checked(checks: RecoveryCheck[]): RecoveryCheck[] {
    this.state.checks = checks;
    this.record(
      'verify',
      'pgwarden',
      checks.map((c) => `${c.name}: ${c.ok ? 'ok' : 'FAILED'} (${c.detail})`).join('; ') || 'no checks configured',
    );
    return checks.filter((c) => !c.ok);
  }

  // --- Closing.

  /** Closes the incident; returns what the closing notices say and to whom (null when nobody was alerted). */
  /** The incident could not open (its database or matrix is unknown): never shown as open. */
  failedToOpen(reason: string): void {
    const s = this.state;
    s.status = 'failed';
    s.stepStatus = 'failed';
    s.waitingFor = null;
    s.closedAt = this.now().toISOString();
    s.escalation.next = null;
    this.record('incident', 'pgwarden', `could not open: ${reason}`);
  }

  close(status: 'resolved' | 'aborted'): Closing | null {
    const closedAt = this.now();
    const s = this.state;
    s.status = status;
    s.closedAt = closedAt.toISOString();
    s.stepStatus = status === 'resolved' ? 'done' : s.stepStatus;
    s.waitingFor = null;
    s.escalation.next = null;
    if (status === 'resolved') {
      s.recovery = incidentRecovery({
        openedAt: this.openedAt,
        resumedAt: closedAt,
        restoreMs: this.restoreMs,
        failureTime: new Date(s.failureTime),
        backupTakenAt: this.selectedTakenAt ? new Date(this.selectedTakenAt) : null,
      });
    }
    this.record(
      'incident',
      status === 'resolved' ? 'pgwarden' : this.abortedBy!.by.trim(),
      status === 'resolved' ? 'resolved' : 'closed without recovery',
    );
    if (!s.matrix) return null; // aborted before the incident opened: nobody was alerted
    const outcome =
      status === 'resolved' ? describeRecovery(s.recovery!) : `aborted by ${this.abortedBy!.by}: ${this.abortedBy!.reason}`;
    return { outcome, ...closingAudienceOf(s) };
  }
}
