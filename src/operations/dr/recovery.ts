/** The incident's measured recovery against the strategy's objectives. */
import { OBJECTIVES } from '../../infra/config/objectives';
import type { RecoveryFigures } from './incident';

export function incidentRecovery(input: {
  openedAt: Date;
  resumedAt: Date;
  restoreMs: number | null;
  failureTime: Date;
  backupTakenAt: Date | null;
}): RecoveryFigures {
  const fullServiceMs = input.resumedAt.getTime() - input.openedAt.getTime();
  const lossMs = input.backupTakenAt ? Math.max(0, input.failureTime.getTime() - input.backupTakenAt.getTime()) : null;
  const dataLossHours = lossMs === null ? null : Math.round((lossMs / 3_600_000) * 10) / 10;
  return {
    restoreMs: input.restoreMs,
    restoreWithinRto: input.restoreMs === null ? null : input.restoreMs <= OBJECTIVES.restore.maxMs,
    fullServiceMs,
    fullServiceWithinRto: fullServiceMs <= OBJECTIVES.fullService.maxMs,
    dataLossHours,
    dataLossSeconds: lossMs === null ? null : Math.round(lossMs / 100) / 10,
    withinRpo: dataLossHours === null ? null : dataLossHours <= OBJECTIVES.dataLoss.maxHours,
  };
}

/** "the last 5.2 h", "the last 30 min", "the last 1.4 s" (incidents recorded before seconds were kept: "under 6 min"). */
function lossSpan(hours: number, seconds?: number | null): string {
  if (hours >= 1) return `the last ${hours} h`;
  if (seconds != null && seconds < 60) return `the last ${seconds} s`;
  if (seconds != null) return `the last ${Math.round(seconds / 60)} min`;
  return hours > 0 ? `the last ${Math.round(hours * 60)} min` : 'under 6 min';
}

/** The recovery against the objectives in one line, for the UI's details and `dr status` alike. */
export function describeRecovery(r: RecoveryFigures): string {
  const verdict = (ok: boolean | null) => (ok ? 'met' : 'MISSED');
  return (
    `full service in ${(r.fullServiceMs / 3_600_000).toFixed(2)} h (${OBJECTIVES.fullService.text}: ${verdict(r.fullServiceWithinRto)})` +
    (r.restoreMs !== null
      ? `; restore ${(r.restoreMs / 3_600_000).toFixed(2)} h (${OBJECTIVES.restore.text}: ${verdict(r.restoreWithinRto)})`
      : '') +
    (r.dataLossHours !== null
      ? `; data lost: ${lossSpan(r.dataLossHours, r.dataLossSeconds)} before the failure (${OBJECTIVES.dataLoss.text}: ${verdict(r.withinRpo)})`
      : '')
  );
}
