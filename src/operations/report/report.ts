/**
 * The strategy's metrics for one database over a window of days: backup success rate, size
 * and duration trends, verification and recovery (restore) times, and storage used with its
 * estimated monthly cost per storage class. Pure: the activity gathers the facts from the
 * bucket, this turns them into figures.
 */
import { OBJECTIVES } from '../../infra/config/objectives';
import { medianOf } from '../verify/verification';
import type { PriceTable } from '../../infra/config/prices';
import { storageUsage, type StorageUsage } from './prices';

import type { RestoreTestSummary } from '../restore-test/restore-test';
import type { DrillSummary } from '../dr/evidence';
import type { PitrStatus } from '../pitr/window';

export interface BackupFact {
  backupId: string;
  finishedAt: string;
  storedBytes: number;
  rawBytes: number;
  durationMs: number;
}

export interface FailureFact {
  backupId: string;
  failedAt: string;
  errorType: string;
  message: string;
}

export interface VerificationFact {
  backupId: string;
  status: 'passed' | 'failed';
  finishedAt: string;
  restoreMs: number | null;
}

export interface RestoreFact {
  backupId: string;
  status: 'succeeded' | 'failed';
  finishedAt: string;
  recoveryMs: number;
  restoreMs: number | null;
}

export interface StoredObjectFact {
  key: string;
  size: number;
  storageClass?: string;
}

export interface ReportFacts {
  database: string;
  now: Date;
  days: number;
  backups: BackupFact[];
  failures: FailureFact[];
  verifications: VerificationFact[];
  restores: RestoreFact[];
  objects: StoredObjectFact[];
  prices: PriceTable;
}

export interface DatabaseReport {
  database: string;
  days: number;
  from: string;
  to: string;
  backups: {
    succeeded: number;
    failed: number;
    /** Percent of finished backup runs that produced a complete backup; null with no runs. */
    successRate: number | null;
    lastSuccessAt: string | null;
    lastFailure: { at: string; backupId: string; errorType: string; message: string } | null;
  };
  size: {
    latestBytes: number | null;
    minBytes: number | null;
    maxBytes: number | null;
    changePercent: number | null;
    perDay: Array<number | null>;
  };
  duration: { latestMs: number | null; medianMs: number | null; maxMs: number | null; perDay: Array<number | null> };
  verification: { passed: number; failed: number; testRestoreMedianMs: number | null; testRestoreLastMs: number | null };
  restores: {
    succeeded: number;
    failed: number;
    lastRecoveryMs: number | null;
    medianRecoveryMs: number | null;
    medianRestoreMs: number | null;
    withinRto: number;
  };
  storage: StorageUsage;
  /** A server in WAL_ARCHIVE: its recoverable window and any problem with it. */
  pitr?: PitrStatus;
  /** The monthly restore tests, all those stored (they are monthly: a week's window would miss them). */
  restoreTests?: RestoreTestSummary;
  /** The disaster recovery drills (incidents of severity DRILL), all those stored. */
  drills?: DrillSummary;
}

const DAY = 86_400_000;

const dayIndex = (at: string, from: number) => Math.floor((Date.parse(at) - from) / DAY);

/** The value of the last event of each day of the window (null: nothing that day). */
function perDay<T extends { at: string }>(
  events: T[],
  from: number,
  days: number,
  value: (e: T) => number,
): Array<number | null> {
  const out: Array<number | null> = new Array(days).fill(null);
  for (const e of [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const i = dayIndex(e.at, from);
    if (i >= 0 && i < days) out[i] = value(e);
  }
  return out;
}

const nullableMedian = (xs: number[]) => (xs.length ? medianOf(xs) : null);

export function buildReport(f: ReportFacts): DatabaseReport {
  const to = f.now.getTime();
  // Whole UTC days, today included, so a column of the trend is a calendar day.
  const from = Date.UTC(f.now.getUTCFullYear(), f.now.getUTCMonth(), f.now.getUTCDate()) - (f.days - 1) * DAY;
  const inWindow = (at: string) => Date.parse(at) >= from && Date.parse(at) <= to;

  const backups = f.backups
    .filter((b) => inWindow(b.finishedAt))
    .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
  const failures = f.failures.filter((x) => inWindow(x.failedAt)).sort((a, b) => Date.parse(a.failedAt) - Date.parse(b.failedAt));
  const verifications = f.verifications
    .filter((v) => inWindow(v.finishedAt))
    .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
  const restores = f.restores
    .filter((r) => inWindow(r.finishedAt))
    .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));

  const runs = backups.length + failures.length;
  const sizes = backups.map((b) => b.storedBytes);
  const durations = backups.map((b) => b.durationMs);
  const first = backups[0];
  const last = backups[backups.length - 1];
  const lastFailure = failures[failures.length - 1];
  const events = backups.map((b) => ({ ...b, at: b.finishedAt }));
  const testRestores = verifications.map((v) => v.restoreMs).filter((ms): ms is number => ms !== null);
  const okRestores = restores.filter((r) => r.status === 'succeeded');

  return {
    database: f.database,
    days: f.days,
    from: new Date(from).toISOString(),
    to: f.now.toISOString(),
    backups: {
      succeeded: backups.length,
      failed: failures.length,
      successRate: runs === 0 ? null : Math.round((backups.length / runs) * 1000) / 10,
      lastSuccessAt: last?.finishedAt ?? null,
      lastFailure: lastFailure
        ? {
            at: lastFailure.failedAt,
            backupId: lastFailure.backupId,
            errorType: lastFailure.errorType,
            message: lastFailure.message,
          }
        : null,
    },
    size: {
      latestBytes: last?.storedBytes ?? null,
      minBytes: sizes.length ? Math.min(...sizes) : null,
      maxBytes: sizes.length ? Math.max(...sizes) : null,
      changePercent:
        first && last && first.storedBytes > 0 && first !== last
          ? Math.round(((last.storedBytes - first.storedBytes) / first.storedBytes) * 1000) / 10
          : null,
      perDay: perDay(events, from, f.days, (b) => b.storedBytes),
    },
    duration: {
      latestMs: last?.durationMs ?? null,
      medianMs: nullableMedian(durations),
      maxMs: durations.length ? Math.max(...durations) : null,
      perDay: perDay(events, from, f.days, (b) => b.durationMs),
    },
    verification: {
      passed: verifications.filter((v) => v.status === 'passed').length,
      failed: verifications.filter((v) => v.status === 'failed').length,
      testRestoreMedianMs: nullableMedian(testRestores),
      testRestoreLastMs: testRestores.length ? testRestores[testRestores.length - 1] : null,
    },
    restores: {
      succeeded: okRestores.length,
      failed: restores.length - okRestores.length,
      lastRecoveryMs: okRestores.length ? okRestores[okRestores.length - 1].recoveryMs : null,
      medianRecoveryMs: nullableMedian(okRestores.map((r) => r.recoveryMs)),
      medianRestoreMs: nullableMedian(okRestores.map((r) => r.restoreMs).filter((ms): ms is number => ms !== null)),
      withinRto: okRestores.filter((r) => r.recoveryMs <= OBJECTIVES.restore.maxMs).length,
    },
    storage: storageUsage(f.objects, f.prices),
  };
}
