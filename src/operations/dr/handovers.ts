/**
 * Handovers: when a rotation's shift changes hands (its turn, an override or a stand-in beginning
 * or ending), whoever comes on call and whoever goes off are told, as incident tools do. The
 * roster workflow keeps, per matrix, whom it last told, and at each shift's end asks who is on
 * call now: a different person is a handover. Reconciled rather than scheduled, so a worker down
 * across two shifts tells one handover, from whoever was told last to whoever is on now. The
 * first shift a roster sees of a rotation is recorded, not told: nobody handed over (a deploy,
 * a matrix added). A backup on call for the incoming shift hears of it too. With
 * ESCALATION_ONCALL_REMIND_HOURS, whoever comes on call next is also reminded that long before,
 * once per coming shift. Pure and workflow-safe.
 */
import type { EscalationMatrix } from '../../infra/config/incident';
import { backupWhoAt, nextBackupTurn, shiftAt } from './on-call';

/** A matrix as the roster needs it: its name and rotation (stand-ins already merged). */
export type RotationOf = Pick<EscalationMatrix, 'name' | 'onCall'>;

/**
 * Per matrix, whom the roster last told to be on call, since when (ISO), the coming shift it last
 * reminded (`<who> <from>`), and the coming backup shift it last reminded (the same form).
 */
export type ToldShifts = Record<string, { who: string; from: string; reminded?: string; remindedBackup?: string }>;

/**
 * A note for whoever comes on call next in a matrix (`pgwarden dr oncall --handover-note`): what
 * the shift going off wants the next one to know (a flapping alarm, a migration tonight). It goes
 * with the next notice that tells someone they are on call now (the handover, or a stand-in's
 * notice that takes effect at once), then is gone; one per matrix, a newer one replacing it.
 */
export interface HandoverNote {
  matrix: string;
  text: string;
  /** Who left it (--as, or the console's user). */
  by: string;
  at: string;
}

export interface Handover {
  matrix: string;
  incoming: string;
  outgoing: string;
  /** The incoming shift (ISO). */
  from: string;
  until: string;
  /** Who takes over at `until`. */
  next: string;
  /** When the shift going off began (ISO): what the handover reviews (absent in handovers from before). */
  outgoingFrom?: string;
  /** The note left for whoever comes on call; the roster adds it. */
  note?: HandoverNote;
  /** The backup on call for the incoming shift, when the rotation asks for one (never the incoming person). */
  backup?: string;
}

/** A shift about to begin, told to whoever takes it. */
export interface ShiftReminder {
  matrix: string;
  who: string;
  from: string;
  until: string;
  /** Who is on call until then (for a backup shift: who is the backup until then). */
  current: string;
  /** A backup shift of the backup rotation (ESCALATION_ONCALL_BACKUP): who is on call in it. */
  backupFor?: string;
}

export interface HandoverCheck {
  handovers: Handover[];
  reminders: ShiftReminder[];
  told: ToldShifts;
  /** When the next shift of any rotation begins or its reminder is due; null without a rotation. */
  wakeAt: Date | null;
}

/**
 * The handovers due at `now` against what was told, and what is told after them. `quiet`: matrices
 * whose change was told already (a stand-in set or taken back with immediate effect says who is on
 * call in its own notice): recorded as told without a second notice. A matrix seen for the first
 * time is recorded; one no longer configured is forgotten; the same person on again (a rotation of
 * one, a stand-in of the rotation's own person) is no handover.
 */
export function handoversDue(
  rotations: RotationOf[],
  told: ToldShifts,
  now: Date,
  quiet: ReadonlySet<string> = new Set(),
  /** Remind the backup rotation's people of their coming backup shifts (rosters from before it do not). */
  o: { backupReminders?: boolean } = {},
): HandoverCheck {
  const handovers: Handover[] = [];
  const reminders: ShiftReminder[] = [];
  const after: ToldShifts = {};
  let wakeAt: Date | null = null;
  const wake = (at: Date) => {
    if (!wakeAt || at < wakeAt) wakeAt = at;
  };
  for (const { name, onCall } of rotations) {
    if (!onCall?.people.length) continue;
    const shift = shiftAt(onCall, now);
    const before = told[name];
    wake(shift.until);
    // A turn's reminder is told once, when due (before then the roster wakes for it): the key to
    // tell and remember, or nothing.
    const dueNow = (who: string, from: Date, last: string | undefined): string | undefined => {
      const at = remindAtOf(onCall, who, from);
      if (!at) return undefined;
      if (at > now) {
        wake(at);
        return undefined;
      }
      const key = `${who} ${from.toISOString()}`;
      return key === last ? undefined : key;
    };
    // The coming shift's reminder; on first sight or after a stand-in's own notice, recorded.
    const coming = shiftAt(onCall, shift.until);
    let reminded = before?.reminded;
    const comingDue = coming.who !== shift.who ? dueNow(coming.who, coming.from, reminded) : undefined;
    if (comingDue) {
      if (before && !quiet.has(name))
        reminders.push({
          matrix: name,
          who: coming.who,
          from: coming.from.toISOString(),
          until: coming.until.toISOString(),
          current: shift.who,
        });
      reminded = comingDue;
    }
    // The backup rotation's coming turn, reminded the same way (whoever is on call next as the
    // backup needs none: their own shift's reminder follows).
    const backupNow = backupWhoAt(onCall, now);
    let remindedBackup = before?.remindedBackup;
    const turn = o.backupReminders ? nextBackupTurn(onCall, now) : undefined;
    const onCallThen = turn && shiftAt(onCall, turn.from).who;
    const turnDue =
      turn && turn.who !== backupNow && turn.who !== onCallThen ? dueNow(turn.who, turn.from, remindedBackup) : undefined;
    if (turn && turnDue) {
      // A stand-in's notice says who is on call, not who is the backup: only a first sight is quiet.
      if (before)
        reminders.push({
          matrix: name,
          who: turn.who,
          from: turn.from.toISOString(),
          until: turn.until.toISOString(),
          current: backupNow!,
          backupFor: onCallThen!,
        });
      remindedBackup = turnDue;
    }
    after[name] = {
      who: shift.who,
      from: shift.from.toISOString(),
      ...(reminded ? { reminded } : {}),
      ...(remindedBackup ? { remindedBackup } : {}),
    };
    if (!before || before.who === shift.who || quiet.has(name)) continue;
    handovers.push({
      matrix: name,
      incoming: shift.who,
      outgoing: before.who,
      from: shift.from.toISOString(),
      until: shift.until.toISOString(),
      next: coming.who,
      outgoingFrom: before.from,
      ...(backupNow && backupNow !== shift.who ? { backup: backupNow } : {}),
    });
  }
  return { handovers, reminders, told: after, wakeAt };
}

/** When `who`'s turn from `from` is reminded: their own lead when they gave one, else the rotation's; null for none (0). */
function remindAtOf(onCall: NonNullable<RotationOf['onCall']>, who: string, from: Date): Date | null {
  const hours = onCall.remindHoursFor?.[who] ?? onCall.remindHours ?? 0;
  return hours ? new Date(from.getTime() - hours * 3_600_000) : null;
}
