/** What each escalation level and the incident's end tell people. Pure, so wording is testable. */
import type { Notice } from '../../infra/notify/notice';
import { IncidentState, STEP_TITLES } from './incident';
import { LEVEL_NAMES } from './escalation';

export type IncidentNoticeKind =
  'level1' | 'level1-reminder' | 'level2' | 'level3' | 'level4' | 'customer-closing' | 'resolved' | 'aborted' | 'not-opened';

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
}

export function briefOf(state: IncidentState, extra: Partial<IncidentBrief> = {}): IncidentBrief {
  return {
    incidentId: state.incidentId,
    database: state.database,
    severity: state.severity,
    summary: state.summary,
    step: STEP_TITLES[state.step],
    openedAt: state.openedAt,
    failureTime: state.failureTime,
    acknowledgedBy: state.escalation.acknowledgedBy,
    ...extra,
  };
}

const hoursSince = (from: string, now: Date) => `${((now.getTime() - Date.parse(from)) / 3_600_000).toFixed(1)} h`;

export function incidentNotice(kind: IncidentNoticeKind, b: IncidentBrief, now: Date, link?: string): Notice {
  const facts: Array<[string, string]> = [
    ['Incident', b.incidentId],
    ['Database', b.database],
    ['Severity', b.severity],
    ['Summary', b.summary],
    ['Opened', `${b.openedAt} (${hoursSince(b.openedAt, now)} ago)`],
    ['Current step', b.step],
    ['Acknowledged', b.acknowledgedBy ?? 'not yet'],
    ...(link ? ([['Follow it', link]] as Array<[string, string]>) : []),
  ];
  const tag = `[${b.severity}] ${b.database}`;
  switch (kind) {
    case 'level1':
    case 'level1-reminder':
      return {
        event: 'incident.level1',
        severity: 'critical',
        title: `${tag}: disaster recovery started: ${b.summary}${kind === 'level1-reminder' ? ` (reminder ${b.reminder}, not acknowledged)` : ''}`,
        facts,
        action: `acknowledge: pgwarden dr ack ${b.incidentId} --as <name> (or send acknowledgeSignal {"by": "<name>"} in the Temporal UI); reminders repeat until then`,
      };
    case 'level2':
    case 'level3':
      return {
        event: `incident.${kind}`,
        severity: 'critical',
        title: `${tag}: incident open for ${hoursSince(b.openedAt, now)}: ${LEVEL_NAMES[kind === 'level2' ? 2 : 3]} notification: ${b.summary}`,
        facts,
        action: `the recovery is at "${b.step}"; see pgwarden dr status ${b.incidentId} or the Temporal UI`,
      };
    case 'level4':
      return {
        event: 'incident.level4',
        severity: 'critical',
        title: `${tag}: customer-facing impact: notify customers: ${b.summary}`,
        facts,
        action: 'tell customers about the outage (status page, support); a closing notice follows when service is back',
      };
    case 'customer-closing':
      return {
        event: 'incident.customer-closing',
        severity: 'info',
        title: `${tag}: service restored: tell customers: ${b.summary}`,
        facts: [...facts, ['Outcome', b.outcome ?? '']],
      };
    case 'resolved':
      return {
        event: 'incident.resolved',
        severity: 'info',
        title: `${tag}: incident resolved: ${b.summary}`,
        facts: [...facts, ['Outcome', b.outcome ?? '']],
      };
    case 'not-opened':
      return {
        event: 'incident.not-opened',
        severity: 'critical',
        title: `${tag}: disaster recovery could not start: ${b.summary}`,
        facts: [...facts.filter(([k]) => k !== 'Current step' && k !== 'Acknowledged'), ['Why', b.outcome ?? '']],
        action:
          'nothing is running and nobody else was alerted: fix the reason above and start the incident again (pgwarden dr start, or DisasterRecoveryWorkflow in the Temporal UI)',
      };
    case 'aborted':
      return {
        event: 'incident.aborted',
        severity: 'warning',
        title: `${tag}: disaster recovery aborted: ${b.summary}`,
        facts: [...facts, ['Outcome', b.outcome ?? '']],
        action: 'the runbook stopped; the database is as the last completed step left it',
      };
  }
}
