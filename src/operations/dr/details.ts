/**
 * The incident in a few lines, for the Temporal UI's "current details" of the run (markdown)
 * and for `pgwarden dr status`.
 */
import { describeRecovery } from './recovery';
import { IncidentState, STEP_TITLES } from './incident';
import { LEVEL_NAMES } from './escalation';

/** "levels 1 (DevOps team), 4 (customer notification)": which levels were sent. */
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

export function incidentDetails(s: IncidentState): string {
  const level = levelsSent(s.escalation.sent);
  const lines = [
    `**[${s.severity}] ${s.database}**: ${s.summary}`,
    `**Status:** ${s.status}${s.closedAt ? ` at ${s.closedAt}` : ''}; step ${STEP_TITLES[s.step]} (${s.stepStatus})`,
    ...(s.waitingFor ? [`**Waiting for:** ${withCommandsInCode(s.waitingFor)}`] : []),
    ...(s.lastRefused
      ? [
          `**Last refused action:** ${s.lastRefused.action} from ${s.lastRefused.by} at ${s.lastRefused.at}: ${s.lastRefused.reason}`,
        ]
      : []),
    `**Escalation:** ${level} sent${s.escalation.next ? `; next level ${s.escalation.next.level} at ${s.escalation.next.at}` : ''}; ${s.escalation.acknowledgedBy ? `acknowledged by ${s.escalation.acknowledgedBy}` : 'NOT acknowledged'}`,
  ];
  if (s.selection)
    lines.push(
      `**Backup:** ${s.selection.backupId}${s.selection.newDatabase ? ` into new database ${s.selection.newDatabase}` : ' in place'}`,
    );
  else if (s.proposal)
    lines.push(
      `**Proposed backup:** ${s.proposal.backupId} (${s.proposal.why})${s.proposal.retrieval ? `; ${s.proposal.retrieval}` : ''}`,
    );
  if (s.restore) lines.push(`**Restore:** ${s.restore.status}: ${s.restore.detail} (run ${s.restore.workflowId})`);
  if (s.recovery) lines.push(`**Recovery:** ${describeRecovery(s.recovery)}`);
  return lines.join('\n');
}
