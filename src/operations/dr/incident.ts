/**
 * An incident as the DisasterRecoveryWorkflow keeps it: the strategy's six recovery steps,
 * what was found and decided at each, the escalation reached, and an append-only timeline of
 * who did what when. This is what the `incidentState` query returns.
 */
import { closingAudience, type EscalationLevel, type EscalationMatrix, type Told } from './escalation';
import type { RecoveryTarget } from '../pitr/target';

export const STEPS = ['identify', 'assess', 'select', 'restore', 'verify', 'resume'] as const;
export type Step = (typeof STEPS)[number];

export const STEP_TITLES: Record<Step, string> = {
  identify: '1. Identify failure',
  assess: '2. Assess impact',
  select: '3. Select backup',
  restore: '4. Execute restore',
  verify: '5. Verify recovery',
  resume: '6. Resume operations',
};

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3'] as const;
/** DRILL: an incident opened to practise the runbook (the strategy's quarterly drill); nothing failed. */
export type Severity = (typeof SEVERITIES)[number] | 'DRILL';

/** `failed`: the incident could not open (bad input, unknown database or matrix); people were told why. */
export type IncidentStatus = 'open' | 'resolved' | 'aborted' | 'failed';
/** running: pgwarden is working; waiting: for a person; failed: for a retry, skip or abort. */
export type StepStatus = 'running' | 'waiting' | 'failed' | 'done';

/** What on-call types into the Temporal UI's start form; everything but the summary has a default. */
export interface DisasterRecoveryInput {
  summary: string;
  /** Configured database id; default: the only one configured. */
  database?: string;
  /** When the failure happened (ISO 8601); default: when the incident opened. The backup proposed is older. */
  failureTime?: string;
  severity?: Severity;
  /** Escalation matrix name; default: "default". */
  matrix?: string;
  /** Who opened the incident. */
  openedBy?: string;
  /**
   * A drill (severity DRILL): refused while a real incident of the database is open; notices
   * say so and go to level 1 only (unless DR_DRILL_ESCALATE); restores go only into new places.
   */
  drill?: boolean;
  /** A drill that waits for on-call at each human step, as a real incident does (default: pgwarden takes them). */
  attended?: boolean;
  /**
   * A drill's scenario: `server-lost` is the strategy's annual "complete recovery scenario": the
   * whole server recovered from its WAL archive (to the end of it) into a new instance, not one
   * database from its nightly backup.
   */
  scenario?: 'server-lost';
}

/**
 * How to reach a person directly, known from how they acted: the address a mail link was sent
 * to, the Slack user who clicked. Never typed into a form: the console sets it.
 */
export interface Reach {
  email?: string;
  /** A Slack user id (U0123ABC): a notice in the thread mentions them. */
  slack?: string;
}
/** Someone asked to help during an incident. */
export interface Responder {
  who: string;
  by: string;
  at: string;
  reason: string;
}

/**
 * Who hears that an incident closed: the team its matrix alerted (closingAudience), and those
 * asked to help; customers apart. Nobody before it opened.
 */
export function closingAudienceOf(s: Pick<IncidentState, 'matrix' | 'escalation'>): {
  team: string[];
  customers: string[] | null;
} {
  if (!s.matrix) return { team: [], customers: null };
  const { team, customers } = closingAudience(s.matrix, new Set(s.escalation.sent), Boolean(s.escalation.backupAlertedAt));
  return { team: [...new Set([...team, ...(s.escalation.responders ?? []).map((r) => r.who)])], customers };
}

/** Who a status update reaches in an incident as it stands: everyone alerted so far, and the responders. */
export function updateAudienceOf(s: Pick<IncidentState, 'matrix' | 'escalation'>): string[] {
  const { team, customers } = closingAudienceOf(s);
  return [...new Set([...team, ...(customers ?? [])])];
}

/** Who leads the recovery: whoever took it over last (dr ack --take-over), else whoever acknowledged. */
export function leaderOf(e: IncidentState['escalation']): string | null {
  return e.lead?.by ?? e.acknowledgedBy;
}

export interface TimelineEntry {
  at: string;
  step: Step | 'incident' | 'escalation';
  by: string;
  what: string;
}

export interface Findings {
  databaseReachable: boolean;
  databaseDetail: string;
  newestBackup: { backupId: string; takenAt: string; ageHours: number } | null;
  newestVerified: { backupId: string; takenAt: string; ageHours: number } | null;
}

export interface Assessment {
  by: string;
  dataLossScope: string;
  customerImpact: boolean;
  notes?: string;
}

export interface BackupProposal {
  backupId: string;
  takenAt: string;
  verified: boolean;
  storageClass: string;
  /** null when instantly readable; otherwise how long an archive retrieval takes. */
  retrieval: string | null;
  why: string;
}

/**
 * The point just before the failure, when the server's WAL archive covers it: the whole server
 * into a new instance, or chosen tables back into the live database.
 */
