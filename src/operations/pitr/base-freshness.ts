/**
 * The daily check's view of a server's base backups. Recovery replays every WAL segment since
 * the base backup it starts from, so an old one makes a slow restore (the RTO); and base backups
 * nobody has recovered lately may not recover at all.
 */
import { overdueProblem } from '../backup/freshness';
import { byFinish } from './base-backup';
import type { BaseVerificationSummary } from './window';

const DAY = 86_400_000;

export function baseBackupFreshnessProblems(o: {
  server: string;
  bases: Array<{ backupId: string; finishedAt: string }>;
  /** The latest verification of each base backup that has one, by id. */
  verifications: ReadonlyMap<string, BaseVerificationSummary>;
  maxAgeDays: number;
  maxVerifiedAgeDays: number;
  now: Date;
}): string[] {
  // No base backup at all is the archive check's problem already.
  if (!o.bases.length) return [];
  const byAge = byFinish(o.bases);
  const newest = byAge.at(-1)!;
  const problems: string[] = [];
  const ageDays = (o.now.getTime() - Date.parse(newest.finishedAt)) / DAY;
  if (ageDays > o.maxAgeDays)
    problems.push(
      `the newest base backup of ${o.server} (${newest.backupId}) is ${Math.floor(ageDays)} days old, over the ${o.maxAgeDays}-day limit (BASEBACKUP_MAX_AGE_DAYS), so a point-in-time restore replays all WAL since then; check the base backup schedule (pgwarden schedules list), or run pgwarden basebackup --server ${o.server}`,
    );
  const verified = overdueProblem({
    what: 'base backup verification',
    database: o.server,
    command: `pgwarden verify --database ${o.server}`,
    runs: [...o.verifications].map(([id, v]) => ({ id, finishedAt: v.verifiedAt, passed: v.status === 'passed' })),
    maxDays: o.maxVerifiedAgeDays,
    now: o.now,
    firstBackupAt: byAge[0].finishedAt,
  });
  if (verified) problems.push(verified);
  return problems;
}
