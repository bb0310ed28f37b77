/**
 * `/pgwarden` in Slack, answered by the console: the slash command's Request URL is
 * `<CONSOLE_PUBLIC_URL>/slack/commands`, and the console takes only requests Slack signed
 * (SLACK_SIGNING_SECRET), as for the buttons. Incident tools let on-call declare an incident where they already
 * are; this is the console's board, in Slack:
 *   /pgwarden [open] [what failed]   the Open an incident form (the summary filled in)
 *   /pgwarden status                 the open incidents, to the person alone
 *   /pgwarden oncall                 who is on call now, until when, and who next
 *   /pgwarden oncall cover <until>   the sender on call from now, in the rotation's place
 *   /pgwarden oncall cover-backup <until>   the same as the backup on call
 *   /pgwarden oncall remove <id>     a stand-in taken back
 *   /pgwarden oncall note <text>     a note for whoever comes on call next (`clear`: taken back)
 *   /pgwarden help                   what it does
 * The reply to a command is shown to its sender alone (ephemeral).
 */
import type { SlackAppSettings } from '../../infra/config/notifications';
import { PgwardenError } from '../../infra/errors/errors';
import { slackText } from '../../infra/notify/notice';
import { alertedWords, minuteUtc } from '../../operations/dr/details';
import { leaderOf, STEP_TITLES } from '../../operations/dr/incident';
import type { Board, ConsoleBackend } from './backend';
import type { OnCallNow } from '../../operations/dr/on-call';
import { openIncidentForm, showForm } from './slack-forms';
import type { SlackActors } from './slack-actors';
import type { SlackResponder } from './slack-actions';
import { readSlack } from '../../infra/notify/slack-api';
import { responseUrlAllowed } from '../../infra/notify/slack-interaction';
import { standInTime } from '../../operations/dr/stand-ins';

const HELP = [
  '`/pgwarden open <what failed>`: open an incident (a form asks for the database, severity and failure time); level 1 is alerted at once',
  '`/pgwarden status`: the open incidents, their step, lead and escalation',
  '`/pgwarden oncall`: who is on call now, until when, and who takes over then',
  "`/pgwarden oncall cover <until> [matrix]`: you take on-call from now until then (8h, 2d, or 2026-12-08T08:00:00Z), in the rotation's place",
  '`/pgwarden oncall cover-backup <until> [matrix]`: you are the backup on call from now until then (alerted when nobody acknowledges in time)',
  '`/pgwarden oncall remove <id>`: a stand-in taken back',
  '`/pgwarden oncall note <text>`: a note for whoever comes on call next, told with the handover (`/pgwarden oncall note clear` takes it back)',
  '`/pgwarden help`: this',
].join('\n');

/** A command Slack signed (the console checked): the reply its sender sees, or null for none. */
interface CommandOptions {
  backend: ConsoleBackend;
  slackApp?: SlackAppSettings;
  publicUrl: string;
  actors?: SlackActors;
  /** Where a slow answer goes (the command's response_url), and the Slack API it must belong to. */
  respond?: SlackResponder;
  apiUrl?: string;
  now?: () => Date;
}

