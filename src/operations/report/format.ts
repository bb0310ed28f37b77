/** The report as a person reads it in a terminal: a few lines per database, trends as sparklines. */
import type { PitrStatus } from '../pitr/window';
import { formatBytes } from '../backup/progress';
import type { DatabaseReport } from './report';
import { OBJECTIVES } from '../../infra/config/objectives';
import type { RestoreTestSummary } from '../restore-test/restore-test';
import type { DrillSummary } from '../dr/evidence';

const BARS = '▁▂▃▄▅▆▇█';
const MAX_COLUMNS = 60;

/**
 * One character per day (or per group of days past 60): higher bar, higher value; a gap where
 * there was no backup, so a missed night shows at a glance.
 */
export function sparkline(values: Array<number | null>): string {
  const per = Math.ceil(values.length / MAX_COLUMNS) || 1;
  const columns: Array<number | null> = [];
  for (let i = 0; i < values.length; i += per) {
    const group = values.slice(i, i + per).filter((v): v is number => v !== null);
    columns.push(group.length ? group[group.length - 1] : null);
  }
  const present = columns.filter((v): v is number => v !== null);
  if (present.length === 0) return ' '.repeat(columns.length);
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  return columns
    .map((v) => (v === null ? ' ' : BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]))
    .join('');
}

const seconds = (ms: number | null) =>
  ms === null ? '-' : ms < 120_000 ? `${(ms / 1000).toFixed(1)}s` : `${(ms / 60_000).toFixed(1)} min`;
const bytes = (n: number | null) => (n === null ? '-' : formatBytes(n));
const when = (iso: string | null) => (iso === null ? 'never' : iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z'));
/** "$12.40", "$0.0042", or "no price" for a class without one. */
export const usd = (n: number | null) =>
  n === null ? 'no price' : n > 0 && n < 0.0001 ? '<$0.0001' : n < 0.01 && n > 0 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;

export function formatReport(r: DatabaseReport): string {
  const b = r.backups;
  const lines = [
    `${r.database}: last ${r.days} day${r.days === 1 ? '' : 's'} (${r.from.slice(0, 10)} to ${r.to.slice(0, 10)})`,
    `  backups       ${b.succeeded} succeeded, ${b.failed} failed; success rate ${b.successRate === null ? '- (no runs)' : `${b.successRate}%`}; last success ${when(b.lastSuccessAt)}`,
    ...(b.lastFailure
      ? [`                last failure ${when(b.lastFailure.at)} ${b.lastFailure.errorType}: ${b.lastFailure.message}`]
      : []),
    `  size          |${sparkline(r.size.perDay)}| ${bytes(r.size.latestBytes)} now${r.size.changePercent === null ? '' : `, ${r.size.changePercent >= 0 ? '+' : ''}${r.size.changePercent}% over the period`} (min ${bytes(r.size.minBytes)}, max ${bytes(r.size.maxBytes)})`,
    `  duration      |${sparkline(r.duration.perDay)}| ${seconds(r.duration.latestMs)} last, median ${seconds(r.duration.medianMs)}, max ${seconds(r.duration.maxMs)}`,
    `  verification  ${r.verification.passed} passed, ${r.verification.failed} failed; test restore median ${seconds(r.verification.testRestoreMedianMs)} (last ${seconds(r.verification.testRestoreLastMs)})`,
    `  restores      ${r.restores.succeeded} succeeded, ${r.restores.failed} failed` +
      (r.restores.succeeded
        ? `; recovery last ${seconds(r.restores.lastRecoveryMs)}, median ${seconds(r.restores.medianRecoveryMs)}; within the 4 h RTO: ${r.restores.withinRto} of ${r.restores.succeeded}`
        : ''),
    `  storage       ${bytes(r.storage.bytes)} in ${r.storage.objects} objects, est. ${usd(r.storage.monthlyUsd)}/month${r.storage.unpricedClasses.length ? ` (no price for ${r.storage.unpricedClasses.join(', ')}; set S3_STORAGE_PRICES)` : ''}`,
    ...r.storage.byClass.map(
      (c) =>
        `                ${c.storageClass.padEnd(20)} ${String(c.objects).padStart(5)} objects ${bytes(c.bytes).padStart(10)}  ${usd(c.monthlyUsd)}/month`,
    ),
    ...(r.pitr ? [pitrLine(r.pitr)] : []),
    ...(r.restoreTests ? [restoreTestLine(r.restoreTests)] : []),
    ...(r.drills ? [drillLine(r.drills)] : []),
  ];
  return lines.join('\n');
}

/** The drills: counts, the last one's measured times, the trend of the full-service time. */
function drillLine(d: DrillSummary): string {
  if (!d.last) return '  DR drills     none yet (pgwarden dr start --drill; quarterly on its schedule)';
  const l = d.last;
  return (
    `  DR drills     |${sparkline(d.fullServiceHours)}| ${d.resolved} resolved, ${d.aborted} not; last ${when(l.closedAt)} ${l.status}` +
    (l.status === 'resolved'
      ? ` (restore ${l.restore ?? '-'}, ${OBJECTIVES.restore.text}; full service ${l.fullService ?? '-'}, ${OBJECTIVES.fullService.text})`
      : '')
  );
}

/** The restore tests: counts, the last one's times, the trend of the logical restore's time. */
function restoreTestLine(t: RestoreTestSummary): string {
  if (!t.last) return '  restore tests none yet (pgwarden restore-test; monthly on its schedule)';
  const l = t.last;
  const times = [
    l.logicalMs !== null ? `logical ${seconds(l.logicalMs)}` : null,
    l.pointInTimeMs !== null ? `point in time ${seconds(l.pointInTimeMs)}` : null,
  ].filter(Boolean);
  return (
    `  restore tests |${sparkline(t.logicalMs)}| ${t.passed} passed, ${t.failed} failed; last ${when(l.finishedAt)} ${l.passed ? 'PASSED' : 'FAILED'}` +
    (times.length ? ` (${times.join(', ')}; ${OBJECTIVES.restore.text})` : '')
  );
}

/** The recoverable window of a server in WAL_ARCHIVE, and what is wrong with it if anything. */
function pitrLine(p: PitrStatus): string {
  const window = p.window
    ? `from ${p.window.from.slice(0, 19).replace('T', ' ')} UTC (${p.window.fromBackup}) to WAL ${p.window.toLsn}`
    : 'none';
  const said = [...p.problems, ...(p.notes ?? [])];
  return `  point in time window ${window}; ${p.baseBackups} base backup(s), ${p.walSegments} WAL segment(s)${said.length ? `; ${said.join('; ')}` : ''}`;
}
