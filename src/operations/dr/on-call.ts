/**
 * Who is on call: a rotation of people taking shifts of equal length in turn from a start time
 * (ESCALATION_ONCALL, ESCALATION_ONCALL_FROM, ESCALATION_ONCALL_SHIFT_HOURS), with people standing
 * in for a while (ESCALATION_ONCALL_OVERRIDES), as incident tools' schedules. An incident alerts whoever is on call when it opens, with level 1, and the matrix
 * it freezes says who that was. Pure.
 */
import { matrixVariablePrefix, type EscalationMatrix, type OnCallRotation } from '../../infra/config/incident';
import { minuteUtc } from './details';

/** Who is on call in a matrix now, and until when (the console's board). */
export interface OnCallNow {
  matrix: string;
  who: string;
  until: string;
  /** Whoever takes over then (absent in views that do not say). */
  next?: string;
  /** Why the stand-ins set at run time are not in it (their roster did not answer): the rotation as configured. */
  unread?: string;
  /** The note left for whoever comes on call next, not yet told. */
  note?: { text: string; by: string };
  /** Who an incident opened now alerts when nobody acknowledges in time, and after how long. */
  backup?: { who: string; afterMinutes: number };
}

export interface Shift {
  who: string;
  from: Date;
  until: Date;
}

/**
 * The shift running at `at`: the first override covering it (someone standing in), else the
 * rotation's turn, cut where an override begins or ends. Before the rotation's start the turns run
 * backwards the same way.
 */
export function shiftAt(rotation: OnCallRotation, at: Date): Shift {
  const t = at.getTime();
  const overrides = (rotation.overrides ?? []).map((o) => ({ who: o.who, from: Date.parse(o.from), until: Date.parse(o.until) }));
  const first = overrides.findIndex((o) => o.from <= t && t < o.until);
  if (first >= 0) {
    // Cut where an override listed before it (a newer word) begins or ends.
    const standIn = overrides[first];
    let [from, until] = [standIn.from, standIn.until];
    for (const o of overrides.slice(0, first)) {
      if (o.until <= t && o.until > from) from = o.until;
      if (o.from > t && o.from < until) until = o.from;
    }
    return { who: standIn.who, from: new Date(from), until: new Date(until) };
  }
  const length = rotation.shiftHours * 3_600_000;
  const n = turnAt(rotation, t);
  const people = rotation.people;
  let from = Date.parse(rotation.from) + n * length;
  let until = from + length;
  for (const o of overrides) {
    if (o.until <= t && o.until > from) from = o.until;
    if (o.from > t && o.from < until) until = o.from;
  }
  return { who: inTurn(people, n), from: new Date(from), until: new Date(until) };
}

/** The rotation's shift number at `t` (0 from `from`, negative before), overrides aside. */
function turnAt(rotation: OnCallRotation, t: number): number {
  return Math.floor((t - Date.parse(rotation.from)) / (rotation.shiftHours * 3_600_000));
}

const inTurn = (people: string[], n: number) => people[((n % people.length) + people.length) % people.length];

/** The shift at `at` and the `count - 1` after it. */
export function shiftsFrom(rotation: OnCallRotation, at: Date, count: number): Shift[] {
  const shifts = [shiftAt(rotation, at)];
  while (shifts.length < count) shifts.push(shiftAt(rotation, shifts.at(-1)!.until));
  return shifts;
}

/**
 * The matrix as an incident opening at `at` freezes it: whoever is on call then heads level 1
 * (once, before the team's addresses) and is named as `onCallNow`; with a backup asked for
 * (ESCALATION_ONCALL_BACKUP_AFTER_MINUTES), the backup is whoever's turn it is in the backup
 * rotation (ESCALATION_ONCALL_BACKUP, taking the same shifts), else whoever is on call next; none
 * when level 1 alerts them already. A matrix without a rotation as is.
 */