export async function answerSlackCommand(body: string, o: CommandOptions): Promise<object | null> {
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
      if (rest[0]?.toLowerCase() === 'cover') return say(await cover(form, rest.slice(1), o));
      if (rest[0]?.toLowerCase() === 'cover-backup') return say(await cover(form, rest.slice(1), o, true));
      if (rest[0]?.toLowerCase() === 'remove') return say(await removeCover(form, rest.slice(1), o));
      if (rest[0]?.toLowerCase() === 'note') return say(await leaveNote(form, rest.slice(1), o));
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

const coverUsage = (backup: boolean) =>
  `\`/pgwarden oncall cover${backup ? '-backup' : ''} <until> [matrix]\`: <until> an ISO time with its zone (2026-12-08T08:00:00Z) or from now (30m, 8h, 2d)`;

/**
 * `/pgwarden oncall cover 8h`: the sender on call from now, as a stand-in. Checked at once; the
 * stand-in itself (Slack's e-mail address for the sender, then the roster's update) is
 * answered to the command's response_url, since Slack wants the command's own reply within 3 s.
 */
async function cover(form: URLSearchParams, args: string[], o: CommandOptions, backup = false): Promise<string> {
  const userId = form.get('user_id') ?? '';
  const refused = await o.actors?.refusal(userId || undefined);
  if (refused) return refused;
  const now = o.now?.() ?? new Date();
  const [untilText, matrix = 'default', ...extra] = args;
  const until = untilText && !extra.length ? standInTime(untilText, now) : null;
  if (!until || until <= now) return coverUsage(backup);
  const app = o.slackApp;
  if (!app)
    return "a stand-in set from Slack is put on call under your e-mail address, which the console reads with the Slack app's token: set SLACK_BOT_TOKEN (with the users:read.email scope), or run pgwarden dr oncall --stand-in <address> --until <time>";
  const setBy = `slack:${form.get('user_name') ?? userId} (${userId})`;
  const role = backup ? 'the backup on call' : 'on call';
  return answerLater(form, o, `Putting you ${role} until ${minuteUtc(until.toISOString())}…`, 'No stand-in was set', async () => {
    const who = await emailOf(app, userId);
    if (!who) return 'Slack gives no e-mail address for you: the Slack app needs the users:read.email scope';
    const s = await o.backend.standIn({
      matrix,
      who,
      from: now.toISOString(),
      until: until.toISOString(),
      setBy,
      ...(backup ? { backup: true as const } : {}),
    });
    return `You are ${role}${matrix === 'default' ? '' : ` (${slackText(matrix)})`} as ${slackText(who)} from ${minuteUtc(s.from)} until ${minuteUtc(s.until)} (stand-in ${s.id}; to take it back: \`/pgwarden oncall remove ${s.id}\`)`;
  });
}

/** `/pgwarden oncall remove s1`: a stand-in taken back, by whoever may act. */
async function removeCover(form: URLSearchParams, args: string[], o: CommandOptions): Promise<string> {
  const refused = await o.actors?.refusal(form.get('user_id') || undefined);
  if (refused) return refused;
  const [id, ...extra] = args;
  if (!id || extra.length)
    return "`/pgwarden oncall remove <id>`: the stand-in's id, as `/pgwarden oncall cover` or `pgwarden dr oncall` gave it (s1, s2, ...)";
  return answerLater(form, o, `Taking stand-in ${slackText(id)} back…`, 'Nothing was taken back', async () => {
    const s = await o.backend.removeStandIn(id);
    return `Stand-in ${s.id} taken back: ${slackText(s.who)} is no longer on call from ${minuteUtc(s.from)} until ${minuteUtc(s.until)}`;
  });
}

/** `/pgwarden oncall note <text>`: the default matrix's handover note, left as the sender; `clear` takes it back. */
async function leaveNote(form: URLSearchParams, args: string[], o: CommandOptions): Promise<string> {
  const refused = await o.actors?.refusal(form.get('user_id') || undefined);
  if (refused) return refused;
  if (!args.length)
    return '`/pgwarden oncall note <text>`: what whoever comes on call next should know, told with the handover (`/pgwarden oncall note clear` takes it back)';
  const clear = args.length === 1 && args[0].toLowerCase() === 'clear';
  const by = `${form.get('user_name') || form.get('user_id') || 'someone'} (Slack)`;
  return answerLater(
    form,
    o,
    clear ? 'Taking the handover note back…' : 'Leaving the handover note…',
    'No note was left',
    async () => {
      const { note } = await o.backend.leaveHandoverNote({ matrix: 'default', text: clear ? '' : args.join(' '), by });
      return note
        ? `Handover note left for whoever comes on call next: “${slackText(note.text)}” (to take it back: \`/pgwarden oncall note clear\`)`
        : 'Handover note taken back.';
    },
  );
}

/**
 * Says `now` at once and the outcome of `work` at the command's response_url a moment later:
 * Slack wants a command's own reply within 3 s, and Temporal and Slack's API may take longer.
 */
function answerLater(form: URLSearchParams, o: CommandOptions, now: string, failed: string, work: () => Promise<string>): string {
  const url = form.get('response_url');
  if (!o.respond || !url || !responseUrlAllowed(url, o.apiUrl))
    return 'Slack sent no address to answer this command at: try again';
  void work()
    .catch((err: Error) => `${failed}: ${err.message}`)
    .then((text) => o.respond!(url, { response_type: 'ephemeral', text }))
    .catch((err: Error) =>
      process.stderr.write(`console: the answer to a /pgwarden command could not be posted (${err.message})\n`),
    );
  return now;
}

/** The Slack user's e-mail address (users.info, users:read.email), or null when Slack gives none. */
async function emailOf(app: SlackAppSettings, userId: string): Promise<string | null> {
  const reply = await readSlack(app, 'users.info', { user: userId }, 5000);
  const email = (reply.user as { profile?: { email?: unknown } } | undefined)?.profile?.email;
  return typeof email === 'string' && email ? email : null;
}

/** Who is on call in each rotation, until when, and who next. Pure. */
export function onCallText(onCall: OnCallNow[]): string {
  if (!onCall.length)
    return 'No on-call rotation is configured (ESCALATION_ONCALL): an incident alerts the whole of level 1 at once.';
  return onCall
    .map(
      (c) =>
        `On call${onCall.length > 1 ? ` (${slackText(c.matrix)})` : ''}: *${slackText(c.who)}* until ${minuteUtc(c.until)}${c.next ? `, then ${slackText(c.next)}` : ''}${
          c.backup
            ? `; backup ${slackText(c.backup.who)} if an incident is not acknowledged within ${c.backup.afterMinutes} min`
            : ''
        }${
          c.note
            ? `\n_Note for ${c.next ? slackText(c.next) : 'the next shift'} from ${slackText(c.note.by)}:_ ${slackText(c.note.text)}`
            : ''
        }`,
    )
    .concat(onCall[0].unread ? [`_As configured: ${slackText(onCall[0].unread)}_`] : [])
    .join('\n');
}

/** The open incidents, one line each, linked to the console. Pure. */
export function boardText(board: Board, publicUrl: string): string {
  const lines = board.incidents.map((s) => {
    const lead = leaderOf(s.escalation);
    const levels = alertedWords(s);
    return `*[${s.severity}] ${s.database}*: ${slackText(s.summary)} (<${publicUrl}/incidents/${encodeURIComponent(s.incidentId)}|${s.incidentId}>) - ${STEP_TITLES[s.step]} (${s.stepStatus}); ${lead ? `led by ${lead}` : '*not acknowledged*'}; alerted: ${levels}`;
  });
  for (const u of board.unanswered)
    lines.push(`*[${u.severity}] ${u.database}*: ${u.incidentId}: no worker answered for it, so its state is unknown`);
  return lines.length ? lines.join('\n') : 'No open incident.';
}
