/**
 * What each escalation level and the incident's end tell people, written for each reader:
 * on-call (act now), the manager and the executive (informed: where it stands and when it
 * should be over), support (what customers see and what to tell them). Pure, so wording is
 * testable.
 */
import { factIf, type Notice } from '../../infra/notify/notice';
import { OBJECTIVES } from '../../infra/config/objectives';
import { type IncidentStatus, IncidentState, leaderOf, type Reach, STEP_TITLES } from './incident';
import { alertedWords, minuteUtc, respondersWords } from './details';

export type IncidentNoticeKind =
  | 'level1'
  | 'level1-reminder'
  /** Level 1 did not acknowledge in time: the backup on call is alerted. */
  | 'backup-oncall'
  /** Someone asked to help: to them. */
  | 'responder'
  | 'acknowledged'
  | 'level2'
  | 'level3'
  | 'level4'
  | 'customer-closing'
  | 'resolved'
  | 'aborted'
  | 'not-opened'
  | 'update'
  | 'handover'
  | 'update-due'
  /** Not sent: the incident's first Slack message, edited in place to say where it stands. */
  | 'live';

/** The part of the incident a notice needs; no secrets, small enough for every activity call. */
export interface IncidentBrief {
  incidentId: string;
  database: string;
  severity: string;
  summary: string;
  step: string;
  openedAt: string;
  failureTime: string;
  acknowledgedBy: string | null;
  reminder?: number;
  outcome?: string;
  /** Absent in briefs recorded before notices named them. */
  openedBy?: string;
  waitingFor?: string | null;
  assessment?: { dataLossScope: string; customerImpact: boolean; by: string } | null;
  /** "succeeded: restored backup_... in place". */
  restore?: string | null;
  /** Who confirmed that operations resumed, and their note. */
  resumed?: string | null;
  /** A status update: who sent it, and its text. */
  update?: { by: string; text: string };
  /** A handover of the lead. */
  handover?: { from: string; to: string };
  /** A reminder to post a status update: minutes without one, and who hears it when posted. */
  updateDue?: { minutes: number; audience: string[] };
  /** A level alerted by hand before its timer: who asked for it, and why. */
  escalated?: { by: string; reason: string };
  /** The backup on call alerted: who, who was on call, and after how long without an acknowledgement. */
  backup?: { who: string; onCall: string; minutes: number };
  /** Someone asked to help: who, by whom, and why. */
  responder?: { who: string; by: string; reason: string };
  /** How to reach whoever leads (absent in briefs recorded before): Slack mentions them. */
  leadReach?: Reach | null;
  /** Open or how it closed, and the levels alerted so far (absent in briefs recorded before). */
  status?: IncidentStatus;
  alerted?: string;
  /** Those asked to help, as listed (absent when nobody was, and in briefs recorded before). */
  helping?: string;
}

export function briefOf(state: IncidentState, extra: Partial<IncidentBrief> = {}): IncidentBrief {
  const resumed = [...state.timeline].reverse().find((t) => t.step === 'resume' && t.by !== 'pgwarden');
  return {
    incidentId: state.incidentId,
    database: state.database,
    severity: state.severity,
    summary: state.summary,
    step: STEP_TITLES[state.step],
    openedAt: state.openedAt,
    failureTime: state.failureTime,
    // Who leads now: notices say "<name> leads the recovery".
    acknowledgedBy: leaderOf(state.escalation),
    leadReach: state.escalation.leadReach ?? null,
    openedBy: state.openedBy,
    waitingFor: state.waitingFor,
    assessment: state.assessment
      ? {
          dataLossScope: state.assessment.dataLossScope,
          customerImpact: state.assessment.customerImpact,
          by: state.assessment.by,
        }
      : null,
    restore: state.restore ? `${state.restore.status}: ${state.restore.detail}` : null,
    status: state.status,
    alerted: alertedWords(state),
    ...(respondersWords(state) ? { helping: respondersWords(state)! } : {}),
    resumed: resumed ? `${resumed.by}: ${resumed.what}` : null,
    ...extra,
  };
}

