/**
 * The incident in a few lines, for the Temporal UI's "current details" of the run (markdown)
 * and for `pgwarden dr status`: where it stands, what it waits for and how to give it (the
 * command, and the Update with a JSON template for the UI), who hears next and when.
 */
import { describeRecovery } from './recovery';
import { IncidentState, Selection, Step, STEP_TITLES } from './incident';
import { describeTarget } from '../pitr/target';
import { backupAlertAt, EscalationLevel, LEVEL_NAMES, LEVELS } from './escalation';

/** "levels 1 (DevOps team), 4 (customer notification)": which levels were sent. */
/** "level 2 (manager) → manager@example.com at 10:54 UTC (in 37 min)": who hears next, and when. */
export function nextEscalation(s: IncidentState, now: Date): string | null {
  const next = s.escalation.next;
  if (!next) return null;
  const level = next.level as EscalationLevel;
  const contacts = s.matrix ? LEVELS[level].contacts(s.matrix).join(', ') || 'Slack only' : '';
  const minutes = Math.max(0, Math.round((Date.parse(next.at) - now.getTime()) / 60_000));
  return `level ${level} (${LEVEL_NAMES[level]})${contacts ? ` → ${contacts}` : ''} at ${clockTime(next.at, now)} (in ${minutes} min)`;
}

/** The escalation levels alerted, customers apart (their notice is not a rung above the executive). */
export function teamLevelsSent(sent: IncidentState['escalation']['sent']): string {
  return levelsSent(sent.filter((l) => l !== 4));
}

/** Who was alerted, as the board, the live message and notices say it: the levels, and the backup on call once alerted. */
export function alertedWords(s: Pick<IncidentState, 'matrix' | 'escalation'>): string {
  const backup = backupAlerted(s);
  return `${teamLevelsSent(s.escalation.sent)}${backup ? `, and the backup on call ${backup.who}` : ''}`;
}

/** Those asked to help, as the UI, the console and `dr status` list them; null when nobody was. */
export function respondersWords(s: Pick<IncidentState, 'escalation'>): string | null {
  const asked = s.escalation.responders ?? [];
  return asked.length ? asked.map((r) => `${r.who} (asked by ${r.by})`).join(', ') : null;
}

export function levelsSent(sent: IncidentState['escalation']['sent']): string {
  return sent.length
    ? `level${sent.length > 1 ? 's' : ''} ${sent.map((l) => `${l} (${LEVEL_NAMES[l]})`).join(', ')}`
    : 'no level yet';
}

/**
 * Commands in code spans, so the UI's markdown shows `--scope` as typed (not an en dash) and a
 * copied command works.
 */
