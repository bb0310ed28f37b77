/**
 * `pgwarden console`: the incident console over HTTP, with node:http alone. Every page but the
 * login and a signed acknowledgement link needs a person (an operator's session, or a trusted
 * proxy's user header); every form post carries the CSRF token of that person; every action
 * is the incident's own Update, sent as that person. Nothing secret in a page or a URL but the
 * acknowledgement link's own signature, which grants that one acknowledgement until it expires.
 */
import { createHash } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ConsoleSettings } from '../../infra/config/console';
import type { SlackAppSettings } from '../../infra/config/notifications';
import { ActionRefused, ConsoleBackend } from './backend';
import type { IncidentState } from '../../operations/dr/incident';
import { PgwardenError } from '../../infra/errors/errors';
import { csrfToken, csrfValid, readSession, signSession, verifyPassword } from './auth';
import { readActionToken } from '../../infra/crypto/action-links';
import { slackRequestProblem } from '../../infra/notify/slack-interaction';
import { answerSlack, postToResponseUrl } from './slack-actions';
import { SlackActors } from './slack-actors';
import { answerSlackCommand } from './slack-commands';
import { answerPagerDuty } from './pagerduty-hook';
import { pagerDutyRequestProblem } from '../../infra/notify/pagerduty-webhook';
import { LoginThrottle } from './login-throttle';
import { SharedReads } from './shared-reads';
import { CALENDAR_SHIFTS, handoverNoteFromForm, onCallPage, SHIFTS_SHOWN, standInFromForm } from './oncall-page';
import { shiftCalendar } from '../../operations/dr/shift-calendar';
import { shiftOfView } from '../../operations/dr/on-call';
import {
  backupsPage,
  boardPage,
  confirmAckPage,
  ConsoleAction,
  databasesPage,
  escapeHtml,
  incidentPage,
  layout,
  LIVE_SCRIPT,
  loginPage,
} from './pages';

const SESSION_COOKIE = 'pgwarden_session';
const ACTIONS: ConsoleAction[] = [
  'ack',
  'assess',
  'select',
  'approve',
  'resume',
  'retry',
  'skip',
  'abort',
  'note',
  'escalate',
  'responder',
];
const DONE: Record<ConsoleAction | 'open', string> = {
  open: 'incident opened: level 1 is alerted',
  ack: 'acknowledged',
  assess: 'assessment recorded',
  select: 'selection recorded',
  approve: 'restore approved',
  resume: 'operations resumed: the incident closes',
  retry: 'retrying the step',
  skip: 'step skipped',
  abort: 'incident aborted',
  note: 'update posted',
  escalate: 'escalated: the level is alerted now',
  responder: 'asked to help: they are mailed now, and get the updates from here on',
};

export interface ConsoleOptions {
  settings: ConsoleSettings;
  backend: ConsoleBackend;
  /** The Slack bot (SLACK_BOT_TOKEN, SLACK_CHANNEL): opens the Escalate form from a notice. */
  slackApp?: SlackAppSettings;
  now?: () => Date;
}

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    // Only the console's own script, no framing, no referrer (an acknowledgement link never leaks onwards).
    'content-security-policy':
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(html);
}

const redirect = (res: ServerResponse, to: string, headers: Record<string, string> = {}) => {
  res.writeHead(303, { location: to, 'cache-control': 'no-store', ...headers });
  res.end();
};

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 * 1024) throw new Error('form too large');
  }
  return body;
}

const readForm = async (req: IncomingMessage) => Object.fromEntries(new URLSearchParams(await readBody(req)));

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** What a page shows, as a short fingerprint: live.js reloads the page when it changes. */
const versionOf = (shown: unknown) => createHash('sha256').update(JSON.stringify(shown)).digest('base64url').slice(0, 16);

/** A same-site path to return to after logging in, never another site. */
const safeNext = (next: string | undefined) => (next && /^\/(?!\/)[^\s]*$/.test(next) ? next : '/');