export function matrixAt(matrix: EscalationMatrix, at: Date): EscalationMatrix {
  if (!matrix.onCall) return matrix;
  const rotation = matrix.onCall;
  const [now, next] = shiftsFrom(rotation, at, 2);
  const contacts = [now.who, ...matrix.level1.contacts.filter((c) => c !== now.who)];
  const afterMinutes = rotation.backupAfterMinutes;
  const backupWho = backupWhoAt(rotation, at, next);
  const backup = afterMinutes && backupWho && !contacts.includes(backupWho) ? { who: backupWho, afterMinutes } : undefined;
  return {
    ...matrix,
    level1: { ...matrix.level1, contacts },
    onCallNow: now.who,
    ...(backup ? { onCallBackup: backup } : {}),
  };
}

/**
 * Whose turn it is to be the backup on call at `at`: in the backup rotation (ESCALATION_ONCALL_BACKUP),
 * else whoever is on call next (`next`, when the caller has it); undefined when the rotation asks
 * for no backup. Whether level 1 alerts them already is the caller's to decide.
 */
export function backupWhoAt(rotation: OnCallRotation, at: Date, next?: Shift): string | undefined {
  if (!rotation.backupAfterMinutes) return undefined;
  const backups = backupRotationOf(rotation);
  if (backups) return shiftAt(backups, at).who;
  // Whoever is on call next, unless someone stands in as the backup.
  const t = at.getTime();
  const standIn = rotation.backupOverrides?.find((o) => Date.parse(o.from) <= t && t < Date.parse(o.until));
  return standIn?.who ?? (next ?? shiftsFrom(rotation, at, 2)[1]).who;
}

/**
 * The backup rotation as a rotation of its own: its people over the same turns, its stand-ins as
 * overrides; undefined without one.
 */
function backupRotationOf(rotation: OnCallRotation): OnCallRotation | undefined {
  if (!rotation.backupPeople?.length || !rotation.backupAfterMinutes) return undefined;
  return { ...rotation, people: rotation.backupPeople, overrides: rotation.backupOverrides ?? [] };
}

/**
 * The backup rotation's turn after the one under way at `at` (its turns are the rotation's,
 * on-call overrides aside, cut by its own stand-ins): who, from, until; undefined without a
 * backup rotation.
 */
export function nextBackupTurn(rotation: OnCallRotation, at: Date): Shift | undefined {
  const backups = backupRotationOf(rotation);
  return backups && shiftAt(backups, shiftAt(backups, at).until);
}

/** A stretch of a shift with one backup on call (absent: none). */
export interface BackupPiece {
  from: Date;
  until: Date;
  backup?: string;
}

/** A shift with its backup on call as it begins (the one under way: now), and, when someone stands in as the backup within it, each stretch's. */
export type ShiftWithBackup = Shift & { backup?: string; backups?: BackupPiece[] };

/**
 * The shift at `at` and the `count - 1` after it, each with its backup on call: whom an incident
 * opened in it would alert when nobody acknowledges (absent: none). A shift that a stand-in as
 * the backup begins or ends within (from now on) also has `backups`: its stretches, one backup each.
 */
export function shiftsWithBackup(matrix: EscalationMatrix, at: Date, count: number): ShiftWithBackup[] {
  const cuts = (matrix.onCall!.backupOverrides ?? []).flatMap((o) => [Date.parse(o.from), Date.parse(o.until)]);
  const backupAt = (t: number) => matrixAt(matrix, new Date(t)).onCallBackup?.who;
  return shiftsFrom(matrix.onCall!, at, count).map((s) => {
    const start = Math.max(s.from.getTime(), at.getTime());
    const end = s.until.getTime();
    const backup = backupAt(start);
    const inside = [...new Set(cuts.filter((t) => t > start && t < end))].sort((x, y) => x - y);
    if (!inside.length) return backup ? { ...s, backup } : s;
    // The first stretch from the shift's start (a calendar's event stays the same), its backup as of now.
    const edges = [s.from.getTime(), ...inside, end];
    const backups: BackupPiece[] = [];
    edges.slice(0, -1).forEach((from, k) => {
      const who = backupAt(k === 0 ? start : from);
      const last = backups.at(-1);
      // A stand-in who is the turn's own backup changes nothing: one stretch.
      if (last && last.backup === who) last.until = new Date(edges[k + 1]);
      else backups.push({ from: new Date(from), until: new Date(edges[k + 1]), ...(who ? { backup: who } : {}) });
    });
    return { ...s, ...(backup ? { backup } : {}), ...(backups.length > 1 ? { backups } : {}) };
  });
}

