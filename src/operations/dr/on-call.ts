/**
 * Who is on call: a rotation of people taking shifts of equal length in turn from a start time
 * (ESCALATION_ONCALL, ESCALATION_ONCALL_FROM, ESCALATION_ONCALL_SHIFT_HOURS), as incident tools'
 * schedules. An incident alerts whoever is on call when it opens, with level 1, and the matrix
 * it freezes says who that was. Pure.
 */
import type { EscalationMatrix, OnCallRotation } from '../../infra/config/incident';

export interface Shift {
  who: string;
  from: Date;
  until: Date;
}

/** The shift running at `at`; before the rotation's start the turns run backwards the same way. */
export function shiftAt(rotation: OnCallRotation, at: Date): Shift {
  const length = rotation.shiftHours * 3_600_000;
  const n = Math.floor((at.getTime() - Date.parse(rotation.from)) / length);
  const people = rotation.people;
  const from = new Date(Date.parse(rotation.from) + n * length);
  return { who: people[((n % people.length) + people.length) % people.length], from, until: new Date(from.getTime() + length) };
}

/** The shift at `at` and the `count - 1` after it. */
export function shiftsFrom(rotation: OnCallRotation, at: Date, count: number): Shift[] {
  const shifts = [shiftAt(rotation, at)];
  while (shifts.length < count) shifts.push(shiftAt(rotation, shifts.at(-1)!.until));
  return shifts;
}

/**
 * The matrix as an incident opening at `at` freezes it: whoever is on call then heads level 1
 * (once, before the team's addresses) and is named as `onCall`; a matrix without a rotation as is.
 */
export function matrixAt(matrix: EscalationMatrix, at: Date): EscalationMatrix {
  if (!matrix.onCall) return matrix;
  const who = shiftAt(matrix.onCall, at).who;
  return {
    ...matrix,
    level1: { ...matrix.level1, contacts: [who, ...matrix.level1.contacts.filter((c) => c !== who)] },
    onCallNow: who,
  };
}
