/**
 * `/pgwarden` in Slack, answered by the console: the slash command's Request URL is
 * `<CONSOLE_PUBLIC_URL>/slack/commands`, and the console takes only requests Slack signed
 * (SLACK_SIGNING_SECRET), as for the buttons. Incident tools let on-call declare an incident where they already
 * are; this is the console's board, in Slack:
 *   /pgwarden [open] [what failed]   the Open an incident form (the summary filled in)
 *   /pgwarden status                 the open incidents, to the person alone
 *   /pgwarden oncall                 who is on call now, until when, and who next
 *   /pgwarden help                   what it does
 * The reply to a command is shown to its sender alone (ephemeral).
 */
import type { SlackAppSettings } from '../../infra/config/notifications';
import { PgwardenError } from '../../infra/errors/errors';
import { slackText } from '../../infra/notify/notice';
import { minuteUtc, teamLevelsSent } from '../../operations/dr/details';
import { leaderOf, STEP_TITLES } from '../../operations/dr/incident';
import type { Board, ConsoleBackend } from './backend';
import type { OnCallNow } from '../../operations/dr/on-call';
import { openIncidentForm, showForm } from './slack-forms';
import type { SlackActors } from './slack-actors';

const HELP = [
  '`/pgwarden open <what failed>`: open an incident (a form asks for the database, severity and failure time); level 1 is alerted at once',
  '`/pgwarden status`: the open incidents, their step, lead and escalation',
  '`/pgwarden oncall`: who is on call now, until when, and who takes over then',
  '`/pgwarden help`: this',
].join('\n');

/** A command Slack signed (the console checked): the reply its sender sees, or null for none. */
export async function answerSlackCommand(
  body: string,
  o: { backend: ConsoleBackend; slackApp?: SlackAppSettings; publicUrl: string; actors?: SlackActors },
): Promise<object | null> {
  const form = new URLSearchParams(body);
  const [word = '', ...rest] = (form.get('text') ?? '').trim().split(/\s+/);
  const say = (text: string) => ({ response_type: 'ephemeral', text });
  switch (word.toLowerCase()) {
    case 'help':
      return say(HELP);
    case 'status':
      try {
        return say(boardText(await o.backend.openIncidents(), o.publicUrl));
      } catch (err) {
        if (err instanceof PgwardenError) return say(err.message);
        throw err;
      }
    case 'oncall':
    case 'on-call':
      return say(onCallText(await o.backend.onCall(new Date())));
    case '':
    case 'open': {
      // Reading is everyone's; opening an incident, only SLACK_ALLOWED_USERS' when set.
      const refused = await o.actors?.refusal(form.get('user_id') ?? undefined);
      if (refused) return say(refused);
      const summary = rest.join(' ');
      const opened = await showForm(openIncidentForm, null, form.get('trigger_id') ?? undefined, {
        backend: o.backend,
        slackApp: o.slackApp,
        initial: summary ? { summary } : {},
      });
      return opened ? say(opened) : null;
    }
    default:
      return say(`\`${word}\` is not a /pgwarden command:\n${HELP}`);
  }
}

/** Who is on call in each rotation, until when, and who next. Pure. */
export function onCallText(onCall: OnCallNow[]): string {
  if (!onCall.length)
    return 'No on-call rotation is configured (ESCALATION_ONCALL): an incident alerts the whole of level 1 at once.';
  return onCall
    .map(
      (c) =>
        `On call${onCall.length > 1 ? ` (${slackText(c.matrix)})` : ''}: *${slackText(c.who)}* until ${minuteUtc(c.until)}${c.next ? `, then ${slackText(c.next)}` : ''}`,
    )
    .concat(onCall[0].unread ? [`_As configured: ${slackText(onCall[0].unread)}_`] : [])
    .join('\n');
}

/** The open incidents, one line each, linked to the console. Pure. */
export function boardText(board: Board, publicUrl: string): string {
  const lines = board.incidents.map((s) => {
    const lead = leaderOf(s.escalation);
    const levels = teamLevelsSent(s.escalation.sent);
    return `*[${s.severity}] ${s.database}*: ${slackText(s.summary)} (<${publicUrl}/incidents/${encodeURIComponent(s.incidentId)}|${s.incidentId}>) - ${STEP_TITLES[s.step]} (${s.stepStatus}); ${lead ? `led by ${lead}` : '*not acknowledged*'}; alerted: ${levels}`;
  });
  for (const u of board.unanswered)
    lines.push(`*[${u.severity}] ${u.database}*: ${u.incidentId}: no worker answered for it, so its state is unknown`);
  return lines.length ? lines.join('\n') : 'No open incident.';
}