/** A shift as the CLI's JSON and the console's views carry it: ISO times, `backup`s absent where none. */
export interface ShiftView {
  who: string;
  from: string;
  until: string;
  backup?: string;
  backups?: Array<{ backup?: string; from: string; until: string }>;
}

export function shiftView(s: ShiftWithBackup): ShiftView {
  return {
    who: s.who,
    from: s.from.toISOString(),
    until: s.until.toISOString(),
    ...(s.backup ? { backup: s.backup } : {}),
    ...(s.backups
      ? {
          backups: s.backups.map((p) => ({
            ...(p.backup ? { backup: p.backup } : {}),
            from: p.from.toISOString(),
            until: p.until.toISOString(),
          })),
        }
      : {}),
  };
}

/** The shift a view carries, as the calendar and the words work with it. */
export function shiftOfView(v: ShiftView): ShiftWithBackup {
  const { backups, ...shift } = v;
  const dated = <T extends { from: string; until: string }>(x: T) => ({ ...x, from: new Date(x.from), until: new Date(x.until) });
  return { ...dated(shift), ...(backups ? { backups: backups.map(dated) } : {}) };
}

/** A shift's backup stretches in words: `frank@x.io until <time>, then dan@x.io`; `none` where nobody backs up. */
export function stretchWords(backups: BackupPiece[], time: (d: Date) => string): string {
  return backups.map((p, i) => `${p.backup ?? 'none'}${i < backups.length - 1 ? ` until ${time(p.until)}` : ''}`).join(', then ');
}

/** Why a shift has no backup though its rotation asks for one: said alike by `dr oncall` and `check`. */
export const NO_BACKUP_WHY = "the backup's turn falls on someone level 1 alerts";

/** How many coming shifts `pgwarden check` looks through for a backup that will not be there. */
export const BACKUP_GAP_SHIFTS = 8;

/**
 * `pgwarden check`'s warnings: per matrix asking for a backup, the coming shifts whose backup's
 * turn falls on someone level 1 alerts already, so nobody backs them up (a backup rotation in
 * step with the on-call one, a rotation of one).
 */
export function backupGapWarnings(matrices: EscalationMatrix[], now: Date): string[] {
  return matrices.flatMap((matrix) => {
    if (!matrix.onCall?.backupAfterMinutes) return [];
    const gaps = shiftsWithBackup(matrix, now, BACKUP_GAP_SHIFTS).filter((s) => !s.backup);
    if (!gaps.length) return [];
    const when = gaps.map((s) => `${minuteUtc(s.from.toISOString())} (${s.who})`).join(', ');
    const prefix = `${matrixVariablePrefix(matrix.name)}ONCALL_BACKUP`;
    const why = matrix.onCall.backupPeople?.length
      ? `reorder ${prefix}`
      : 'whoever is on call next is in level 1 already, or the rotation has one person';
    const fix = `${why}, or plan someone as the backup for them (${prefix}_OVERRIDES)`;
    return [
      `on call: ${gaps.length} of the next ${BACKUP_GAP_SHIFTS} shifts of matrix "${matrix.name}" have no backup, as ${NO_BACKUP_WHY}: ${when}; ${fix}`,
    ];
  });
}
