/**
 * `pgwarden dr`: the disaster-recovery runbook from a terminal, the same steps on-call can
 * take in the Temporal UI: start | status | ack | assess | select | approve | resume |
 * retry | skip | abort | list. Every step goes through the workflow's validated Updates, so
 * a wrong step or a missing field is refused with the workflow's own message (exit 64).
 */
import { cliTime, columns } from '../columns';
import { openIncident } from '../../open-incident';
import { describeRecovery } from '../../../operations/dr/recovery';
import { userInfo } from 'node:os';
import { operatorIdentity } from '../operator';
import { ApplicationFailure, Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { EMAIL_ADDRESS } from '../../../infra/config/email-address';
import { BackupNotFoundError, UsageError } from '../../../infra/errors/errors';
import { requireWorker } from '../no-worker';
import { DisasterRecoveryInput, IncidentState, SEVERITIES, Severity, STEP_TITLES } from '../../../operations/dr/incident';
import { backupAlerted, backupDue, describeSelection, levelsSent, respondersWords } from '../../../operations/dr/details';
import { describeTarget } from '../../../operations/pitr/target';
import { contactWords, LEVEL_NAMES } from '../../../operations/dr/escalation';
import { updateAudienceOf } from '../../../operations/dr/incident';
import * as m from '../../../operations/dr/messages';
import { restoreStatusQuery } from '../../../infra/temporal/messages';
import { listLink, OPEN_INCIDENTS_QUERY } from '../../../infra/temporal/links';
import {
  DatabaseSA,
  EscalationLevelSA,
  IncidentStatusSA,
  IncidentStepSA,
  SeveritySA,
} from '../../../infra/temporal/search-attributes';
import { CommandContext } from '../context';
import { describeFailure } from '../failure';
import { shellWord } from '../shell-word';

export interface DrOptions {
  as?: string;
  json?: boolean;
  summary?: string;
  database?: string;
  drill?: boolean;
  attended?: boolean;
  scenario?: string;
  failureTime?: string;
  severity?: string;
  matrix?: string;
  scope?: string;
  customerImpact?: string;
  notes?: string;
  backup?: string;
  newDb?: string;
  to?: string;
  toName?: string;
  table?: string[];
  replace?: boolean;
  note?: string;
  reason?: string;
  /** `dr note`: the line, and whether everyone alerted is told. */
  text?: string;
  tell?: boolean;
  /** `dr escalate`: the level to alert now (2 or 3, or manager or executive). */
  level?: string;
  /** `dr add-responder`: whom to ask to help. */
  who?: string;
  /** `dr ack --take-over`. */
  takeOver?: boolean;
  /** `dr status --watch [seconds]`. */
  watch?: boolean | string;
}

type StepAction =
  'ack' | 'assess' | 'select' | 'approve' | 'resume' | 'retry' | 'skip' | 'abort' | 'note' | 'escalate' | 'add-responder';

const who = (o: DrOptions, env: { PGWARDEN_OPERATOR?: string }) => operatorIdentity(o.as, env, userInfo().username);
const when = (iso: string | null | undefined) => (iso ? cliTime(iso) : '-');

export function startInput(
  o: DrOptions,
  database: string,
  env: { PGWARDEN_OPERATOR?: string } = process.env,
): DisasterRecoveryInput {
  if (!o.summary?.trim())
    throw new UsageError('--summary is required: one line saying what failed, e.g. --summary "orders database corrupted"');
  const severity = (o.severity ?? 'SEV1').toUpperCase();
  if (!SEVERITIES.includes(severity as never) && severity !== 'DRILL')
    throw new UsageError(`--severity ${o.severity}: use one of ${SEVERITIES.join(', ')} (or --drill)`);
  if (o.attended && !o.drill) throw new UsageError('--attended goes with --drill: a real incident always waits for people');
  if (o.scenario !== undefined && o.scenario !== 'server-lost')
    throw new UsageError(`--scenario ${o.scenario}: the one scenario is server-lost`);
  if (o.scenario && !o.drill) throw new UsageError('--scenario goes with --drill');
  if (o.failureTime !== undefined) {
    const t = Date.parse(o.failureTime);
    if (Number.isNaN(t)) throw new UsageError(`--failure-time ${o.failureTime}: expected an ISO time like 2026-11-24T02:15:00Z`);
    if (t > Date.now()) throw new UsageError(`--failure-time ${o.failureTime} is in the future`);
  }
  return {
    summary: o.summary.trim(),
    database,
    severity: o.drill ? 'DRILL' : (severity as Severity),
    ...(o.drill
      ? { drill: true, ...(o.attended ? { attended: true } : {}), ...(o.scenario ? { scenario: 'server-lost' as const } : {}) }
      : {}),
    ...(o.failureTime ? { failureTime: new Date(o.failureTime).toISOString() } : {}),
    ...(o.matrix ? { matrix: o.matrix } : {}),
    openedBy: who(o, env),
  };
}

export function formatIncident(s: IncidentState, restoreStep?: string): string {
  const level = levelsSent(s.escalation.sent);
  const lines = [
    `incident   ${s.incidentId}: [${s.severity}] ${s.database}: ${s.summary}`,
    `status     ${s.status}${s.closedAt ? ` at ${when(s.closedAt)}` : ''}; step ${STEP_TITLES[s.step]} (${s.stepStatus}); opened ${when(s.openedAt)} by ${s.openedBy}; failure at ${when(s.failureTime)}`,
    ...(s.waitingFor ? [`waiting    for ${s.waitingFor}`] : []),
    `escalation ${level} sent${s.escalation.next ? `; next: level ${s.escalation.next.level} at ${when(s.escalation.next.at)}` : ''}; ${s.escalation.acknowledgedBy ? `acknowledged by ${s.escalation.acknowledgedBy} at ${when(s.escalation.acknowledgedAt)}${s.escalation.lead ? `; led by ${s.escalation.lead.by} since ${when(s.escalation.lead.since)}` : ''}` : `NOT acknowledged (level 1 sent ${s.escalation.level1Sends}x)`}`,
  ];
  const due = backupDue(s);
  const alerted = backupAlerted(s);
  if (due) lines.push(`backup     ${due.who} at ${when(due.at)} unless acknowledged`);
  else if (alerted) lines.push(`backup     ${alerted.who} alerted at ${when(alerted.at)} (level 1 had not acknowledged)`);
  const helping = respondersWords(s);
  if (helping) lines.push(`helping    ${helping}`);
  if (s.findings)
    lines.push(
      `findings   database ${s.findings.databaseDetail}; newest backup ${s.findings.newestBackup?.backupId ?? 'none'}; newest verified ${s.findings.newestVerified?.backupId ?? 'none'}`,
    );
  if (s.assessment)
    lines.push(
      `assessment ${s.assessment.dataLossScope}; customer impact ${s.assessment.customerImpact ? 'yes' : 'no'} (by ${s.assessment.by})`,
    );
  if (s.pointInTime)
    lines.push(
      `proposed   ${describeTarget(s.pointInTime.target)}: ${s.pointInTime.why}; about ${s.pointInTime.lossSeconds} s of data lost (the default)`,
      ...(s.pointInTime.restorePoints ?? []).map(
        (p) => `or point   "${p.name}" made ${when(p.createdAt)}: --to-name ${shellWord(p.name)}`,
      ),
    );
  if (s.proposal)
    lines.push(
      `${s.pointInTime ? 'or backup ' : 'proposed  '} ${s.proposal.backupId} taken ${when(s.proposal.takenAt)}: ${s.proposal.why}${s.proposal.retrieval ? `; ${s.proposal.retrieval}` : ''}`,
    );
  if (s.selection) lines.push(`selected   ${describeSelection(s.selection)} (by ${s.selection.by})`);
  if (s.restore)
    lines.push(
      `restore    ${s.restore.status}: ${s.restore.detail}${restoreStep ? ` [now: ${restoreStep}]` : ''} (run ${s.restore.workflowId})`,
    );
  if (s.checks)
    lines.push(
      `checks     ${s.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'FAILED'} (${c.detail})`).join('; ') || 'none configured'}`,
    );
  if (s.recovery) lines.push(`recovery   ${describeRecovery(s.recovery)}`);
  if (s.evidence) lines.push(`evidence   ${s.evidence.markdown} (and .json)`);
  if (s.skipped.length) lines.push(`skipped    ${s.skipped.map((x) => STEP_TITLES[x]).join(', ')}`);
  lines.push('timeline');
  for (const t of s.timeline) lines.push(`  ${when(t.at)}  ${t.step.padEnd(10)} ${t.by.padEnd(10)} ${t.what}`);
  return lines.join('\n');
}

/** A Temporal client for `run`; an unknown incident id becomes a usage error that says where to look. */
async function withClient<T>(ctx: CommandContext, run: (client: Client) => Promise<T>): Promise<T> {
  return ctx.withTemporalClient(async (client) => {
    try {
      return await run(client);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new UsageError(`${err.workflowId ?? 'that id'} is not an incident (see pgwarden dr list)`);
      throw err;
    }
  });
}

export async function runDrStart(ctx: CommandContext, o: DrOptions): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, o.database);
  const input = startInput(o, database, ctx.env);
  await withClient(ctx, async (client) => {
    const { id, runId, link, level1 } = await openIncident(client, config, input);
    const board = listLink(config.temporal.uiUrl, client.options.namespace, OPEN_INCIDENTS_QUERY);
    if (o.json) process.stdout.write(JSON.stringify({ incidentId: id, runId, link, level1Sent: level1 }, null, 2) + '\n');
    else
      process.stdout.write(
        `incident ${id} opened; level 1 alert sent to ${level1.join(', ') || 'Slack only'}\n${link ? `follow it: ${link}\n` : ''}${board ? `open incidents: ${board}\n` : ''}next: pgwarden dr ack ${id} --as NAME, then pgwarden dr status ${id}\n`,
      );
  });
}

export async function runDrStatus(ctx: CommandContext, id: string, o: DrOptions): Promise<void> {
  await withClient(ctx, async (client) => {
    const handle = client.workflow.getHandle(id);
    const run = await handle.describe();
    if (run.status.name === 'RUNNING') await requireWorker(client, run.taskQueue, `the state of ${id} cannot be read`);
    const ended = run.status.name !== 'RUNNING' && run.status.name !== 'COMPLETED';
    if (ended) {
      // Failed to open (unknown database or matrix), terminated or timed out: the state would still say "open".
      const failure = await handle.result().then(
        () => '',
        (err: Error) => describeFailure(err).lines.join('; '),
      );
      throw new UsageError(`${id} is not running: ${run.status.name.toLowerCase()}${failure ? `: ${failure}` : ''}`);
    }
    const show = async (): Promise<{ state: IncidentState; text: string }> => {
      const state = await handle.query(m.incidentStateQuery);
      let restoreStep: string | undefined;
      if (state.restore?.status === 'running')
        restoreStep = await client.workflow
          .getHandle(state.restore.workflowId)
          .query(restoreStatusQuery)
          .then(
            (r) => r.step,
            () => undefined,
          );
      return { state, text: o.json ? JSON.stringify(state, null, 2) : formatIncident(state, restoreStep) };
    };
    let shown = await show();
    process.stdout.write(shown.text + '\n');
    if (!o.watch) return;
    // --watch: the state again whenever it changes, until the incident closes (Ctrl-C stops watching).
    const everyMs = Math.max(1, Number(o.watch === true ? 5 : o.watch)) * 1000;
    while (shown.state.status === 'open') {
      await new Promise((r) => setTimeout(r, everyMs));
      const next = await show().catch(() => undefined);
      if (!next) break; // the run ended (closed incidents answer queries only while a worker runs)
      if (next.text !== shown.text) process.stdout.write(`\n--- ${new Date().toISOString()}\n${next.text}\n`);
      shown = next;
    }
  });
}

function customerImpact(text: string | undefined): boolean {
  if (text === undefined) throw new UsageError('--customer-impact yes|no is required: do customers see the outage?');
  if (/^(yes|y|true)$/i.test(text)) return true;
  if (/^(no|n|false)$/i.test(text)) return false;
  throw new UsageError(`--customer-impact ${text}: answer yes or no`);
}

export async function runDrStep(ctx: CommandContext, action: StepAction, id: string, o: DrOptions): Promise<void> {
  // The step's own options first, then who acts: a mistyped option is the first thing said.
  if (action === 'assess') {
    if (!o.scope?.trim())
      throw new UsageError('--scope is required: what data is lost or at risk, e.g. --scope "orders since 02:00"');
    customerImpact(o.customerImpact);
  }
  if (action === 'escalate') escalationLevel(o.level);
  if (action === 'add-responder') {
    if (!o.who?.trim()) throw new UsageError('--who is required: the e-mail address of whoever should help');
    if (!EMAIL_ADDRESS.test(o.who.trim())) throw new UsageError(`--who ${o.who}: not an e-mail address; they are asked by mail`);
  }
  const reasoned = ['retry', 'skip', 'abort', 'escalate', 'add-responder'];
  if (reasoned.includes(action) && !o.reason?.trim())
    throw new UsageError(`--reason is required for ${action}: say why, for the timeline`);
  if (action === 'note' && !o.text?.trim())
    throw new UsageError('--text is required: what to put on the record, e.g. --text "restore at 60%, about 20 min left"');
  const by = who(o, ctx.env);
  const send = async (client: Client): Promise<IncidentState> => {
    const h = client.workflow.getHandle(id);
    // An update nobody answers would hang: say so at once.
    const run = await h.describe();
    if (run.status.name === 'RUNNING') await requireWorker(client, run.taskQueue, `${action} cannot be recorded until one runs`);
    switch (action) {
      case 'ack':
        return h.executeUpdate(m.acknowledgeUpdate, { args: [{ by, ...(o.takeOver ? { takeOver: true } : {}) }] });
      case 'assess':
        if (!o.scope?.trim())
          throw new UsageError('--scope is required: what data is lost or at risk, e.g. --scope "orders since 02:00"');
        return h.executeUpdate(m.assessUpdate, {
          args: [{ by, dataLossScope: o.scope, customerImpact: customerImpact(o.customerImpact), notes: o.notes }],
        });
      case 'select':
        return h.executeUpdate(m.selectBackupUpdate, {
          args: [
            {
              by,
              ...(o.backup ? { backupId: o.backup } : {}),
              ...(o.newDb ? { newDatabase: o.newDb } : {}),
              ...(o.to ? { to: o.to } : {}),
              ...(o.toName !== undefined ? { toName: o.toName } : {}),
              ...(o.table?.length ? { tables: o.table } : {}),
              ...(o.replace ? { replace: true } : {}),
            },
          ],
        });
      case 'approve':
        return h.executeUpdate(m.approveIncidentRestoreUpdate, { args: [{ by, note: o.note }] });
      case 'resume':
        return h.executeUpdate(m.resumeUpdate, { args: [{ by, note: o.note }] });
      case 'escalate':
        return h.executeUpdate(m.escalateUpdate, { args: [{ by, level: escalationLevel(o.level), reason: o.reason ?? '' }] });
      case 'note':
        return h.executeUpdate(m.noteUpdate, { args: [{ by, text: o.text ?? '', ...(o.tell ? { tell: true } : {}) }] });
      case 'add-responder':
        return h.executeUpdate(m.addResponderUpdate, { args: [{ by, who: o.who!.trim(), reason: o.reason ?? '' }] });
      case 'retry':
      case 'skip':
      case 'abort': {
        if (!o.reason?.trim()) throw new UsageError(`--reason is required for ${action}: say why, for the timeline`);
        const update = action === 'retry' ? m.retryStepUpdate : action === 'skip' ? m.skipStepUpdate : m.abortUpdate;
        return h.executeUpdate(update, { args: [{ by, reason: o.reason }] });
      }
    }
  };
  await withClient(ctx, async (client) => {
    let state: IncidentState;
    try {
      state = await send(client);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        const message = `${id}: ${inFlagTerms((cause as Error)?.message ?? err.message)}`;
        if (cause instanceof ApplicationFailure && cause.type === 'BackupNotFoundError') throw new BackupNotFoundError(message);
        throw new UsageError(message);
      }
      if (/already completed|workflow execution already completed/i.test((err as Error).message))
        throw new UsageError(`${id} is closed; nothing more can be recorded`);
      throw err;
    }
    // The update returns as soon as it is recorded; the runbook moves on a moment later.
    if (!['abort', 'resume', 'note', 'escalate', 'add-responder'].includes(action))
      state = await settled(client, id, state, action !== 'ack');
    if (o.json) process.stdout.write(JSON.stringify(state, null, 2) + '\n');
    else if (action === 'note') process.stdout.write(`${noteLine(state, by, Boolean(o.tell))}\n`);
    else if (action === 'escalate') process.stdout.write(`${escalateLine(state, by)}\n`);
    else if (action === 'add-responder')
      process.stdout.write(
        `asked ${o.who!.trim()} to help as ${by}: mailed, and Slack where configured; from now on they get the status updates and the close (pgwarden dr status ${id})\n`,
      );
    else if (action === 'abort' || action === 'resume')
      process.stdout.write(
        `${action} recorded as ${by}; the incident closes and the final notices go out (pgwarden dr status ${id})\n`,
      );
    else process.stdout.write(`${action} recorded as ${by}; ${nextLine(state)}\n`);
  });
}

/** What `dr note` did: who it reached, from the state the update returned. */
export function noteLine(s: IncidentState, by: string, told: boolean): string {
  if (!told)
    return `note recorded as ${by} in the timeline of ${s.incidentId}; nobody was notified (--tell sends it to everyone alerted)`;
  const to = updateAudienceOf(s);
  return `update recorded as ${by} and sent to ${to.join(', ')} and Slack, where configured (pgwarden dr status ${s.incidentId})`;
}

/** `--level`: 2 or manager, 3 or executive. */
export function escalationLevel(text: string | undefined): 2 | 3 {
  if (text === undefined)
    throw new UsageError(
      '--level is required: 2 (the manager) or 3 (the executive), e.g. --level 2 --reason "restore failed twice"',
    );
  if (/^(2|manager)$/i.test(text.trim())) return 2;
  if (/^(3|executive)$/i.test(text.trim())) return 3;
  throw new UsageError(`--level ${text}: give 2 (the manager) or 3 (the executive)`);
}

/**
 * What `dr escalate` did: the levels it alerted now, from the state the update returned (those
 * told at `by`'s request in the same moment as the last of them).
 */
export function escalateLine(s: IncidentState, by: string): string {
  const mine = s.escalation.told.filter((t) => t.why.kind === 'by-hand' && t.why.by === by);
  const now = mine.filter((t) => t.at === mine.at(-1)?.at);
  const alerted = now.map((t) => `level ${t.level} (${LEVEL_NAMES[t.level]}): ${contactWords(t.level, s.matrix)}`);
  return `escalated as ${by}: ${alerted.join('; ')} alerted now, and Slack where configured (pgwarden dr status ${s.incidentId})`;
}

/** The JSON fields of the workflow's messages, as the flags of the CLI that sent them. */
const FLAGS: Record<string, string> = {
  dataLossScope: '--scope',
  customerImpact: '--customer-impact',
  backupId: '--backup',
  newDatabase: '--new-db',
  to: '--to',
  toName: '--to-name',
  tables: '--table',
  replace: '--replace',
  by: '--as',
  reason: '--reason',
  note: '--note',
  text: '--text',
  tell: '--tell',
  level: '--level',
  takeOver: '--take-over',
  who: '--who',
};

/** A quoted field name of FLAGS, as a message says it. */
const FIELDS = new RegExp(`"(${Object.keys(FLAGS).join('|')})"`, 'g');

export function inFlagTerms(message: string): string {
  return message.replace(/, e\.g\. \{[^}]*\}/g, '').replace(FIELDS, (_m, field: string) => FLAGS[field]);
}

/** "next: 3. Select backup: a backup: pgwarden dr select ..." (or where the incident stands). */
export function nextLine(s: IncidentState): string {
  if (s.status !== 'open') return `the incident is ${s.status}`;
  if (s.stepStatus === 'waiting' && s.waitingFor) return `next: ${STEP_TITLES[s.step]}: ${s.waitingFor}`;
  if (s.restore?.status === 'running' && /needs approval/.test(s.restore.detail))
    return `next: 4. Execute restore: approve it in place: pgwarden dr approve ${s.incidentId} --as NAME`;
  if (s.stepStatus === 'failed')
    return `${STEP_TITLES[s.step]} FAILED: retry, skip${s.step === 'restore' ? ', choose another recovery (pgwarden dr select)' : ''} or abort (pgwarden dr status ${s.incidentId})`;
  return `now at ${STEP_TITLES[s.step]} (${s.stepStatus}); see pgwarden dr status ${s.incidentId}`;
}

/**
 * The state once the runbook has taken the step (for an action that moves it on) and waits for
 * people again, has failed or has closed; after a few seconds, whatever it is then.
 */
async function settled(client: Client, id: string, after: IncidentState, movesOn: boolean): Promise<IncidentState> {
  const deadline = Date.now() + 5000;
  let s = after;
  let moved = !movesOn;
  for (;;) {
    moved ||= s.step !== after.step || s.stepStatus !== after.stepStatus || s.status !== 'open';
    if (moved && (s.status !== 'open' || s.stepStatus === 'waiting' || s.stepStatus === 'failed')) return s;
    if (Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 200));
    s = await client.workflow.getHandle(id).query(m.incidentStateQuery);
  }
}

export async function runDrList(ctx: CommandContext, o: DrOptions & { all?: boolean }): Promise<void> {
  await withClient(ctx, async (client) => {
    const query = `PgwardenOperation = 'dr'${o.all ? '' : ` AND ExecutionStatus = 'Running'`}`;
    const rows: Array<Record<string, string | number>> = [];
    for await (const w of client.workflow.list({ query })) {
      const sa = w.typedSearchAttributes;
      rows.push({
        incident: w.workflowId,
        database: sa.get(DatabaseSA) ?? '',
        severity: sa.get(SeveritySA) ?? '',
        status: sa.get(IncidentStatusSA) ?? w.status.name.toLowerCase(),
        step: sa.get(IncidentStepSA) ?? '',
        level: sa.get(EscalationLevelSA) ?? 0,
        opened: when(w.startTime.toISOString()),
      });
    }
    if (o.json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    if (rows.length === 0) return void process.stdout.write(o.all ? 'no incidents\n' : 'no open incidents\n');
    const header = ['INCIDENT', 'DATABASE', 'SEVERITY', 'STATUS', 'STEP', 'LEVEL', 'OPENED'];
    process.stdout.write(
      columns(
        header,
        rows.map((r) => Object.values(r).map(String)),
      ) + '\n',
    );
  });
}
