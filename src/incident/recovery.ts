/** The incident's measured recovery against the strategy's objectives. */
import type { RecoveryFigures } from './incident';

export const RTO_RESTORE_MAX_MS = 4 * 3_600_000; // database restore: 2-4 h
export const RTO_FULL_SERVICE_MAX_MS = 6 * 3_600_000; // full service recovery: 4-6 h
export const RPO_MAX_HOURS = 24;

export function incidentRecovery(input: {
  openedAt: Date;
  resumedAt: Date;
  restoreMs: number | null;
  failureTime: Date;
  backupTakenAt: Date | null;
}): RecoveryFigures {
  const fullServiceMs = input.resumedAt.getTime() - input.openedAt.getTime();
  const dataLossHours = input.backupTakenAt
    ? Math.round(((input.failureTime.getTime() - input.backupTakenAt.getTime()) / 3_600_000) * 10) / 10
    : null;
  return {
    restoreMs: input.restoreMs,
    restoreWithinRto: input.restoreMs === null ? null : input.restoreMs <= RTO_RESTORE_MAX_MS,
    fullServiceMs,
    fullServiceWithinRto: fullServiceMs <= RTO_FULL_SERVICE_MAX_MS,
    dataLossHours,
    withinRpo: dataLossHours === null ? null : dataLossHours <= RPO_MAX_HOURS,
  };
}