/** "1 h 05 min", "12 min". */
function openFor(from: string, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(from)) / 60_000));
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min` : `${minutes} min`;
}

/** When full service is due by the strategy's objective (4-6 h from the opening). */
function expectedBy(openedAt: string): string {
  const at = (hours: number) => minuteUtc(new Date(Date.parse(openedAt) + hours * 3_600_000).toISOString());
  return `between ${at(4)} and ${at(OBJECTIVES.fullService.maxMs / 3_600_000)} (${OBJECTIVES.fullService.text} from the opening)`;
}

/** The lead, mentioned in Slack when known from their click: Slack notifies them, not only the channel. */
const mentionLead = (b: IncidentBrief): { mention?: string } => (b.leadReach?.slack ? { mention: b.leadReach.slack } : {});

export function incidentNotice(
  kind: IncidentNoticeKind,
  b: IncidentBrief,
  now: Date,
  link?: string,
  /** The console's signed one-click acknowledgement link (level 1, backup and responder notices while unacknowledged, when the console is configured). */
  ackLink?: string,
): Notice {
  const tag = `[${b.severity}] ${b.database}`;
  const opened = `${minuteUtc(b.openedAt)}${b.openedBy ? ` by ${b.openedBy}` : ''} (${openFor(b.openedAt, now)} ago)`;
  const base: Array<[string, string]> = [
    ['Incident', b.incidentId],
    ['Database', b.database],
    ['Severity', b.severity],
    ['What failed', b.summary],
    ['Failure at', minuteUtc(b.failureTime)],
    ['Opened', opened],
  ];
  const where: Array<[string, string]> = [
    ['Current step', b.step],
    ...factIf('Waiting for', b.waitingFor),
    ...factIf('Restore', b.restore),
    ['Acknowledged', b.acknowledgedBy ? `by ${b.acknowledgedBy}` : 'NOT yet'],
    ...(b.assessment
      ? ([
          [
            'Impact',
            `${b.assessment.dataLossScope}; customers ${b.assessment.customerImpact ? 'affected' : 'not affected'} (assessed by ${b.assessment.by})`,
          ],
        ] as Array<[string, string]>)
      : []),
  ];
  const follow: Array<[string, string]> = [
    ...factIf('Acknowledge in one click', !b.acknowledgedBy && ackLink),
    ...factIf('Follow it', link),
  ];
  // A drill says so first, everywhere: nothing failed, and nobody should act as if it had.
  const drill = b.severity === 'DRILL';
  if (drill)
    base.unshift(['DRILL', 'this is a drill: nothing failed; the runbook runs on copies, the live database is not touched']);
  // Escalation decides who hears of an incident, not the channels' NOTIFY_*_ON filters.
  return { ...byKind(), about: b.incidentId, ...(drill ? { drill: true as const } : {}), alwaysSent: true };

  function byKind(): Notice {
    switch (kind) {
      case 'level1':
      case 'level1-reminder':
        return {
          event: 'incident.level1',
          severity: 'critical',
          mark: drill ? 'DRILL' : 'INCIDENT',
          title:
            kind === 'level1'
              ? `${tag}: ${drill ? 'disaster recovery drill started (nothing failed)' : 'disaster recovery started'}: ${b.summary}`
              : `${tag}: NOT acknowledged after ${openFor(b.openedAt, now)} (reminder ${b.reminder}): ${b.summary}`,
          facts: [...base, ...where, ...follow],
          action: `acknowledge: ${ackWords(b.incidentId)}; reminders repeat until then. ${runbookWords(b.incidentId)}`,
        };
      case 'backup-oncall': {
        const backup = b.backup!;
        return {
          event: 'incident.backup-oncall',
          severity: 'critical',
          mark: drill ? 'DRILL' : 'INCIDENT',
          title: `${tag}: NOT acknowledged after ${backup.minutes} min: backup on call ${backup.who} alerted: ${b.summary}`,
          facts: [
            ...base,
            ['On call', `${backup.onCall}, alerted at the opening`],
            ['Backup on call', backup.who],
            ...where,
            ...follow,
          ],
          action: `${backup.who}: you are the backup on call and nobody has acknowledged. Acknowledge to take it: ${ackWords(b.incidentId)}; level 1's reminders reach you too until then. ${runbookWords(b.incidentId)}`,
        };
      }
      case 'responder': {
        const r = b.responder!;
        return {
          event: 'incident.responder',
          severity: 'critical',
          mark: drill ? 'DRILL' : 'INCIDENT',
          title: `${tag}: ${r.by} asks ${r.who} to help: ${oneLine(r.reason)}: ${b.summary}`,
          facts: [...base, ['Asked by', r.by], ['Why', r.reason], ...where, ...follow],
          action: b.acknowledgedBy
            ? `${r.who}: join ${b.acknowledgedBy}, who leads the recovery; where it stands: pgwarden dr status ${b.incidentId}. You now get its status updates and hear how it ends`
            : `${r.who}: nobody has acknowledged yet: join the team, or acknowledge to lead it: ${ackWords(b.incidentId)}. Where it stands: pgwarden dr status ${b.incidentId}. You now get its status updates and hear how it ends`,
        };
      }
      case 'acknowledged':
        // Those level 1 alerted learn who took it, so nobody else starts on it too.
        return {
          event: 'incident.acknowledged',
          severity: 'info',
          mark: drill ? 'DRILL' : 'ACKNOWLEDGED',
          title: `${tag}: acknowledged by ${b.acknowledgedBy} after ${openFor(b.openedAt, now)}: ${b.summary}`,
          facts: [...base, ...where, ...follow],
          action: `nothing is asked of you: ${b.acknowledgedBy} leads the recovery, and the level 1 reminders stop${drill ? '' : ' (levels 2 and 3 still follow unless it is resolved)'}`,
        };
      case 'level2':
      case 'level3': {
        const reader = kind === 'level2' ? 'manager' : 'executive';
        const restored = b.restore?.startsWith('succeeded');
        const lead = b.acknowledgedBy
          ? `${b.acknowledgedBy} leads the recovery`
          : 'Nobody has acknowledged it yet: make sure on-call is on it';
        // Escalated by hand: someone needs them now, and says why; else the clock of the strategy's matrix.
        const by = b.escalated;
        return {
          event: `incident.${kind}`,
          severity: 'critical',
          mark: 'ESCALATION',
          title: by
            ? `${tag}: ${reader} notice: escalated by ${by.by} after ${openFor(b.openedAt, now)}: ${oneLine(by.reason)}: ${b.summary}`
            : `${tag}: ${reader} notice: incident open ${openFor(b.openedAt, now)}, not resolved${restored ? ' (database restored, checks and resume pending)' : ''}: ${b.summary}`,
          facts: [
            ...base,
            ...(by ? ([['Escalated by', `${by.by}: ${by.reason}`]] as Array<[string, string]>) : []),
            ...where,
            ['Full service expected', expectedBy(b.openedAt)],
            ...follow,
          ],
          action: by
            ? `${by.by} asks for you now, before the escalation's timer: ${by.reason}. ${lead}; a notice follows when it is resolved`
            : `nothing is asked of you: you are told because the incident is open ${openFor(b.openedAt, now)} (the strategy's escalation). ${lead}; a notice follows when it is resolved`,
        };
      }
      case 'level4': {
        const scope = b.assessment?.dataLossScope ?? 'not assessed yet';
        return {
          event: 'incident.level4',
          severity: 'critical',
          mark: 'CUSTOMERS',
          title: `${tag}: customers are affected: ${b.summary}`,
          facts: [
            ['Incident', b.incidentId],
            ['What customers see', `${b.summary}; data affected: ${scope}`],
            ['Since', minuteUtc(b.failureTime)],
            ['Expected back', expectedBy(b.openedAt)],
            ['Recovery led by', b.acknowledgedBy ?? 'on-call (not acknowledged yet)'],
            ...follow,
          ],
          action: `tell customers (status page, support replies), e.g. "We are restoring a database after a failure at ${minuteUtc(b.failureTime)}; ${scope} may be affected. We expect service back ${expectedBy(b.openedAt).replace(/ \(.*\)$/, '')}." A notice follows when service is back`,
        };
      }
      case 'customer-closing':
        return {
          event: 'incident.customer-closing',
          severity: 'info',
          mark: 'RESOLVED',
          title: `${tag}: service restored: tell customers: ${b.summary}`,
          facts: [
            ['Incident', b.incidentId],
            ['Service back at', minuteUtc(now.toISOString())],
            ['Outcome', b.outcome ?? ''],
            ...factIf('Confirmed by', b.resumed),
            ...follow,
          ],
          action: 'tell customers that service is back (status page, support replies)',
        };
      case 'live': {
        // What the channel sees at the top of the incident's thread, kept current: where it stands now.
        const closed = b.status !== undefined && b.status !== 'open';
        return {
          event: 'incident.live',
          severity: closed ? 'info' : 'critical',
          mark: drill ? 'DRILL' : 'INCIDENT',
          title: closed
            ? `${tag}: incident ${b.status} after ${openFor(b.openedAt, now)}: ${b.summary}`
            : `${tag}: ${drill ? 'disaster recovery drill' : 'disaster recovery'} under way for ${openFor(b.openedAt, now)}: ${b.summary}`,
          facts: [
            ...base,
            ...where,
            ...factIf('Escalation', b.alerted && `${b.alerted} alerted`),
            ...factIf('Helping', b.helping),
            ...factIf('Outcome', b.outcome),
            ...factIf('Follow it', link),
            ['As of', minuteUtc(now.toISOString())],
          ],
          ...(closed
            ? {}
            : {
                action: b.acknowledgedBy
                  ? `${b.acknowledgedBy} leads the recovery: pgwarden dr status ${b.incidentId}`
                  : `acknowledge: pgwarden dr ack ${b.incidentId} --as <name>, or the button below`,
              }),
        };
      }
      case 'resolved':
        return {
          event: 'incident.resolved',
          severity: 'info',
          mark: 'RESOLVED',
          title: `${tag}: incident resolved after ${openFor(b.openedAt, now)}: ${b.summary}`,
          facts: [...base, ['Outcome', b.outcome ?? ''], ...factIf('Confirmed by', b.resumed), ...follow],
        };
      case 'handover':
        return {
          event: 'incident.handover',
          severity: 'info',
          ...mentionLead(b),
          mark: drill ? 'DRILL' : 'HANDOVER',
          title: `${tag}: ${b.handover?.to ?? 'someone'} takes the lead over from ${b.handover?.from ?? 'someone'}: ${b.summary}`,
          facts: [...base, ...where, ...follow],
          action: `reach ${b.handover?.to ?? 'the new lead'} from now on, not ${b.handover?.from ?? 'the previous lead'}`,
        };
      case 'update':
        return {
          event: 'incident.update',
          severity: 'info',
          mark: drill ? 'DRILL' : 'UPDATE',
          title: `${tag}: update from ${b.update?.by ?? 'someone'}: ${oneLine(b.update?.text ?? '')}`,
          facts: [...base, ['Update', b.update?.text ?? ''], ['From', b.update?.by ?? ''], ...where, ...follow],
        };
      case 'update-due': {
        const due = b.updateDue ?? { minutes: 0, audience: [] };
        return {
          event: 'incident.update-due',
          severity: 'warning',
          ...mentionLead(b),
          mark: drill ? 'DRILL' : 'UPDATE DUE',
          title: `${tag}: no status update for ${due.minutes} min since the manager was told: ${b.summary}`,
          facts: [...base, ...where, ['An update reaches', due.audience.join(', ') || 'Slack only'], ...follow],
          action: `${b.acknowledgedBy ? `${b.acknowledgedBy} (or anyone working on it)` : 'whoever works on it'}: post where it stands and what comes next: pgwarden dr note ${b.incidentId} --text "restore at 60%, about 20 min left" --tell (or the console's Post an update, ticked). The next reminder follows in ${due.minutes} min without one`,
        };
      }
      case 'not-opened':
        return {
          event: 'incident.not-opened',
          severity: 'critical',
          mark: 'INCIDENT NOT STARTED',
          title: `${tag}: disaster recovery could not start: ${b.summary}`,
          facts: [...base, ['Why', b.outcome ?? ''], ...follow],
          action:
            'nothing is running and nobody else was alerted: fix the reason above and start the incident again (pgwarden dr start, or DisasterRecoveryWorkflow in the Temporal UI)',
        };
      case 'aborted':
        return {
          event: 'incident.aborted',
          severity: 'warning',
          mark: 'ABORTED',
          title: `${tag}: disaster recovery aborted: ${b.summary}`,
          facts: [...base, ...where, ['Outcome', b.outcome ?? ''], ...follow],
          action: 'the runbook stopped; the database is as the last completed step left it',
        };
    }
  }
}