export function createConsoleServer(o: ConsoleOptions): Server {
  const { settings, backend } = o;
  const now = o.now ?? (() => new Date());
  const logins = new LoginThrottle();
  // Every open page polls every 3 s; viewers of the same page share one read per second.
  const liveReads = new SharedReads<unknown>(1000);
  const secret = settings.sessionSecret!.reveal();
  const secure = settings.publicUrl.startsWith('https://') ? '; Secure' : '';
  // One for the server: the groups' members it read are kept across requests.
  const slackActors = new SlackActors(settings.slackAllowedUsers, o.slackApp, () => now().getTime());

  /** Who is acting: the trusted proxy's user, or the session's operator; null when nobody logged in. */
  const who = (req: IncomingMessage): string | null => {
    if (settings.trustedUserHeader) {
      const v = req.headers[settings.trustedUserHeader];
      return typeof v === 'string' && v.trim() ? v.trim() : null;
    }
    return readSession(cookie(req, SESSION_COOKIE), secret, now().getTime())?.user ?? null;
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    if (path === '/healthz') return send(res, 200, 'ok', { 'content-type': 'text/plain' });
    if (path === '/live.js') return send(res, 200, LIVE_SCRIPT, { 'content-type': 'text/javascript; charset=utf-8' });

    // A level 1 mail's link: the signed token is the credential, for this one acknowledgement.
    if (path === '/ack') {
      const token = readActionToken(url.searchParams.get('t') ?? '', secret, now().getTime());
      if ('problem' in token) return send(res, 403, confirmAckPage({ incidentId: '', by: '', error: token.problem }));
      if (req.method === 'POST') {
        try {
          // The link was mailed to one reader: reminders to post an update reach them there.
          await backend.act(token.incidentId, 'ack', {}, token.by, token.email ? { email: token.email } : undefined);
          return send(res, 200, confirmAckPage({ ...token, done: true }));
        } catch (err) {
          if (err instanceof ActionRefused) return send(res, 409, confirmAckPage({ ...token, error: err.message }));
          throw err;
        }
      }
      const s = await backend.incident(token.incidentId);
      return send(res, 200, confirmAckPage({ ...token, summary: s?.summary }));
    }

    // Slack: a click on a notice's button or a form's submission, or `/pgwarden` typed. Slack's
    // signature is the credential, its user who acts.
    if ((path === '/slack/actions' || path === '/slack/commands') && req.method === 'POST' && settings.slackSigningSecret) {
      const body = await readBody(req);
      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
      const problem = slackRequestProblem(
        settings.slackSigningSecret.reveal(),
        { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') },
        body,
        now().getTime(),
      );
      if (problem) {
        process.stderr.write(`console: refused a Slack request: ${problem}\n`);
        return send(res, 401, 'not signed by Slack', { 'content-type': 'text/plain' });
      }
      const json = (reply: object | null) =>
        reply
          ? send(res, 200, JSON.stringify(reply), { 'content-type': 'application/json' })
          : send(res, 200, '', { 'content-type': 'text/plain' });
      // A command whose form opened has nothing to say: an empty reply, which Slack shows as nothing.
      if (path === '/slack/commands')
        return json(
          await answerSlackCommand(body, {
            backend,
            slackApp: o.slackApp,
            publicUrl: settings.publicUrl,
            actors: slackActors,
            respond: postToResponseUrl,
            apiUrl: settings.slackApiUrl,
            now,
          }),
        );
      const answer = await answerSlack(body, {
        backend,
        nowMs: now().getTime(),
        respond: postToResponseUrl,
        apiUrl: settings.slackApiUrl,
        slackApp: o.slackApp,
        actors: slackActors,
      });
      // A submitted form: an empty reply closes it, `errors` shows on its fields.
      if ('submission' in answer) return json(answer.submission);
      return json({ response_type: 'ephemeral', replace_original: false, text: answer.text });
    }

    // PagerDuty's webhook: its signature is the credential, the PagerDuty user who acts.
    if (path === '/pagerduty/webhook' && req.method === 'POST' && settings.pagerDutyWebhookSecret) {
      const body = await readBody(req);
      const signature = req.headers['x-pagerduty-signature'];
      const problem = pagerDutyRequestProblem(
        settings.pagerDutyWebhookSecret.reveal(),
        typeof signature === 'string' ? signature : undefined,
        body,
      );
      const text = (status: number, line: string) => send(res, status, line, { 'content-type': 'text/plain' });
      if (problem) {
        process.stderr.write(`console: refused a PagerDuty request: ${problem}\n`);
        return text(401, 'not signed by PagerDuty');
      }
      const answer = await answerPagerDuty(body, backend, (line) => process.stderr.write(`console: ${line}\n`));
      if (answer.status !== 200 || !answer.text.startsWith('ignored'))
        process.stderr.write(`console: PagerDuty: ${answer.text}\n`);
      return text(answer.status, answer.text);
    }

    if (path === '/login' && !settings.trustedUserHeader) {
      if (req.method !== 'POST') return send(res, 200, loginPage({ next: url.searchParams.get('next') ?? '/' }));
      const form = await readForm(req);
      const attempt = JSON.stringify([form.user ?? '', req.socket.remoteAddress ?? '']);
      const waitMs = logins.waitMs(attempt, now().getTime());
      if (waitMs > 0)
        return send(
          res,
          429,
          loginPage({
            error: `too many failed logins for this name from here: try again in ${Math.ceil(waitMs / 60_000)} min, or ask another operator`,
            next: form.next,
          }),
        );
      const hash = settings.operators.get(form.user ?? '');
      if (!hash || !verifyPassword(form.password ?? '', hash)) {
        logins.failed(attempt, now().getTime());
        await new Promise((r) => setTimeout(r, 500)); // a guess costs time
        return send(res, 401, loginPage({ error: 'unknown name or wrong password', next: form.next }));
      }
      logins.succeeded(attempt);
      const value = signSession({ user: form.user, exp: now().getTime() + settings.sessionHours * 3_600_000 }, secret);
      return redirect(res, safeNext(form.next), {
        'set-cookie': `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${settings.sessionHours * 3600}${secure}`,
      });
    }
    if (path === '/logout' && req.method === 'POST')
      return redirect(res, '/login', {
        'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure}`,
      });

    const user = who(req);
    if (!user) {
      if (settings.trustedUserHeader)
        return send(res, 401, layout('sign in', `<p class="error">Sign in through the proxy in front of this console.</p>`));
      return redirect(res, `/login?next=${encodeURIComponent(path)}`);
    }
    // The CSRF token is bound to the person: a page rendered for one cannot be posted as another.
    const csrf = csrfToken(user, secret);
    const stale = () =>
      send(
        res,
        403,
        layout('refused', '<p class="error">This form is stale or was not sent from this console: reload the page.</p>', {
          user,
        }),
      );
    /** The incident page, with the backups and window to choose from while the selection is awaited. */
    const showIncident = async (s: IncidentState, status: number, extra: { error?: string; done?: string }) => {
      const options =
        s.status === 'open' &&
        ((s.step === 'select' && s.stepStatus === 'waiting') || (s.step === 'restore' && s.stepStatus === 'failed'))
          ? await backend.recoveryOptions(s.database).catch(() => null)
          : undefined;
      return send(res, status, incidentPage(s, { csrf, user, now: now(), version: versionOf(s), options, ...extra }));
    };

    const board = async (status: number, error?: string) => {
      const open = await backend.openIncidents();
      const o = {
        databases: backend.databases(),
        csrf,
        version: versionOf(open),
        error,
        unanswered: open.unanswered,
        onCall: await backend.onCall(now()),
      };
      return send(res, status, boardPage(open.incidents, now(), user, o));
    };
    if (path === '/' && req.method === 'GET') return board(200);

    // What live.js asks every few seconds: the fingerprint of what the page shows now.
    if (path === '/live' && req.method === 'GET') {
      const of = url.searchParams.get('of') ?? 'board';
      const shown = await liveReads.read(of, () => (of === 'board' ? backend.openIncidents() : backend.incident(of)));
      return send(res, 200, versionOf(shown), { 'content-type': 'text/plain' });
    }

    if (path === '/incidents' && req.method === 'POST') {
      const form = await readForm(req);
      if (!csrfValid(user, form.csrf, secret)) return stale();
      try {
        const opened = await backend.open(form, user);
        return redirect(res, `/incidents/${encodeURIComponent(opened.id)}?done=open`);
      } catch (err) {
        if (!(err instanceof ActionRefused)) throw err;
        return board(400, err.message);
      }
    }

    // The on-call page: the shifts, the stand-ins, setting one and taking one back.
    const onCall = async (status: number, shown: { error?: string; done?: string } = {}) =>
      send(
        res,
        status,
        onCallPage(await backend.roster(now(), SHIFTS_SHOWN, { review: true }), { user, csrf, now: now(), ...shown }),
      );
    if (path === '/oncall' && req.method === 'GET') {
      const id = url.searchParams.get('id') ?? '';
      const said = url.searchParams.get('done') ?? '';
      const done = /^s\d+$/.test(id)
        ? {
            set: `Stand-in ${id} set: they and whoever the rotation has on call are told by e-mail.`,
            removed: `Stand-in ${id} taken back: the rotation holds again.`,
          }[said]
        : { note: 'Handover note left: it is told to whoever comes on call next.', 'note-cleared': 'Handover note taken back.' }[
            said
          ];
      return onCall(200, { done });
    }
    if (path === '/oncall/note' && req.method === 'POST') {
      const form = await readForm(req);
      if (!csrfValid(user, form.csrf, secret)) return stale();
      try {
        const { note } = await backend.leaveHandoverNote(handoverNoteFromForm(form, user));
        return redirect(res, `/oncall?done=${note ? 'note' : 'note-cleared'}`);
      } catch (err) {
        if (!(err instanceof ActionRefused)) throw err;
        return onCall(400, { error: err.message });
      }
    }
    // A rotation's coming shifts as a calendar file, everyone's or one person's (the CLI's dr oncall --ics [--who]).
    if (path === '/oncall.ics' && req.method === 'GET') {
      const matrix = url.searchParams.get('matrix') ?? 'default';
      const who = url.searchParams.get('who')?.trim() || undefined;
      const rotation = (await backend.roster(now(), CALENDAR_SHIFTS)).rotations.find((r) => r.matrix === matrix);
      if (!rotation)
        return send(res, 404, layout('not found', `<p class="error">No on-call rotation "${escapeHtml(matrix)}".</p>`, { user }));
      // A misspelt address would download an empty calendar that looks like a quiet month.
      if (who && !rotation.shifts.some((s) => s.who === who || s.backup === who || s.backups?.some((p) => p.backup === who)))
        return send(
          res,
          404,
          layout(
            'not found',
            `<p class="error">${escapeHtml(who)} has no shift, on call or as the backup, in the next ${CALENDAR_SHIFTS} shifts of "${escapeHtml(matrix)}".</p><p><a href="/oncall">back to on call</a></p>`,
            { user },
          ),
        );
      const shifts = rotation.shifts.map(shiftOfView);
      // The matrix is a configured name; the address is kept to safe characters for the header.
      const named = who ? `-${who.replace(/[^A-Za-z0-9.@-]/g, '-')}` : '';
      return send(res, 200, shiftCalendar(shifts, { matrix, now: now(), ...(who ? { who } : {}) }), {
        'content-type': 'text/calendar; charset=utf-8',
        'content-disposition': `attachment; filename="pgwarden-oncall-${matrix}${named}.ics"`,
      });
    }
    if ((path === '/oncall' || path === '/oncall/remove') && req.method === 'POST') {
      const form = await readForm(req);
      if (!csrfValid(user, form.csrf, secret)) return stale();
      try {
        const standIn =
          path === '/oncall'
            ? await backend.standIn(standInFromForm(form, user, now()))
            : await backend.removeStandIn(form.id?.trim() ?? '');
        return redirect(res, `/oncall?done=${path === '/oncall' ? 'set' : 'removed'}&id=${encodeURIComponent(standIn.id)}`);
      } catch (err) {
        if (!(err instanceof ActionRefused)) throw err;
        return onCall(400, { error: err.message });
      }
    }

    if (path === '/backups' && req.method === 'GET') {
      const databases = backend.databases();
      if (databases.length === 1) return redirect(res, `/backups/${encodeURIComponent(databases[0])}`);
      return send(res, 200, databasesPage(databases, user));
    }
    const b = /^\/backups\/([^/]+)$/.exec(path);
    if (b && req.method === 'GET') {
      const database = decodeURIComponent(b[1]);
      const options = await backend.recoveryOptions(database);
      if (!options)
        return send(
          res,
          404,
          layout('not found', `<p class="error">${escapeHtml(database)} is not a configured database.</p>`, { user }),
        );
      return send(res, 200, backupsPage(database, options, user, now()));
    }

    const m = /^\/incidents\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    if (m) {
      const id = decodeURIComponent(m[1]);
      const action = m[2] as ConsoleAction | undefined;
      if (!action && req.method === 'GET') {
        const s = await backend.incident(id);
        if (!s)
          return send(res, 404, layout('not found', `<p class="error">${escapeHtml(id)} is not an incident.</p>`, { user }));
        const done = url.searchParams.get('done') as keyof typeof DONE | null;
        return showIncident(s, 200, { done: done && DONE[done] ? DONE[done] : undefined });
      }
      if (action && ACTIONS.includes(action) && req.method === 'POST') {
        const form = await readForm(req);
        if (!csrfValid(user, form.csrf, secret)) return stale();
        try {
          await backend.act(id, action, form, user);
          return redirect(res, `/incidents/${encodeURIComponent(id)}?done=${action}`);
        } catch (err) {
          if (!(err instanceof ActionRefused)) throw err;
          const s = await backend.incident(id);
          if (!s)
            return send(res, 404, layout('not found', `<p class="error">${escapeHtml(id)} is not an incident.</p>`, { user }));
          return showIncident(s, 400, { error: err.message });
        }
      }
    }
    return send(res, 404, layout('not found', '<p class="error">No such page.</p>', { user }));
  }

  return createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      // The reason goes to the console's log; the page says only that it failed (no stack, no internals),
      // or pgwarden's own one-line reason (no worker answers), which is written for people.
      process.stderr.write(`console: ${req.method} ${req.url?.split('?')[0]}: ${(err as Error).message}\n`);
      if (res.headersSent) return void res.end();
      if (err instanceof PgwardenError)
        return send(res, 503, layout('unavailable', `<p class="error" role="alert">${escapeHtml(err.message)}</p>`));
      send(res, 502, layout('error', '<p class="error">The console could not reach Temporal or the incident; try again.</p>'));
    });
  });
}
