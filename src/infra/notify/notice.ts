/**
 * What pgwarden tells people, independent of the channel: a notice has a title, a severity,
 * labelled facts and, for failures, what to do. Rendering to e-mail and Slack is pure so the
 * wording can be tested without a mail server.
 */
import type { NotifyOn } from '../config/notifications';
import { CANCELLED } from '../temporal/root-cause';

export type Severity = 'info' | 'warning' | 'critical';

export interface Notice {
  /** Machine-readable event, e.g. backup.succeeded; shown in the e-mail subject tag. */
  event: string;
  severity: Severity;
  /**
   * What it is about, the same in the notices that raise and end one alert: a database, a
   * server, an incident's id. A pager keys its alerts on it (paging.ts).
   */
  about?: string;
  /** Of a drill: nothing failed (a pager leaves it alone unless asked). */
  drill?: true;
  /** A run someone cancelled (Ctrl-C, the Web UI): told like its failure, never paged, since nobody needs waking for it. */
  cancelled?: true;
  title: string;
  facts: Array<[label: string, value: string]>;
  /** What the reader should do, for failures and warnings. */
  action?: string;
  /** The subject's mark instead of the severity's (OK, WARNING, FAILED): an incident is not a failed job. */
  mark?: string;
  /** A Slack user id the Slack message mentions first (<@U0123>), so Slack notifies that person. */
  mention?: string;
  /** Slack buttons (an app's interactive message): what Slack sends back to the console when one is clicked. */
  buttons?: Array<{ text: string; actionId: string; value: string; style?: 'primary' | 'danger' }>;
  /**
   * Sent whatever NOTIFY_EMAIL_ON / NOTIFY_SLACK_ON say: someone is waiting on it (an approval) or
   * it belongs to an incident, whose escalation decides who hears of it.
   */
  alwaysSent?: true;
  /** Ends an alert of this severity (WAL caught up after wal.behind): it reaches whoever got that alert. */
  resolves?: Severity;
}

/**
 * A failure's notice marked as a cancellation when its error type says the run was cancelled:
 * CANCELLED where FAILED would be (the subject's mark), and never paged.
 */
export const cancelledIf = (errorType: string): Pick<Notice, 'cancelled' | 'mark'> =>
  errorType === CANCELLED ? { cancelled: true, mark: 'CANCELLED' } : {};

/** The end of a title that would say FAILED: "was cancelled" for a run someone cancelled. */
export const failedOrCancelled = (errorType: string): string => (errorType === CANCELLED ? 'was cancelled' : 'FAILED');

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const LEAST: Record<NotifyOn, Severity> = { all: 'info', warnings: 'warning', failures: 'critical' };

/** Whether a channel set to `on` gets this notice. */
export function channelTakes(on: NotifyOn, notice: Pick<Notice, 'severity' | 'alwaysSent' | 'resolves'>): boolean {
  if (notice.alwaysSent) return true;
  const weight = Math.max(RANK[notice.severity], notice.resolves ? RANK[notice.resolves] : 0);
  return weight >= RANK[LEAST[on]];
}

/** A fact only when there is something to say: spread into a notice's facts. */
export function factIf(label: string, value: string | false | null | undefined): Array<[string, string]> {
  return value ? [[label, value]] : [];
}

/** A run of a database's that failed, as its failure notice tells it: the innermost cause, and where to look. */
export interface RunFailed {
  database: string;
  errorType: string;
  message: string;
  workflowId: string;
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

export interface SlackMessage {
  text: string;
  blocks?: Array<{ type: string } & Record<string, unknown>>;
}

/** A Slack section block holding a message's text (Slack takes 3,000 characters there). */
export function textSection(text: string): { type: 'section'; text: { type: 'mrkdwn'; text: string } } {
  return { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } };
}

/**
 * Text as Slack shows it: `&`, `<` and `>` escaped, as Slack asks, so a summary someone typed
 * never becomes a mention of the whole channel (`<!channel>`) or a disguised link. Pure.
 */
export function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderSlack(notice: Notice): SlackMessage {
  const facts = notice.facts.map(([l, v]) => `• *${slackText(l)}:* ${slackText(v)}`);
  const mention = notice.mention ? `<@${notice.mention}> ` : '';
  const lines = [`${mention}${EMOJI[notice.severity]} *${slackText(notice.title)}*`, ...facts];
  if (notice.action) lines.push(`*What to do:* ${slackText(notice.action)}`);
  const text = lines.join('\n');
  if (!notice.buttons?.length) return { text };
  // With buttons the message is blocks; `text` stays as the notification's fallback.
  return {
    text,
    blocks: [
      textSection(text),
      {
        type: 'actions',
        elements: notice.buttons.map((b) => ({
          type: 'button',
          text: { type: 'plain_text', text: b.text },
          action_id: b.actionId,
          value: b.value,
          ...(b.style ? { style: b.style } : {}),
        })),
      },
    ],
  };
}
