/**
 * The strategy's monthly restore test, as plain functions: the random point a point-in-time
 * restore goes to, the test's report (each part's restore time against the RTO, its checks,
 * pass or fail) as JSON and markdown, and whether a test passed recently enough for the daily
 * check. Pure: the workflow and the activities hand in the clock and the randomness.
 */
import { OBJECTIVES } from '../../infra/config/objectives';
import type { RecoveryCheck } from '../dr/incident';
import { cell } from '../dr/evidence';
import { overdueProblem } from '../backup/freshness';

export const RESTORE_TEST_KIND = 'pgwarden.evidence';

/**
 * A point in the recoverable window, away from its edges: a second after the oldest base
 * backup is consistent, to a few seconds before the newest WAL stored (a time target needs a
 * commit after it). Null when the window is too short to choose in.
 */
export function restoreTestPoint(window: { from: string; to: string }, random: number): string | null {
  const from = Date.parse(window.from) + 1000;
  const to = Date.parse(window.to) - 5000;
  if (!(to > from)) return null;
  return new Date(Math.floor(from + (to - from) * Math.min(Math.max(random, 0), 1))).toISOString();
}

export interface RestoreTestPart {
  kind: 'logical' | 'point-in-time';
  passed: boolean;
  /** What was restored: the backup id, or the point and the base backup it started from. */
  what: string;
  /** Restore request to a usable database or instance. */
  restoreMs: number | null;
  withinRto: boolean | null;
  checks: RecoveryCheck[];
  /** Why the part failed before its checks (the restore itself), or null. */
  failure: string | null;
  /** Point-in-time: the last commit replayed, and the target minus it. */
  recoveredTo?: { commitTime: string | null; lsn: string } | null;
  /** What the restore did beyond loading (roles it created, what it could not give back). */
  notes?: string[];
}

export interface RestoreTestReport {
  kind: typeof RESTORE_TEST_KIND;
  formatVersion: 1;
  type: 'restore-test';
  id: string;
  database: string;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  parts: RestoreTestPart[];
  /** Why there is no point-in-time part (the database is not in WAL_ARCHIVE), or null. */
  pointInTimeSkipped: string | null;
  objective: string;
  /** Where the report is stored (JSON and markdown); set once it is. */
  evidence?: { json: string; markdown: string } | null;
}

export function restorePart(
  kind: RestoreTestPart['kind'],
  what: string,
  outcome:
    | { restoreMs: number; checks: RecoveryCheck[]; recoveredTo?: RestoreTestPart['recoveredTo']; notes?: string[] }
    | { failure: string },
): RestoreTestPart {
  if ('failure' in outcome)
    return { kind, what, passed: false, restoreMs: null, withinRto: null, checks: [], failure: outcome.failure };
  const withinRto = outcome.restoreMs <= OBJECTIVES.restore.maxMs;
  return {
    kind,
    what,
    passed: withinRto && outcome.checks.every((c) => c.ok),
    restoreMs: outcome.restoreMs,
    withinRto,
    checks: outcome.checks,
    failure: null,
    ...(outcome.recoveredTo !== undefined ? { recoveredTo: outcome.recoveredTo } : {}),
    ...(outcome.notes?.length ? { notes: outcome.notes } : {}),
  };
}

export function restoreTestReport(r: {
  id: string;
  database: string;
  startedAt: string;
  finishedAt: string;
  parts: RestoreTestPart[];
  pointInTimeSkipped: string | null;
}): RestoreTestReport {
  return {
    kind: RESTORE_TEST_KIND,
    formatVersion: 1,
    type: 'restore-test',
    ...r,
    passed: r.parts.length > 0 && r.parts.every((p) => p.passed),
    objective: OBJECTIVES.restore.text,
  };
}

const minutes = (ms: number | null) =>
  ms === null ? '–' : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;

