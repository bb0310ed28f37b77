/**
 * Which notices page someone, and which end a page. A pager (PagerDuty) is for what needs a
 * person now: the failures of unattended work and an incident's opening trigger an alert; the
 * next success of the same work, or the incident's acknowledgement and end, acknowledges or
 * resolves that alert, found again by its key (the work and what it is about). Pure.
 */
import type { Notice } from './notice';

export type PageAction = 'trigger' | 'acknowledge' | 'resolve';

/** What a notice does on the pager: the action, on the alert with this key. */
export interface Page {
  action: PageAction;
  key: string;
}

/**
 * Each paging event: what it does, to which of its subject's alerts. Runs a person started and
 * watches (restores, table recoveries) are not paged; neither is anything informational.
 * `wal.stopped` ends when a run started again (pgwarden wal start) has passed its checks and
 * archives; `wal.verify-failed` when a read-back finds every segment sound, the failed ones
 * read again included. Both of those are told to the pager alone.
 */
export const PAGING: Readonly<Record<string, { action: PageAction; alert: string | readonly string[] }>> = {
  'backup.failed': { action: 'trigger', alert: 'backup' },
  'backup.succeeded': { action: 'resolve', alert: 'backup' },
  'backup.missing': { action: 'trigger', alert: 'backups-missing' },
  'backup.check-failed': { action: 'trigger', alert: 'backups-unchecked' },
  // The daily check found nothing missing: it could look, and nothing was.
  'backup.checked': { action: 'resolve', alert: ['backups-missing', 'backups-unchecked'] },
  'verify.failed': { action: 'trigger', alert: 'verify' },
  'verify.run-failed': { action: 'trigger', alert: 'verify' },
  'verify.passed': { action: 'resolve', alert: 'verify' },
  'cleanup.failed': { action: 'trigger', alert: 'cleanup' },
  'cleanup.done': { action: 'resolve', alert: 'cleanup' },
  'restore-test.failed': { action: 'trigger', alert: 'restore-test' },
  'restore-test.run-failed': { action: 'trigger', alert: 'restore-test' },
  'restore-test.passed': { action: 'resolve', alert: 'restore-test' },
  'basebackup.failed': { action: 'trigger', alert: 'basebackup' },
  'basebackup.succeeded': { action: 'resolve', alert: 'basebackup' },
  'basebackup.verify-failed': { action: 'trigger', alert: 'basebackup-verify' },
  'basebackup.verified': { action: 'resolve', alert: 'basebackup-verify' },
  'wal.behind': { action: 'trigger', alert: 'wal-behind' },
  'wal.caught-up': { action: 'resolve', alert: 'wal-behind' },
  'wal.archive-command-failing': { action: 'trigger', alert: 'archive-command' },
  'wal.archive-command-recovered': { action: 'resolve', alert: 'archive-command' },
  'wal.stopped': { action: 'trigger', alert: 'wal-stopped' },
  'wal.archiving': { action: 'resolve', alert: 'wal-stopped' },
  'wal.verify-failed': { action: 'trigger', alert: 'wal-verify' },
  'wal.verified': { action: 'resolve', alert: 'wal-verify' },
  // An incident is one alert from its opening (and its reminders) to its end.
  'incident.level1': { action: 'trigger', alert: 'incident' },
  'incident.acknowledged': { action: 'acknowledge', alert: 'incident' },
  'incident.resolved': { action: 'resolve', alert: 'incident' },
  'incident.aborted': { action: 'resolve', alert: 'incident' },
};

const INCIDENT_ALERT = 'pgwarden:incident:';

/** The pager's alert of an incident; PagerDuty gives it back as its incident's `incident_key`. */
export const incidentAlertKey = (incidentId: string) => `${INCIDENT_ALERT}${incidentId}`;

/** The incident an alert key is of, or null for another alert (another tool's, or a backup's). */
export function incidentOfAlertKey(key: string): string | null {
  return key.startsWith(INCIDENT_ALERT) && key.length > INCIDENT_ALERT.length ? key.slice(INCIDENT_ALERT.length) : null;
}

/**
 * What this notice does on the pager: nothing (an empty list), or an action on each of its
 * subject's alerts. A drill's incident pages only when asked (PAGERDUTY_DRILLS), and a run
 * someone cancelled never does: either would wake someone for nothing.
 */
export function pagesOf(notice: Pick<Notice, 'event' | 'about' | 'drill' | 'cancelled'>, options: { drills: boolean }): Page[] {
  const rule = PAGING[notice.event];
  const about = notice.about;
  if (!rule || !about) return [];
  if (notice.drill && !options.drills) return [];
  if (notice.cancelled) return [];
  const alerts: readonly string[] = typeof rule.alert === 'string' ? [rule.alert] : rule.alert;
  return alerts.map((alert) => ({
    action: rule.action,
    key: alert === 'incident' ? incidentAlertKey(about) : `pgwarden:${alert}:${about}`,
  }));
}

/** An Events API v2 event, the routing key apart (added where it is sent, never kept). */
export interface PagerDutyEvent {
  event_action: PageAction;
  dedup_key: string;
  client?: string;
  payload?: {
    summary: string;
    source: string;
    severity: 'critical' | 'warning' | 'info';
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, string>;
  };
  links?: Array<{ href: string; text: string }>;
}

/**
 * The event for a notice's page. A trigger carries the notice (title as the summary a phone
 * call reads, its facts and what to do as details, its links); acknowledge and resolve need
 * only the key. Pure.
 */
export function pagerDutyEvent(notice: Notice, page: Page): PagerDutyEvent {
  const event = { event_action: page.action, dedup_key: page.key };
  if (page.action !== 'trigger') return event;
  const details: Record<string, string> = {};
  for (const [label, value] of notice.facts) details[label] = label in details ? `${details[label]} | ${value}` : value;
  if (notice.action) details['What to do'] = notice.action;
  const links = notice.facts
    .filter(([, value]) => /^https?:\/\/\S+$/.test(value))
    .map(([label, value]) => ({ href: value, text: label }));
  return {
    ...event,
    client: 'pgwarden',
    payload: {
      summary: notice.title.slice(0, 1024),
      source: `pgwarden: ${notice.about ?? notice.event}`,
      // pgwarden's severities are among PagerDuty's own.
      severity: notice.severity,
      component: notice.about ?? '',
      group: notice.event.split('.')[0],
      class: notice.event,
      custom_details: details,
    },
    ...(links.length ? { links } : {}),
  };
}
