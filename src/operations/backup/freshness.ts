/**
 * The missing-backup check: the newest complete backup must be younger than one threshold
 * (default 26 h: a daily backup plus slack) and the newest verified one younger than another
 * (default 8 days: a weekly verification plus slack). This is what catches a schedule that
 * silently stopped.
 */
import type { CatalogEntry } from '../catalog/catalog';
import type { PitrStatus } from '../pitr/window';

export interface FreshnessPolicy {
  maxBackupAgeHours: number;
  maxVerifiedAgeDays: number;
}

export interface FreshnessReport {
  database: string;
  newestBackup: { backupId: string; takenAt: string; ageHours: number } | null;
  newestVerified: { backupId: string; takenAt: string; ageDays: number } | null;
  /** One line per problem; empty when all is well. */
  problems: string[];
  /** For a server in WAL_ARCHIVE: its point-in-time archive (base backups, WAL continuity). */
  pitr?: PitrStatus;
  /** With STORAGE_BUDGET_USD: the estimated monthly cost of the database's part of the bucket. */
  storage?: { monthlyUsd: number; budgetUsd: number };
  /** The newest restore test, while the restore test schedule is on. */
  restoreTest?: { id: string; finishedAt: string; passed: boolean } | null;
  /** The newest drill, while the drill schedule is on. */
  drill?: { id: string; finishedAt: string; passed: boolean } | null;
}

const HOUR = 3_600_000;

export function checkFreshness(database: string, catalog: CatalogEntry[], policy: FreshnessPolicy, now: Date): FreshnessReport {
  const newest = catalog[0];
  const verified = catalog.find((e) => e.verification.status === 'passed');
  const age = (e: CatalogEntry) => (now.getTime() - new Date(e.takenAt).getTime()) / HOUR;
  const round = (n: number) => Math.round(n * 10) / 10;
  const problems: string[] = [];
  if (!newest)
    problems.push(
      `no complete backup of ${database} exists at all; check the backup schedule (pgwarden schedules list) and the worker`,
    );
  else if (age(newest) > policy.maxBackupAgeHours) {
    problems.push(
      `the newest complete backup of ${database} (${newest.backupId}) is ${round(age(newest))} h old, over the ${policy.maxBackupAgeHours} h limit, missing since ${new Date(new Date(newest.takenAt).getTime() + policy.maxBackupAgeHours * HOUR).toISOString()}; check the backup schedule and its recent runs`,
    );
  }
  if (!verified)
    problems.push(`no backup of ${database} has passed verification; run pgwarden verify and check the verification schedule`);
  else if (age(verified) / 24 > policy.maxVerifiedAgeDays) {
    problems.push(
      `the newest verified backup of ${database} (${verified.backupId}) is ${round(age(verified) / 24)} days old, over the ${policy.maxVerifiedAgeDays}-day limit; check the verification schedule and its recent runs`,
    );
  }
  return {
    database,
    newestBackup: newest ? { backupId: newest.backupId, takenAt: newest.takenAt, ageHours: round(age(newest)) } : null,
    newestVerified: verified
      ? { backupId: verified.backupId, takenAt: verified.takenAt, ageDays: round(age(verified) / 24) }
      : null,
    problems,
  };
}

/**
 * Whether a recurring exercise (the restore test, the drill) passed within `maxDays`: one line
 * when not, saying since when and what to run; null when all is well. A database backed up for
 * less than `maxDays` (`firstBackupAt`) is not yet due one.
 */
export function overdueProblem(o: {
  what: string;
  database: string;
  command: string;
  runs: Array<{ id: string; finishedAt: string; passed: boolean }>;
  maxDays: number;
  now: Date;
  firstBackupAt: string | null;
}): string | null {
  const newestFirst = [...o.runs].sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1));
  const passed = newestFirst.find((t) => t.passed);
  const ageDays = (at: string) => (o.now.getTime() - Date.parse(at)) / 86_400_000;
  if (passed && ageDays(passed.finishedAt) <= o.maxDays) return null;
  if (!passed && (o.firstBackupAt === null || ageDays(o.firstBackupAt) <= o.maxDays)) return null;
  const last = newestFirst[0];
  const lastSaid = last ? `; the last one (${last.id}, ${last.finishedAt}) ${last.passed ? 'passed' : 'FAILED'}` : '';
  return passed
    ? `no ${o.what} of ${o.database} has passed for ${Math.floor(ageDays(passed.finishedAt))} days (limit ${o.maxDays})${lastSaid}; check its schedule (pgwarden schedules list), or run ${o.command}`
    : `no ${o.what} of ${o.database} has ever passed${lastSaid}; run ${o.command} and check its schedule (pgwarden schedules list)`;
}