/** One line per part, for notices and the CLI. */
export function describeRestoreTest(r: RestoreTestReport): string[] {
  return [
    `restore test of ${r.database}: ${r.passed ? 'PASSED' : 'FAILED'}`,
    ...r.parts.map(
      (p) =>
        `${p.kind}: ${p.passed ? 'passed' : 'FAILED'}: ${p.what}; ` +
        (p.failure
          ? p.failure
          : `restored in ${minutes(p.restoreMs)} (${r.objective}: ${p.withinRto ? 'met' : 'MISSED'}); ` +
            (p.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'FAILED'} (${c.detail})`).join('; ') || 'no checks') +
            (p.notes ?? []).map((n) => `; ${n}`).join('')),
    ),
    ...(r.pointInTimeSkipped ? [`point-in-time: not tested: ${r.pointInTimeSkipped}`] : []),
  ];
}

export function restoreTestMarkdown(r: RestoreTestReport): string {
  const lines = [
    `# Restore test ${r.id}: ${r.database} ${r.passed ? 'passed' : 'FAILED'}`,
    '',
    `From ${r.startedAt} to ${r.finishedAt}. Objective: ${r.objective} for a database restore.`,
    '',
    '| part | restored | time | objective | outcome |',
    '|---|---|---|---|---|',
    ...r.parts.map(
      (p) =>
        `| ${p.kind} | ${cell(p.what)} | ${minutes(p.restoreMs)} | ${p.withinRto === null ? '–' : p.withinRto ? 'met' : 'MISSED'} | ${p.passed ? 'passed' : `FAILED${p.failure ? `: ${cell(p.failure)}` : ''}`} |`,
    ),
    ...(r.pointInTimeSkipped ? [`| point-in-time | not tested | – | – | ${cell(r.pointInTimeSkipped)} |`] : []),
    '',
    '## Checks',
    '',
    ...r.parts.flatMap((p) => p.checks.map((c) => `- ${p.kind}: ${c.ok ? 'passed' : 'FAILED'}: ${c.name}: ${c.detail}`)),
    '',
    ...(r.parts.some((p) => p.notes?.length)
      ? ['## Notes', '', ...r.parts.flatMap((p) => (p.notes ?? []).map((n) => `- ${p.kind}: ${n}`)), '']
      : []),
  ];
  return lines.join('\n');
}

/** The daily check's question for restore tests (see overdueProblem). */
export function restoreTestProblem(
  database: string,
  tests: Array<Pick<RestoreTestReport, 'id' | 'finishedAt' | 'passed'>>,
  maxDays: number,
  now: Date,
  firstBackupAt: string | null,
): string | null {
  return overdueProblem({
    what: 'restore test',
    database,
    command: 'pgwarden restore-test',
    runs: tests,
    maxDays,
    now,
    firstBackupAt,
  });
}

export interface RestoreTestSummary {
  passed: number;
  failed: number;
  last: { id: string; finishedAt: string; passed: boolean; logicalMs: number | null; pointInTimeMs: number | null } | null;
  /** Restore times of the last tests, oldest first (null: that part failed or was not run), for the trend. */
  logicalMs: Array<number | null>;
  pointInTimeMs: Array<number | null>;
}

/** What `pgwarden report` says of the restore tests: counts, the last one, and the trend of the last `keep`. */
export function restoreTestSummary(reports: RestoreTestReport[], keep = 12): RestoreTestSummary {
  const sorted = [...reports].sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : 1));
  const ms = (r: RestoreTestReport, kind: RestoreTestPart['kind']) => r.parts.find((p) => p.kind === kind)?.restoreMs ?? null;
  const last = sorted.at(-1);
  const recent = sorted.slice(-keep);
  return {
    passed: sorted.filter((r) => r.passed).length,
    failed: sorted.filter((r) => !r.passed).length,
    last: last
      ? {
          id: last.id,
          finishedAt: last.finishedAt,
          passed: last.passed,
          logicalMs: ms(last, 'logical'),
          pointInTimeMs: ms(last, 'point-in-time'),
        }
      : null,
    logicalMs: recent.map((r) => ms(r, 'logical')),
    pointInTimeMs: recent.map((r) => ms(r, 'point-in-time')),
  };
}
