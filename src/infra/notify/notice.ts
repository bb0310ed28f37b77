/**
 * What pgwarden tells people, independent of the channel: a notice has a title, a severity,
 * labelled facts and, for failures, what to do. Rendering to e-mail and Slack is pure so the
 * wording can be tested without a mail server.
 */
export type Severity = 'info' | 'warning' | 'critical';

export interface Notice {
  /** Machine-readable event, e.g. backup.succeeded; shown in the e-mail subject tag. */
  event: string;
  severity: Severity;
  title: string;
  facts: Array<[label: string, value: string]>;
  /** What the reader should do, for failures and warnings. */
  action?: string;
  /** The subject's mark instead of the severity's (OK, WARNING, FAILED): an incident is not a failed job. */
  mark?: string;
}

const MARK: Record<Severity, string> = { info: 'OK', warning: 'WARNING', critical: 'FAILED' };
const EMOJI: Record<Severity, string> = { info: ':white_check_mark:', warning: ':warning:', critical: ':rotating_light:' };

export function renderEmail(notice: Notice): { subject: string; text: string } {
  const width = Math.max(0, ...notice.facts.map(([l]) => l.length));
  const lines = [notice.title, '', ...notice.facts.map(([l, v]) => `${(l + ':').padEnd(width + 1)} ${v}`)];
  if (notice.action) lines.push('', `What to do: ${notice.action}`);
  lines.push('', `-- pgwarden (${notice.event})`);
  return { subject: `[pgwarden] ${notice.mark ?? MARK[notice.severity]}: ${notice.title}`, text: lines.join('\n') + '\n' };
}

export function renderSlack(notice: Notice): { text: string } {
  const facts = notice.facts.map(([l, v]) => `• *${l}:* ${v}`);
  const lines = [`${EMOJI[notice.severity]} *${notice.title}*`, ...facts];
  if (notice.action) lines.push(`*What to do:* ${notice.action}`);
  return { text: lines.join('\n') };
}