/**
 * Whether an incident notice goes to Slack as well as by e-mail. Reminders reach Slack only as
 * replies in the incident's thread (a bot): a webhook cannot thread, and a post per reminder
 * would bury the channel. An acknowledgement by the Slack button is already shown in its
 * message (replaced through the click's response_url): with a webhook, not posted again.
 */
export function incidentNoticeToSlack(kind: IncidentNoticeKind, b: Pick<IncidentBrief, 'acknowledgedBy'>, bot: boolean): boolean {
  if (bot) return true;
  if (kind === 'level1-reminder') return false;
  return !(kind === 'acknowledged' && b.acknowledgedBy?.startsWith('slack:'));
}

/** A mail subject's preview of a status update: its first line, at most 80 characters. */
function oneLine(text: string): string {
  const first = text.trim().split('\n')[0];
  return first.length > 80 ? `${first.slice(0, 79)}…` : first;
}

/** How to acknowledge, as the level 1, backup on-call and responder notices say it: the CLI, or the Temporal UI's update. */
function ackWords(incidentId: string): string {
  return `pgwarden dr ack ${incidentId} --as <name> (or Update acknowledge {"by": "<name>"} in the Temporal UI)`;
}

function runbookWords(incidentId: string): string {
  return `Then follow the runbook: pgwarden dr status ${incidentId}`;
}
