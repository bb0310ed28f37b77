/**
 * Verification of a backup: the findings of each check, the record stored beside the backup
 * (`<prefix>/<db>/verifications/<backupId>.json`), and the pure comparisons behind them.
 */
import type { TableCount } from '../backup/manifest';

export const VERIFICATION_KIND = 'pgwarden.verification';

export interface TableDifference {
  schema: string;
  table: string;
  expected: number | null;
  actual: number | null;
}

export interface SizeCheck {
  ok: boolean;
  storedBytes: number;
  /** Median stored size of the previous backups compared against, null when there were none. */
  medianOfPrevious: number | null;
  changePercent: number | null;
  previousCount: number;
  thresholdPercent: number;
}

export interface VerificationRecord {
  kind: typeof VERIFICATION_KIND;
  formatVersion: 1;
  database: string;
  backupId: string;
  status: 'passed' | 'failed';
  /** One line per failed check; empty when passed. */
  failures: string[];
  /** Warnings do not fail a verification (the size check). */
  warnings: string[];
  checks: {
    checksums: { ok: boolean; detail: string };
    decryption: { ok: boolean; detail: string };
    restore: { ok: boolean; detail: string; restoreMs: number | null };
    rowCounts: { ok: boolean; tables: number; differences: TableDifference[] };
    size: SizeCheck;
  };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  workflow: { id: string; runId: string };
  /** Row counts found by the test restore of an old script's backup: the first counts known of it. */
  counts?: TableCount[];
}

/** Tables whose restored count differs from the manifest, including tables missing on either side. */
export function compareRowCounts(expected: TableCount[], actual: TableCount[]): TableDifference[] {
  const key = (t: { schema: string; table: string }) => `${t.schema}\u0000${t.table}`;
  const got = new Map(actual.map((t) => [key(t), t.rows]));
  const want = new Map(expected.map((t) => [key(t), t.rows]));
  const diffs: TableDifference[] = [];
  for (const t of expected) {
    const a = got.get(key(t));
    if (a !== t.rows) diffs.push({ schema: t.schema, table: t.table, expected: t.rows, actual: a ?? null });
  }
  for (const t of actual) if (!want.has(key(t))) diffs.push({ schema: t.schema, table: t.table, expected: null, actual: t.rows });
  return diffs;
}

export function describeDifference(d: TableDifference): string {
  const name = `${d.schema}.${d.table}`;
  if (d.actual === null) return `${name}: in the manifest (${d.expected} rows) but missing after restore`;
  if (d.expected === null) return `${name}: restored (${d.actual} rows) but not in the manifest`;
  return `${name}: manifest ${d.expected} rows, restored ${d.actual}`;
}

/** The middle value (mean of the middle two for an even count) of a non-empty list. */
export function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The backup's size against the median of earlier ones; a jump or drop past the threshold warns. */
export function checkSize(storedBytes: number, previous: number[], thresholdPercent: number): SizeCheck {
  if (previous.length === 0)
    return { ok: true, storedBytes, medianOfPrevious: null, changePercent: null, previousCount: 0, thresholdPercent };
  const median = medianOf(previous);
  const changePercent = median === 0 ? (storedBytes === 0 ? 0 : 100) : ((storedBytes - median) / median) * 100;
  return {
    ok: Math.abs(changePercent) <= thresholdPercent,
    storedBytes,
    medianOfPrevious: median,
    changePercent: Math.round(changePercent * 10) / 10,
    previousCount: previous.length,
    thresholdPercent,
  };
}

export interface IntegrityFindings {
  checksums: { ok: boolean; detail: string };
  decryption: { ok: boolean; detail: string };
}

export interface RestoreFindings {
  restore: { ok: boolean; detail: string; restoreMs: number | null };
  rowCounts: { ok: boolean; tables: number; differences: TableDifference[] };
  /** Counted in the test restore of a backup without a manifest (an old script's). */
  counts?: TableCount[];
}

/** Assembles the stored record from the checks' findings; the status is failed if any check failed. */
export function buildVerificationRecord(input: {
  database: string;
  backupId: string;
  integrity: IntegrityFindings;
  restore: RestoreFindings | undefined;
  size: SizeCheck;
  startedAt: Date;
  finishedAt: Date;
  workflow: { id: string; runId: string };
}): VerificationRecord {
  const skipped: RestoreFindings = {
    restore: { ok: false, detail: 'not attempted: the stored object failed its integrity checks', restoreMs: null },
    rowCounts: { ok: false, tables: 0, differences: [] },
  };
  const intact = input.integrity.checksums.ok && input.integrity.decryption.ok;
  // A restore that ran into the damage the integrity checks name says so, not its own symptom.
  const stopped: RestoreFindings | undefined =
    input.restore && !input.restore.restore.ok && !intact
      ? {
          ...input.restore,
          restore: { ...input.restore.restore, detail: 'stopped: the stored object failed its integrity checks' },
        }
      : undefined;
  const restore = stopped ?? input.restore ?? skipped;
  const failures: string[] = [];
  if (!input.integrity.checksums.ok) failures.push(`checksums: ${input.integrity.checksums.detail}`);
  if (!input.integrity.decryption.ok) failures.push(`decryption: ${input.integrity.decryption.detail}`);
  if (!restore.restore.ok) failures.push(`test restore: ${restore.restore.detail}`);
  else if (!restore.rowCounts.ok)
    failures.push(
      `row counts differ in ${restore.rowCounts.differences.length} table(s): ${restore.rowCounts.differences.map(describeDifference).join('; ')}`,
    );
  const warnings: string[] = [];
  const s = input.size;
  if (!s.ok) {
    warnings.push(
      `size: ${s.storedBytes} bytes is ${s.changePercent! > 0 ? '+' : ''}${s.changePercent}% against the median ${s.medianOfPrevious} of the previous ${s.previousCount} backups (threshold ${s.thresholdPercent}%)`,
    );
  }
  return {
    kind: VERIFICATION_KIND,
    formatVersion: 1,
    database: input.database,
    backupId: input.backupId,
    status: failures.length ? 'failed' : 'passed',
    failures,
    warnings,
    checks: {
      checksums: input.integrity.checksums,
      decryption: input.integrity.decryption,
      restore: restore.restore,
      rowCounts: restore.rowCounts,
      size: input.size,
    },
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
    workflow: input.workflow,
    ...(restore.counts ? { counts: restore.counts } : {}),
  };
}
