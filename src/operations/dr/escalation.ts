/**
 * The strategy's escalation matrix, and when each level is due. Frozen into an incident when
 * it opens (like an incident tool), so a configuration change never alters a running one.
 *   Level 1: DevOps team at once, repeated every `repeatMinutes` until someone acknowledges;
 *            with a rotation's backup (next on call, or ESCALATION_ONCALL_BACKUP's turn) after `afterMinutes` unacknowledged
 *   Level 2: manager 1 hour after start, unless resolved
 *   Level 3: executive 4 hours after start, unless resolved
 *   Level 4: customers, as soon as the assessment declares customer-facing impact
 * Pure: the workflow asks these functions and waits on its timers.
 */
import type { EscalationLevel, EscalationMatrix } from '../../infra/config/incident';

export type { EscalationLevel, EscalationMatrix };

interface Level {
  name: string;
  /** Who hears this level. */
  contacts: (m: EscalationMatrix) => string[];
  /** The notice it sends (see notices.ts). */
  notice: 'level1' | 'level2' | 'level3' | 'level4';
  /** Minutes after opening; null when the level is not driven by the clock. */
  afterMinutes: (m: EscalationMatrix) => number | null;
}

export const LEVELS: Record<EscalationLevel, Level> = {
  1: { name: 'DevOps team', contacts: (m) => m.level1.contacts, notice: 'level1', afterMinutes: () => 0 },
  2: { name: 'manager', contacts: (m) => m.level2.contacts, notice: 'level2', afterMinutes: (m) => m.level2.afterMinutes },
  3: { name: 'executive', contacts: (m) => m.level3.contacts, notice: 'level3', afterMinutes: (m) => m.level3.afterMinutes },
  4: { name: 'customer notification', contacts: (m) => m.level4.contacts, notice: 'level4', afterMinutes: () => null },
};

export const LEVEL_NAMES: Record<EscalationLevel, string> = {
  1: LEVELS[1].name,
  2: LEVELS[2].name,
  3: LEVELS[3].name,
  4: LEVELS[4].name,
};

export interface TimedEscalation {
  level: 2 | 3;
  at: Date;
}

