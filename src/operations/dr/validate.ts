/**
 * Validators of the runbook's human steps. An Update that fails one is rejected before it is
 * recorded (nothing lands in the history or the timeline); a Signal that fails one is dropped
 * and the worker logs why. Messages say what is wrong and what to send instead.
 */
import { resolveChoice, type SelectInput } from './choice';
import { LEVEL_NAMES } from './escalation';
import { isSlackUserId } from '../../infra/notify/slack-user-id';
import { IncidentState, leaderOf, type Reach, Step, STEP_TITLES, updateAudienceOf } from './incident';
import { EMAIL_ADDRESS } from '../../infra/config/email-address';

export interface Actor {
  by: string;
}
/** An acknowledgement; with `takeOver`, of an incident someone else leads: the lead passes to `by`. */
export interface AckInput extends Actor {
  takeOver?: boolean;
  /** How to reach who acknowledges: reminders to post an update go to them. */
  reach?: Reach;
}
export interface AssessInput extends Actor {
  dataLossScope: string;
  customerImpact: boolean;
  notes?: string;
}
export type { SelectInput } from './choice';
export interface NoteInput extends Actor {
  note?: string;
}
export interface ReasonInput extends Actor {
  reason: string;
}
/** A line for the timeline; with `tell`, a status update mailed and posted to everyone alerted so far. */
export interface UpdateInput extends Actor {
  text: string;
  tell?: boolean;
}

/** Escalating at once, before the level's timer: the manager (2) or the executive (3), and why. */
export interface EscalateInput extends Actor {
  level: 2 | 3;
  reason: string;
}

/** Someone asked to help (a responder): their address, and why they are needed. */
export interface ResponderInput extends Actor {
  who: string;
  reason: string;
}

/** More responders than this is a call for a level, not for people one by one. */
export const MOST_RESPONDERS = 20;

/** Long enough for a paragraph, short enough for a mail subject's preview and a Slack message. */
export const UPDATE_MAX_CHARS = 2000;

const BACKUP_ID = /^backup_\d{8}_\d{6}$/;
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function who(input: Partial<Actor> | undefined): void {
  if (input?.by !== undefined && typeof input.by !== 'string')
    throw new Error(`"by" must be text in quotes, e.g. {"by": "alice"}; got ${JSON.stringify(input.by)}`);
  if (typeof input?.by !== 'string' || !input.by.trim())
    throw new Error('say who you are: "by" is required, e.g. {"by": "alice"}');
}

/** A wrong type is said as such, not as a missing field: a quoted "yes" is not the boolean true. */
function reach(value: unknown): void {
  if (value === undefined) return;
  const r = value as Reach | null;
  if (!r || typeof r !== 'object')
    throw new Error(`"reach" must be an object like {"email": "bob@example.com"}; got ${JSON.stringify(value)}`);
  if (r.email !== undefined && (typeof r.email !== 'string' || !/^[^\s@,<>]+@[^\s@,<>]+$/.test(r.email)))
    throw new Error(`"reach.email" must be one e-mail address; got ${JSON.stringify(r.email)}`);
  if (r.slack !== undefined && !isSlackUserId(r.slack))
    throw new Error(`"reach.slack" must be a Slack user id like U0123ABC; got ${JSON.stringify(r.slack)}`);
}

function text(value: unknown, field: string, what: string): void {
  if (value !== undefined && value !== null && typeof value !== 'string')
    throw new Error(`"${field}" must be text in quotes, e.g. "${what}"; got ${JSON.stringify(value)}`);
  if (typeof value !== 'string' || !value.trim()) throw new Error(`"${field}" is required: ${what}`);
}

function yesNo(value: unknown, field: string, what: string): void {
  if (value === undefined || value === null) throw new Error(`"${field}" is required: ${what}`);
  if (typeof value !== 'boolean')
    throw new Error(`"${field}" must be true or false without quotes (${what}); got ${JSON.stringify(value)}`);
}

function open(state: IncidentState): void {
  if (state.status !== 'open') throw new Error(`the incident is ${state.status}; nothing more can be recorded`);
}

function atStep(state: IncidentState, step: Step, what: string): void {
  if (state.step !== step || state.stepStatus !== 'waiting') {
    throw new Error(
      `${what} belongs to step "${STEP_TITLES[step]}", but the incident is at "${STEP_TITLES[state.step]}" (${state.stepStatus})`,
    );
  }
}

export function validateAcknowledge(state: IncidentState, input: AckInput): void {
  who(input);
  if (input.takeOver !== undefined) yesNo(input.takeOver, 'takeOver', 'whether you take the lead over from who has it');
  reach(input.reach);
  open(state);
  const e = state.escalation;
  if (!e.acknowledgedBy) return;
  const lead = leaderOf(e);
  if (!input.takeOver)
    throw new Error(
      `already acknowledged by ${e.acknowledgedBy} at ${e.acknowledgedAt}${lead !== e.acknowledgedBy ? `, led by ${lead} since ${e.lead?.since}` : ''}; to take the lead over: dr ack --take-over, e.g. {"by": "<you>", "takeOver": true}`,
    );
  if (lead === input.by.trim()) throw new Error(`${lead} already leads this incident`);
}

export function validateAssess(state: IncidentState, input: AssessInput): void {
  who(input);
  open(state);
  atStep(state, 'assess', 'an assessment');
  text(input.dataLossScope, 'dataLossScope', 'what data is lost or at risk, e.g. orders since 02:00');
  yesNo(input.customerImpact, 'customerImpact', 'true if customers see the outage, else false');
}

