/**
 * Which backups cleanup keeps and which it deletes, and why. Pure: the same inputs always give
 * the same decisions, so `--dry-run` shows exactly what a real run does.
 *
 * Always kept, whatever their age: the newest `keepLast` complete backups and the newest
 * verified one. Then either age retention (younger than `retentionDays`) or, when configured,
 * a grandfather-father-son set: the newest backup of each of the last D days, W ISO weeks and
 * M months. A backup under S3 Object Lock that would go is kept until the lock ends.
 */

export interface RetentionPolicy {
  retentionDays: number;
  keepLast: number;
  gfs?: { daily: number; weekly: number; monthly: number };
}

export interface RetentionCandidate {
  backupId: string;
  takenAt: Date;
  verified: boolean;
  lockedUntil: Date | null;
}

export interface RetentionDecision {
  backupId: string;
  action: 'keep' | 'delete' | 'locked';
  reasons: string[];
  lockedUntil?: string;
}

const DAY = 86_400_000;

const dayKey = (d: Date) => d.toISOString().slice(0, 10);
const monthKey = (d: Date) => d.toISOString().slice(0, 7);
/** ISO 8601 week, e.g. 2024-W01 (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / DAY + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** The newest backup of each of the `count` most recent periods that have a backup. */
function newestPerPeriod(newestFirst: RetentionCandidate[], key: (d: Date) => string, count: number): Set<string> {
  const kept = new Set<string>();
  const seen = new Set<string>();
  for (const b of newestFirst) {
    const k = key(b.takenAt);
    if (seen.has(k)) continue;
    if (seen.size >= count) break;
    seen.add(k);
    kept.add(b.backupId);
  }
  return kept;
}

export function decideRetention(candidates: RetentionCandidate[], policy: RetentionPolicy, now: Date): RetentionDecision[] {
  const newestFirst = [...candidates].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
  const reasons = new Map<string, string[]>(newestFirst.map((b) => [b.backupId, []]));
  const add = (id: string, why: string) => reasons.get(id)!.push(why);

  newestFirst.slice(0, policy.keepLast).forEach((b, i) => add(b.backupId, `one of the newest ${policy.keepLast} (#${i + 1})`));
  const newestVerified = newestFirst.find((b) => b.verified);
  if (newestVerified) add(newestVerified.backupId, 'the newest verified backup');

  if (policy.gfs) {
    const { daily, weekly, monthly } = policy.gfs;
    for (const id of newestPerPeriod(newestFirst, dayKey, daily)) add(id, `daily (last ${daily} days with a backup)`);
    for (const id of newestPerPeriod(newestFirst, isoWeekKey, weekly)) add(id, `weekly (last ${weekly} weeks)`);
    for (const id of newestPerPeriod(newestFirst, monthKey, monthly)) add(id, `monthly (last ${monthly} months)`);
  } else {
    for (const b of newestFirst) {
      const ageDays = (now.getTime() - b.takenAt.getTime()) / DAY;
      if (ageDays < policy.retentionDays) add(b.backupId, `younger than ${policy.retentionDays} days`);
    }
  }

  return newestFirst.map((b) => {
    const why = reasons.get(b.backupId)!;
    if (why.length) return { backupId: b.backupId, action: 'keep', reasons: why };
    const expired = policy.gfs ? 'outside the daily/weekly/monthly set' : `older than ${policy.retentionDays} days`;
    if (b.lockedUntil && b.lockedUntil > now) {
      return {
        backupId: b.backupId,
        action: 'locked',
        reasons: [expired, `S3 Object Lock until ${b.lockedUntil.toISOString()}`],
        lockedUntil: b.lockedUntil.toISOString(),
      };
    }
    return { backupId: b.backupId, action: 'delete', reasons: [expired] };
  });
}

/** A running workflow that may read any backup of the database: a restore, an incident, a drill. */
export interface BackupReader {
  operation: string;
  workflowId: string;
}

/** How a reason given by holdWhileRead starts: the notice finds held backups by it. */
export const HELD = 'held: ';

/**
 * While readers run, nothing is deleted: a restore (or the incident behind it) may have chosen
 * an old backup, and deleting it would fail the restore and lose the backup it needed. What the
 * policy would delete is kept, saying why; the first cleanup after they end deletes it.
 */
export function holdWhileRead(decisions: RetentionDecision[], readers: BackupReader[]): RetentionDecision[] {
  if (!readers.length) return decisions;
  const [first] = readers;
  const others = readers.length > 1 ? ` and ${readers.length - 1} other run(s)` : '';
  const why = `${HELD}${first.operation} ${first.workflowId}${others} may read it; the first cleanup after they end deletes it`;
  return decisions.map((d) => (d.action === 'delete' ? { ...d, action: 'keep', reasons: [why] } : d));
}