export interface PointInTimeProposal {
  /** A time one second before the failure, or the end of the archive when that is older. */
  target: RecoveryTarget;
  baseBackupId: string;
  /** The task queue of the worker on the server's host, where the recovery runs. */
  hostQueue?: string;
  /** About how much is lost (seconds before the failure); the recovered point says exactly, afterwards. */
  lossSeconds: number;
  why: string;
  /** Restore points recorded (pitr mark) before the failure that a restore can reach, newest first: candidates to name. */
  restorePoints?: Array<{ name: string; createdAt: string }>;
}

/** How the database comes back (a selection recorded before point-in-time recovery has no kind: a backup). */
export type RecoveryKind = 'backup' | 'point-in-time' | 'tables';

export interface Selection {
  by: string;
  /** The logical backup restored; for a point-in-time recovery, the base backup it starts from. */
  backupId: string;
  /** Restore into this new database instead of in place. */
  newDatabase?: string;
  kind?: RecoveryKind;
  /** The point recovered to (point-in-time and tables). */
  target?: RecoveryTarget;
  /** The tables recovered, as schema.table (kind tables). */
  tables?: string[];
  /** Tables swap into the live ones' place after an approval, instead of landing beside them. */
  replace?: boolean;
  hostQueue?: string;
}

export interface RecoveryCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RecoveryFigures {
  /** Restore request to a usable database, against the strategy's 2-4 h. */
  restoreMs: number | null;
  restoreWithinRto: boolean | null;
  /** Incident opened to operations resumed, against the strategy's 4-6 h. */
  fullServiceMs: number;
  fullServiceWithinRto: boolean;
  /** Failure time minus the restored backup's snapshot, against the strategy's 24 h RPO. */
  dataLossHours: number | null;
  /** The same in seconds, to a tenth: a point-in-time recovery loses seconds, not hours. */
  dataLossSeconds?: number | null;
  withinRpo: boolean | null;
}

export interface IncidentState {
  incidentId: string;
  summary: string;
  database: string;
  severity: Severity;
  status: IncidentStatus;
  step: Step;
  stepStatus: StepStatus;
  /** What the incident waits for, and the command that gives it. */
  waitingFor: string | null;
  openedAt: string;
  openedBy: string;
  failureTime: string;
  closedAt: string | null;
  matrix: EscalationMatrix | null;
  escalation: {
    /** Highest level notified so far. */
    level: number;
    sent: EscalationLevel[];
    /** Each level told, when and why, in order. */
    told: Told[];
    /** When those above level 1 last had news (the manager's notice, a status update, a reminder to post one). */
    newsAt: string | null;
    level1Sends: number;
    acknowledgedBy: string | null;
    acknowledgedAt: string | null;
    /** Who leads the recovery since a handover (`dr ack --take-over`); absent: whoever acknowledged. */
    lead?: { by: string; since: string; from: string } | null;
    /** How to reach whoever leads, when known from how they acknowledged (a mail link, a Slack click). */
    leadReach?: Reach | null;
    next: { level: number; at: string } | null;
    /** A drill that alerts level 1 only (DR_DRILL_ESCALATE off): no level above it, by timer or by hand. */
    levelOneOnly?: boolean;
    /** When the backup on call (the matrix's onCallBackup) was alerted, level 1 not having acknowledged; absent: not alerted. */
    backupAlertedAt?: string | null;
    /** People asked to help (dr add-responder), by whom, when and why; from then they hear what everyone alerted hears. */
    responders?: Responder[];
  };
  findings: Findings | null;
  assessment: Assessment | null;
  proposal: BackupProposal | null;
  /** The point just before the failure, when the WAL archive covers it (absent in incidents recorded before). */
  pointInTime?: PointInTimeProposal | null;
  selection: Selection | null;
  restore: {
    workflowId: string;
    status: 'running' | 'succeeded' | 'failed';
    /** A database name; for a point-in-time recovery the new instance's connection string (no password). */
    restoredInto: string | null;
    detail: string;
    /** A point-in-time recovery's last replayed commit and the port of its instance. */
    recoveredTo?: { commitTime: string | null; lsn: string } | null;
    port?: number | null;
  } | null;
  checks: RecoveryCheck[] | null;
  recovery: RecoveryFigures | null;
  skipped: Step[];
  timeline: TimelineEntry[];
  /** Where the evidence report of a closed incident is stored (JSON and markdown). */
  evidence?: { json: string; markdown: string } | null;
  /** A drill: whether people take the human steps, and the database it restored into (dropped at the close). */
  drill?: { attended: boolean; database: string | null; scenario?: 'server-lost' } | null;
  /** The last Signal refused by its validator (an Update's refusal goes back to its sender instead). */
  lastRefused?: { at: string; by: string; action: string; reason: string } | null;
}