/** The time-driven escalations not yet sent, in order; none once the incident is closed. */
export function pendingEscalations(
  matrix: EscalationMatrix,
  openedAt: Date,
  sent: ReadonlySet<EscalationLevel>,
  closed: boolean,
): TimedEscalation[] {
  if (closed) return [];
  const timed: Array<2 | 3> = [2, 3];
  return timed
    .filter((level) => !sent.has(level))
    .map((level) => ({ level, at: new Date(openedAt.getTime() + LEVELS[level].afterMinutes(matrix)! * 60_000) }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/**
 * When the backup on call is due: `afterMinutes` after the opening (the workflow alerts them
 * then unless someone acknowledged or the incident closed); null when the matrix has no backup.
 */
export function backupAlertAt(matrix: EscalationMatrix, openedAt: Date): Date | null {
  return matrix.onCallBackup ? new Date(openedAt.getTime() + matrix.onCallBackup.afterMinutes * 60_000) : null;
}

/** Who level 1 reaches: its contacts, and the backup on call once alerted (they hear what level 1 hears from then). */
export function level1Audience(matrix: EscalationMatrix, backupAlerted: boolean): string[] {
  const backup = backupAlerted ? matrix.onCallBackup?.who : undefined;
  return backup && !matrix.level1.contacts.includes(backup) ? [...matrix.level1.contacts, backup] : matrix.level1.contacts;
}

/** Level 1 repeats while nobody has acknowledged and the incident is open. */
export function level1Repeats(acknowledged: boolean, closed: boolean): boolean {
  return !acknowledged && !closed;
}

/**
 * When the n-th level 1 reminder is due: on a fixed grid from the opening, so reminders never
 * drift by the time a notice takes to send.
 */
export function level1ReminderAt(matrix: EscalationMatrix, openedAt: Date, n: number): Date {
  return new Date(openedAt.getTime() + n * matrix.level1.repeatMinutes * 60_000);
}

/** Level 4 goes out once, when an assessment says customers are affected. */
export function customerNoticeDue(
  customerImpact: boolean | undefined,
  sent: ReadonlySet<EscalationLevel>,
  closed: boolean,
): boolean {
  return customerImpact === true && !sent.has(4) && !closed;
}

/**
 * Who hears that the incident closed: level 1 always (with the backup on call once alerted),
 * and every other level that was told it opened.
 */
export function closingAudience(
  matrix: EscalationMatrix,
  sent: ReadonlySet<EscalationLevel>,
  backupAlerted = false,
): { team: string[]; customers: string[] | null } {
  const above: EscalationLevel[] = [2, 3];
  return {
    team: [
      ...new Set([
        ...level1Audience(matrix, backupAlerted),
        ...above.filter((l) => sent.has(l)).flatMap((l) => LEVELS[l].contacts(matrix)),
      ]),
    ],
    customers: sent.has(4) ? LEVELS[4].contacts(matrix) : null,
  };
}

/** Who hears a level, as notices and records say it: its contacts, or "Slack only". */
export function contactWords(level: EscalationLevel, matrix: EscalationMatrix | null): string {
  return (matrix ? LEVELS[level].contacts(matrix) : []).join(', ') || 'Slack only';
}

/** Why a level was told: at the opening (level 1), by its timer, at someone's request, or for customer impact. */
export type ToldWhy =
  | { kind: 'opening' }
  | { kind: 'timer'; afterMinutes: number }
  | { kind: 'by-hand'; by: string; reason: string }
  | { kind: 'customer-impact' };

/** A level told, as the incident keeps it: the timeline, the evidence and `dr escalate` read it from here. */
export interface Told {
  level: EscalationLevel;
  at: string;
  why: ToldWhy;
}

/** How the timeline says a level was told: "notified after 60 min open", "notified: escalated by alice". Pure. */
export function toldWords(why: ToldWhy): string {
  switch (why.kind) {
    case 'opening':
      return 'notified';
    case 'timer':
      return `notified after ${why.afterMinutes} min open`;
    case 'by-hand':
      return `notified: escalated by ${why.by}`;
    case 'customer-impact':
      return 'notified: customer-facing impact';
  }
}

/** Why then, as a postmortem reads it: "at the opening", "escalated by alice: <her reason>". Pure. */
export function whyWords(why: ToldWhy): string {
  switch (why.kind) {
    case 'opening':
      return 'at the opening';
    case 'timer':
      return `after ${why.afterMinutes} min open`;
    case 'by-hand':
      return `escalated by ${why.by}: ${why.reason}`;
    case 'customer-impact':
      return 'customer-facing impact';
  }
}

/**
 * The levels an escalation by hand to `to` alerts now: each one up to it not yet alerted, so
 * the executive is never told before the manager.
 */
export function levelsToEscalate(to: 2 | 3, sent: ReadonlySet<EscalationLevel>): Array<2 | 3> {
  return ([2, 3] as const).filter((l) => l <= to && !sent.has(l));
}

/**
 * The levels a person may alert now, before their timers (the console's form, Slack's modal):
 * 2 and 3 not yet alerted; none before the matrix is frozen or in a drill that alerts level 1 only.
 */
export function levelsOpenToEscalate(
  matrix: EscalationMatrix | null,
  escalation: { sent: readonly EscalationLevel[]; levelOneOnly?: boolean },
): Array<2 | 3> {
  if (!matrix || escalation.levelOneOnly) return [];
  return ([2, 3] as const).filter((l) => !escalation.sent.includes(l));
}

/** A level as an escalation form offers it: its name, who hears it, and whether it alerts the manager first too. */
export function escalationChoiceParts(
  level: 2 | 3,
  matrix: EscalationMatrix,
  open: ReadonlyArray<2 | 3>,
): { level: string; contacts: string; also: string } {
  return {
    level: `level ${level}: ${LEVEL_NAMES[level]}`,
    contacts: contactWords(level, matrix),
    also: level === 3 && open.includes(2) ? ', and the manager' : '',
  };
}

/** The same as one line: "level 3: executive (exec@x.io), and the manager". */
export function escalationChoice(level: 2 | 3, matrix: EscalationMatrix, open: ReadonlyArray<2 | 3>): string {
  const c = escalationChoiceParts(level, matrix, open);
  return `${c.level} (${c.contacts})${c.also}`;
}

/**
 * When level 1 is next reminded to post a status update: `updateReminderMinutes` after the
 * latest news those above it had (the manager's notice, a status update, or the last reminder);
 * null when off, before the manager was told, or once closed.
 */
export function updateReminderAt(matrix: EscalationMatrix, lastNewsAt: Date | null, closed: boolean): Date | null {
  const every = matrix.updateReminderMinutes ?? 0;
  if (closed || every <= 0 || !lastNewsAt) return null;
  return new Date(lastNewsAt.getTime() + every * 60_000);
}
