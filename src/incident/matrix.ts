/**
 * The strategy's escalation matrix, and when each level is due. Frozen into an incident when
 * it opens (like an incident tool), so a configuration change never alters a running one.
 *   Level 1: DevOps team at once, repeated until someone acknowledges
 *   Level 2: manager 1 hour after start, unless resolved
 *   Level 3: executive 4 hours after start, unless resolved
 *   Level 4: customers, as soon as the assessment declares customer-facing impact
 */
import type { EscalationLevel, EscalationMatrix } from '../config/incident';

export type { EscalationLevel, EscalationMatrix };

export const LEVEL_NAMES: Record<EscalationLevel, string> = {
  1: 'DevOps team',
  2: 'manager',
  3: 'executive',
  4: 'customer notification',
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
  const all: TimedEscalation[] = [
    { level: 2, at: new Date(openedAt.getTime() + matrix.level2.afterMinutes * 60_000) },
    { level: 3, at: new Date(openedAt.getTime() + matrix.level3.afterMinutes * 60_000) },
  ];
  return all.filter((e) => !sent.has(e.level)).sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Level 1 repeats while nobody has acknowledged and the incident is open. */
export function level1Repeats(acknowledged: boolean, closed: boolean): boolean {
  return !acknowledged && !closed;
}

/** Level 4 goes out once, when an assessment says customers are affected. */
export function customerNoticeDue(
  customerImpact: boolean | undefined,
  sent: ReadonlySet<EscalationLevel>,
  closed: boolean,
): boolean {
  return customerImpact === true && !sent.has(4) && !closed;
}