export function validateSelect(state: IncidentState, input: SelectInput): void {
  who(input);
  open(state);
  // After a failed restore another recovery may be chosen; the restore then runs again with it.
  if (!(state.step === 'restore' && state.stepStatus === 'failed')) atStep(state, 'select', 'choosing a backup');
  if (input.backupId !== undefined && !BACKUP_ID.test(input.backupId))
    throw new Error(`"backupId" ${JSON.stringify(input.backupId)} is not a backup id like backup_20240101_120000`);
  const choice = resolveChoice(state, input);
  if ('problem' in choice) throw new Error(choice.problem);
  // A drill practises on copies: nothing it does may change the live database.
  if (state.drill && choice.kind === 'backup' && !choice.newDatabase)
    throw new Error('a drill never restores in place: give "newDatabase" (a new database to restore into)');
  if (state.drill && choice.kind === 'tables')
    throw new Error(
      'a drill does not write into the live database: choose a backup with "newDatabase", or a point in time ("to")',
    );
  if (input.newDatabase !== undefined) {
    if (!DATABASE_NAME.test(input.newDatabase))
      throw new Error(`"newDatabase" ${JSON.stringify(input.newDatabase)}: use lower-case letters, digits and _ (at most 63)`);
    if (input.newDatabase === state.database)
      throw new Error('"newDatabase" is the database itself; leave it out to restore in place');
  }
}

export function validateApproveRestore(state: IncidentState, input: NoteInput): void {
  who(input);
  open(state);
  if (state.step !== 'restore' || state.restore?.status !== 'running')
    throw new Error(`there is no restore waiting for approval (the incident is at "${STEP_TITLES[state.step]}")`);
}

export function validateResume(state: IncidentState, input: NoteInput): void {
  who(input);
  open(state);
  atStep(state, 'resume', 'resuming operations');
}

function reason(input: Partial<ReasonInput>): void {
  if (typeof input?.reason !== 'string' || !input.reason.trim())
    throw new Error('"reason" is required: say why, for the timeline');
}

export function validateRetry(state: IncidentState, input: ReasonInput): void {
  who(input);
  reason(input);
  open(state);
  if (state.stepStatus !== 'failed')
    throw new Error(
      `step "${STEP_TITLES[state.step]}" has not failed (it is ${state.stepStatus}); only a failed step can be retried`,
    );
}

export function validateSkip(state: IncidentState, input: ReasonInput): void {
  who(input);
  reason(input);
  open(state);
  if (state.step === 'resume') throw new Error('resuming operations cannot be skipped: confirm it (resume) or abort the runbook');
  if (state.stepStatus === 'running')
    throw new Error(`step "${STEP_TITLES[state.step]}" is running; wait until it waits or fails, or abort`);
}

export function validateAbort(state: IncidentState, input: ReasonInput): void {
  who(input);
  reason(input);
  open(state);
}

export function validateNote(state: IncidentState, input: UpdateInput): void {
  who(input);
  text(input?.text, 'text', 'what to put on the record, e.g. "replica lag back to normal, restore at 60%"');
  if (input.text.length > UPDATE_MAX_CHARS)
    throw new Error(
      `"text" is ${input.text.length} characters; keep it to ${UPDATE_MAX_CHARS} at most (link to a document for more)`,
    );
  if (input.tell !== undefined) yesNo(input.tell, 'tell', 'whether everyone alerted so far gets it too');
  open(state);
  if (input.tell && !state.matrix)
    throw new Error('the incident has not opened yet, so nobody has been alerted to tell; wait a moment or send it as a note');
}

export function validateEscalate(state: IncidentState, input: EscalateInput): void {
  who(input);
  if (input.level !== 2 && input.level !== 3)
    throw new Error(`"level" must be 2 (the manager) or 3 (the executive), without quotes; got ${JSON.stringify(input.level)}`);
  text(input.reason, 'reason', 'why they are needed now, e.g. "restore failed twice, a decision on data loss is needed"');
  if (input.reason.length > UPDATE_MAX_CHARS)
    throw new Error(`"reason" is ${input.reason.length} characters; keep it to ${UPDATE_MAX_CHARS} at most`);
  open(state);
  if (!state.matrix) throw new Error('the incident has not opened yet; wait a moment and escalate again');
  if (state.escalation.levelOneOnly)
    throw new Error('this drill alerts level 1 only (DR_DRILL_ESCALATE is off): nobody above it is told of a drill');
  if (state.escalation.sent.includes(input.level))
    throw new Error(
      `level ${input.level} (${LEVEL_NAMES[input.level]}) was already alerted; to tell them more, post an update: dr note --tell, e.g. {"by": "<you>", "text": "...", "tell": true}`,
    );
}

export function validateAddResponder(state: IncidentState, input: ResponderInput): void {
  who(input);
  text(input?.who, 'who', 'the address of whoever should help, e.g. "dba@example.com"');
  if (!EMAIL_ADDRESS.test(input.who.trim()))
    throw new Error(
      `"who" ${JSON.stringify(input.who)} is not an e-mail address: they are asked by mail, e.g. "dba@example.com"`,
    );
  text(input.reason, 'reason', 'why they are needed, e.g. "the replica will not catch up: a DBA is needed"');
  if (input.reason.length > UPDATE_MAX_CHARS)
    throw new Error(`"reason" is ${input.reason.length} characters; keep it to ${UPDATE_MAX_CHARS} at most`);
  open(state);
  if (!state.matrix) throw new Error('the incident has not opened yet; wait a moment and ask again');
  const address = input.who.trim();
  if (updateAudienceOf(state).includes(address))
    throw new Error(
      `${address} already hears of this incident; to tell them more, post an update: dr note --tell, e.g. {"by": "<you>", "text": "...", "tell": true}`,
    );
  if ((state.escalation.responders ?? []).length >= MOST_RESPONDERS)
    throw new Error(`${MOST_RESPONDERS} people were asked to help already; escalate to a level instead (dr escalate)`);
}
