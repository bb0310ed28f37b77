/**
 * The shift in review, told with each handover: what this deployment's runs did while the
 * shift going off was on call (backups stored, runs that failed and whether a later run of the
 * same work and database succeeded, incidents that closed), so whoever comes on call knows
 * what they inherit beyond the incidents still open. Built from Temporal's visibility (the
 * activity lists the runs closed since the shift began); pure here.
 */
import { WorkflowType } from '../../infra/temporal/definitions';
import { minuteUtc } from './details';

/** A run that closed during the shift, as visibility lists it. */
export interface ClosedRun {
  /** Its workflow type (WorkflowType's values). */
  type: string;
  workflowId: string;
  database: string | null;
  outcome: 'completed' | 'failed' | 'terminated' | 'timed out' | 'cancelled';
  closedAt: string;
  /** An incident's severity and how it closed (resolved, aborted), from its search attributes. */
  incident?: { severity: string; status: string };
}

/** One kind of work of one database that failed during the shift. */
export interface FailedWork {
  work: string;
  database: string | null;
  times: number;
  /** The last failed run. */
  lastId: string;
  lastAt: string;
  /** A later run of the same work and database succeeded. */
  succeededSince: boolean;
}

export interface ShiftReview {
  since: string;
  /** Set when the listing stopped before `since` (MOST_RUNS_READ): the oldest close time read, from which the review is whole. */
  readBackTo?: string;
  backupsStored: number;
  failed: FailedWork[];
  /** Incidents that closed during the shift (those still open are listed as open). */
  incidents: Array<{ id: string; severity: string; database: string | null; status: string }>;
}

/** The most failure lines a notice lists; the rest are counted. */
export const MOST_FAILURES_LISTED = 8;

/** Runs that are pgwarden asking itself something (a list, a check from the CLI): their failures are the caller's. */
const ASKING: ReadonlySet<string> = new Set([
  WorkflowType.preflight,
  WorkflowType.listBackups,
  WorkflowType.recoveryOptions,
  WorkflowType.pitrList,
  WorkflowType.report,
]);

/** A workflow type in the CLI's words: BackupWorkflow is "backup", RestoreTestWorkflow "restore test". */
export function workWords(type: string): string {
  const key = Object.entries(WorkflowType).find(([, value]) => value === type)?.[0];
  const words: Record<string, string> = {
    check: 'daily check',
    disasterRecovery: 'incident',
    walArchive: 'WAL archiving',
    baseBackup: 'base backup',
    pitrRestore: 'point-in-time restore',
    pitrStop: 'point-in-time stop',
    restorePoint: 'restore point',
    recoverTable: 'table recovery',
    restoreTest: 'restore test',
    onCallRoster: 'on-call roster',
  };
  return key ? (words[key] ?? key) : type;
}

/**
 * What the runs closed since `since` say of the shift, in any order. `complete` false: the
 * listing stopped early, so the review is whole only back to the oldest run read. Pure.
 */
export function reviewShift(runs: ClosedRun[], since: string, complete = true): ShiftReview {
  const inShift = runs
    .filter((r) => r.closedAt >= since && !ASKING.has(r.type))
    .sort((a, b) => a.closedAt.localeCompare(b.closedAt));
  const failed = new Map<string, FailedWork>();
  const incidents: ShiftReview['incidents'] = [];
  let backupsStored = 0;
  for (const run of inShift) {
    if (run.type === WorkflowType.disasterRecovery && run.outcome === 'completed') {
      incidents.push({
        id: run.workflowId,
        severity: run.incident?.severity ?? '?',
        database: run.database,
        status: run.incident?.status ?? 'closed',
      });
      continue;
    }
    const key = `${run.type} ${run.database ?? ''}`;
    if (run.outcome === 'completed') {
      if (run.type === WorkflowType.backup) backupsStored++;
      const before = failed.get(key);
      if (before) before.succeededSince = true;
      continue;
    }
    // A cancelled run was someone's choice, not a failure to hand over.
    if (run.outcome === 'cancelled') continue;
    const before = failed.get(key);
    failed.set(key, {
      work: workWords(run.type),
      database: run.database,
      times: (before?.times ?? 0) + 1,
      lastId: run.workflowId,
      lastAt: run.closedAt,
      succeededSince: false,
    });
  }
  const oldestRead = runs.reduce<string | undefined>(
    (oldest, r) => (!oldest || r.closedAt < oldest ? r.closedAt : oldest),
    undefined,
  );
  const readBackTo = complete ? undefined : oldestRead;
  return { since, ...(readBackTo ? { readBackTo } : {}), backupsStored, failed: [...failed.values()], incidents };
}

/**
 * The review as a handover notice's facts: one line of totals (labelled `heading`), then each
 * failure and closed incident. Pure.
 */
export function reviewFacts(review: ShiftReview, heading = 'Last shift'): Array<[string, string]> {
  const runs = review.failed.reduce((n, f) => n + f.times, 0);
  const totals = [
    `${review.backupsStored} backup${review.backupsStored === 1 ? '' : 's'} stored`,
    runs ? `${runs} run${runs === 1 ? '' : 's'} failed` : 'no run failed',
    ...(review.incidents.length ? [`${review.incidents.length} incident${review.incidents.length === 1 ? '' : 's'} closed`] : []),
  ];
  // A listing cut short still tells what it read, and says from when it is whole.
  const whole = review.readBackTo ? ` (only the newest runs were read, back to ${minuteUtc(review.readBackTo)})` : '';
  const facts: Array<[string, string]> = [[heading, `since ${minuteUtc(review.since)}: ${totals.join(', ')}${whole}`]];
  const listed = review.failed.slice(0, MOST_FAILURES_LISTED);
  for (const f of listed)
    facts.push([
      'Failed',
      `${f.work}${f.database ? ` of ${f.database}` : ''}${f.times > 1 ? ` ${f.times}x` : ''}, the last ${minuteUtc(f.lastAt)} (${f.lastId}): ${
        f.succeededSince ? 'a later run succeeded' : 'no run has succeeded since'
      }`,
    ]);
  if (review.failed.length > listed.length)
    facts.push(['Failed', `and ${review.failed.length - listed.length} more kinds of work: pgwarden report`]);
  for (const i of review.incidents)
    facts.push(['Closed incident', `${i.id} (${i.severity}${i.database ? `, ${i.database}` : ''}): ${i.status}`]);
  return facts;
}