export function withCommandsInCode(text: string): string {
  return text.replace(/pgwarden dr [^()]+?(?= \(|$)/g, (command) => `\`${command}\``);
}

/** "2026-12-07 09:00 UTC": a time to the minute, with its date. */
export const minuteUtc = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** "10:54 UTC" (with the date when it is not the day of `now`). */
export function clockTime(iso: string, now: Date): string {
  const at = new Date(iso);
  const hhmm = at.toISOString().slice(11, 16);
  return at.toISOString().slice(0, 10) === now.toISOString().slice(0, 10)
    ? `${hhmm} UTC`
    : `${at.toISOString().slice(0, 10)} ${hhmm} UTC`;
}

/** The Update (and Signal) the UI sends for the step awaited, with a JSON template to fill in. */
export const UPDATE_TEMPLATES: Partial<Record<Step, { update: string; json: string }>> = {
  assess: {
    update: 'assess',
    json: '{"by": "<you>", "dataLossScope": "<what data is lost or at risk>", "customerImpact": true}',
  },
  select: {
    update: 'selectBackup',
    json: '{"by": "<you>"} (to choose: "backupId": "backup_..." with "newDatabase": "<name>"; or "to": "<ISO time>|latest"; or "tables": ["schema.table"] with "replace": true)',
  },
  restore: { update: 'approveIncidentRestore', json: '{"by": "<you>", "note": "<why>"}' },
  resume: { update: 'resume', json: '{"by": "<you>", "note": "<what you checked>"}' },
};

/** What step 3 chose, in a few words. */
export function describeSelection(s: Selection): string {
  if (s.kind === 'point-in-time')
    return `the server as of ${describeTarget(s.target!)} (from base backup ${s.backupId}) into a new instance`;
  if (s.kind === 'tables')
    return `${s.tables!.join(', ')} as of ${describeTarget(s.target!)} (from ${s.backupId}), ${s.replace ? 'in place of the live tables' : 'beside the live tables'}`;
  return `${s.backupId}, ${s.newDatabase ? `into new database ${s.newDatabase}` : 'in place'}`;
}

export function incidentDetails(s: IncidentState, now: Date = new Date()): string {
  const e = s.escalation;
  const lines = [
    `**[${s.severity}] ${s.database}**: ${s.summary}`,
    `**Status:** ${s.status}${s.closedAt ? ` at ${s.closedAt}` : ''}; step ${STEP_TITLES[s.step]} (${s.stepStatus}); failure at ${clockTime(s.failureTime, now)}`,
  ];
  if (s.waitingFor) {
    lines.push(`**Waiting for:** ${withCommandsInCode(s.waitingFor)}`);
    const template = s.stepStatus === 'waiting' ? UPDATE_TEMPLATES[s.step] : undefined;
    if (template)
      lines.push(
        `**In the UI:** Update \`${template.update}\` (or Signal \`${template.update}Signal\`) with \`${template.json}\``,
      );
  }
  if (s.lastRefused)
    lines.push(
      `**Last refused action:** ${s.lastRefused.action} from ${s.lastRefused.by} at ${s.lastRefused.at}: ${s.lastRefused.reason}`,
    );
  const acknowledged = e.acknowledgedBy
    ? `acknowledged by ${e.acknowledgedBy}${e.acknowledgedAt ? ` at ${clockTime(e.acknowledgedAt, now)}` : ''}${e.lead ? `; led by ${e.lead.by} since ${clockTime(e.lead.since, now)}` : ''}`
    : 'NOT acknowledged: Update `acknowledge` with `{"by": "<you>"}`';
  lines.push(`**Escalation:** ${teamLevelsSent(e.sent)} sent${onCallWords(s, now)}; ${acknowledged}`);
  const next = nextEscalation(s, now);
  if (next) lines.push(`**Next:** ${next}`);
  const helping = respondersWords(s);
  if (helping) lines.push(`**Asked to help:** ${helping}`);
  if (s.assessment)
    lines.push(
      `**Assessment:** ${s.assessment.dataLossScope}; customer impact ${s.assessment.customerImpact ? 'yes' : 'no'} (by ${s.assessment.by})`,
    );
  if (e.sent.includes(4)) lines.push('**Customers:** notified (level 4)');
  if (s.selection) {
    if (s.selection.kind && s.selection.kind !== 'backup') lines.push(`**Chosen:** ${describeSelection(s.selection)}`);
    else
      lines.push(
        `**Backup:** ${s.selection.backupId}${s.selection.newDatabase ? ` into new database ${s.selection.newDatabase}` : ' in place'}`,
      );
  } else {
    if (s.pointInTime)
      lines.push(
        `**Proposed point in time:** ${describeTarget(s.pointInTime.target)} (${s.pointInTime.why}; about ${s.pointInTime.lossSeconds} s of data lost); the default`,
      );
    if (s.proposal)
      lines.push(
        `**${s.pointInTime ? 'Or the backup' : 'Proposed backup'}:** ${s.proposal.backupId} (${s.proposal.why})${s.proposal.retrieval ? `; ${s.proposal.retrieval}` : ''}`,
      );
  }
  if (s.restore) lines.push(`**Restore:** ${s.restore.status}: ${s.restore.detail} (run ${s.restore.workflowId})`);
  if (s.recovery) lines.push(`**Recovery:** ${describeRecovery(s.recovery)}`);
  if (s.evidence) lines.push(`**Evidence report:** ${s.evidence.markdown}`);
  return lines.join('\n');
}

/** Who was on call at the opening, and the backup on call: alerted when, or when due while unacknowledged. */
function onCallWords(s: IncidentState, now: Date): string {
  const alerted = backupAlerted(s);
  const due = backupDue(s);
  const words = [
    ...(s.matrix?.onCallNow ? [`${s.matrix.onCallNow} on call at the opening`] : []),
    ...(alerted ? [`backup ${alerted.who} alerted at ${clockTime(alerted.at, now)}`] : []),
    ...(due ? [`backup ${due.who} alerted if not acknowledged ${due.afterMinutes} min after the opening`] : []),
  ];
  return words.length ? ` (${words.join('; ')})` : '';
}

/** The backup on call still to be alerted (open, nobody acknowledged, not alerted yet): who, and when. */
export function backupDue(
  s: Pick<IncidentState, 'matrix' | 'escalation' | 'status' | 'openedAt'>,
): { who: string; at: string; afterMinutes: number } | null {
  const { matrix, escalation: e } = s;
  const backup = matrix?.onCallBackup;
  if (!matrix || !backup || e.backupAlertedAt || e.acknowledgedBy || s.status !== 'open') return null;
  // Never null here: the matrix has a backup.
  const at = backupAlertAt(matrix, new Date(s.openedAt))!;
  return { who: backup.who, at: at.toISOString(), afterMinutes: backup.afterMinutes };
}

/** The backup on call once alerted (level 1 not having acknowledged in time): who, when, after how long; else null. */
export function backupAlerted(
  s: Pick<IncidentState, 'matrix' | 'escalation'>,
): { who: string; at: string; afterMinutes: number } | null {
  const backup = s.matrix?.onCallBackup;
  const at = s.escalation.backupAlertedAt;
  return backup && at ? { who: backup.who, at, afterMinutes: backup.afterMinutes } : null;
}
