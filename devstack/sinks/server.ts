/**
 * Capturing stand-ins for the outside world: an SMTP server that keeps every message it is
 * given (with login required, so credentials are really exercised) and an HTTP receiver for
 * Slack incoming webhooks. Both are inspectable over HTTP, which is how tests assert on what
 * actually arrived.
 *
 *   POST /slack/...        a webhook call; a path containing /fail answers 500, like an outage
 *   POST /slack-api/chat.postMessage   Slack's Web API as a bot sees it: a Bearer token, a reply
 *                          with the message's ts (captured like a webhook; token "xoxb-invalid" is refused)
 *   POST /slack-api/views.open, chat.postEphemeral, chat.update, auth.test   the same: a form opened for a
 *                          trigger_id ("expired" is refused, as Slack does after 3 s), a message to one user,
 *                          a message edited in place, a token checked
 *   GET  /slack-api/users.lookupByEmail?email=ADDRESS   a Slack user for an address: U + the address's
 *                          letters and digits, upper-cased, at most 20 (one starting "noslack" is users_not_found)
 *   POST /pagerduty/v2/enqueue   PagerDuty's Events API v2: checked as PagerDuty checks an event (400
 *                          with its errors), 202 and captured; a routing key starting "throttle" gets
 *                          429 the first time for each dedup_key, as PagerDuty throttles
 *   GET  /api/mail         captured messages, newest last     (?contains=TEXT filters)
 *   GET  /api/webhooks     captured webhook calls, newest last (?contains=TEXT filters)
 *   DELETE /api/mail | /api/webhooks
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  id: number;
  receivedAt: string;
  authUser?: string;
  envelopeFrom?: string;
  envelopeTo: string[];
  subject: string;
  text: string;
}

export interface CapturedWebhook {
  id: number;
  receivedAt: string;
  path: string;
  status: number;
  body: unknown;
}

export interface SinkOptions {
  host?: string;
  smtpPort: number;
  httpPort: number;
  smtpUser: string;
  smtpPassword: string;
  /** Oldest entries are dropped past this many, so a long-running stack stays small. */
  keep?: number;
}

export interface Sinks {
  close(): Promise<void>;
}

export async function startSinks(options: SinkOptions): Promise<Sinks> {
  const host = options.host ?? '127.0.0.1';
  const keep = options.keep ?? 2000;
  const mail: CapturedMail[] = [];
  const webhooks: CapturedWebhook[] = [];
  let nextId = 1;
  const push = <T>(list: T[], item: T) => {
    list.push(item);
    if (list.length > keep) list.splice(0, list.length - keep);
  };

  const smtp = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.smtpUser && auth.password === options.smtpPassword)
        return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          push(mail, {
            id: nextId++,
            receivedAt: new Date().toISOString(),
            authUser: typeof session.user === 'string' ? session.user : undefined,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });

  const throttled = new Set<string>();

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const contains = url.searchParams.get('contains');
    const filter = <T>(items: T[]) => (contains ? items.filter((i) => JSON.stringify(i).includes(contains)) : items);
    (async () => {
      if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, 'ok');
      if (req.method === 'POST' && url.pathname.startsWith('/slack/')) {
        const raw = await readBody(req);
        let body: unknown = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          /* keep raw text */
        }
        const status = url.pathname.includes('/fail') ? 500 : 200;
        push(webhooks, { id: nextId++, receivedAt: new Date().toISOString(), path: url.pathname, status, body });
        return send(res, status, status === 200 ? 'ok' : 'internal_error');
      }
      if (req.method === 'POST' && url.pathname === '/pagerduty/v2/enqueue') {
        const body = JSON.parse(await readBody(req)) as PagerDutyEventBody;
        const errors = pagerDutyErrors(body);
        const status = errors.length
          ? 400
          : body.routing_key!.startsWith('throttle') && !throttled.has(body.dedup_key ?? '')
            ? 429
            : 202;
        if (status === 429) throttled.add(body.dedup_key ?? '');
        push(webhooks, { id: nextId++, receivedAt: new Date().toISOString(), path: url.pathname, status, body });
        if (status === 400) return send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
        if (status === 429)
          return send(res, 429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly' });
        return send(res, 202, { status: 'success', message: 'Event processed', dedup_key: body.dedup_key });
      }
      if (req.method === 'GET' && url.pathname === '/slack-api/users.lookupByEmail') {
        const email = url.searchParams.get('email') ?? '';
        if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) return send(res, 200, { ok: false, error: 'not_authed' });
        if (!email.includes('@') || email.startsWith('noslack')) return send(res, 200, { ok: false, error: 'users_not_found' });
        return send(res, 200, { ok: true, user: { id: slackUserFor(email), profile: { email } } });
      }
      const method = /^\/slack-api\/(chat\.postMessage|chat\.postEphemeral|chat\.update|views\.open|auth\.test)$/.exec(
        url.pathname,
      )?.[1];
      if (req.method === 'POST' && method) {
        const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
        const body = JSON.parse(await readBody(req)) as { channel?: string; trigger_id?: string };
        if (!token || token === 'xoxb-invalid') return send(res, 200, { ok: false, error: 'invalid_auth' });
        if (method === 'views.open' && !body.trigger_id) return send(res, 200, { ok: false, error: 'invalid_arguments' });
        if (method === 'views.open' && body.trigger_id === 'expired')
          return send(res, 200, { ok: false, error: 'expired_trigger_id' });
        const ts = `${Math.floor(Date.now() / 1000)}.${String(nextId).padStart(6, '0')}`;
        push(webhooks, {
          id: nextId++,
          receivedAt: new Date().toISOString(),
          path: url.pathname,
          status: 200,
          body: { ts, ...body }, // chat.update names the message it edits: its own ts is kept
        });
        const reply =
          method === 'views.open'
            ? { ok: true, view: { id: `V${nextId}` } }
            : method === 'chat.postEphemeral'
              ? { ok: true, message_ts: ts }
              : { ok: true, channel: body.channel, ts };
        return send(res, 200, reply);
      }
      if (url.pathname === '/api/mail') {
        if (req.method === 'DELETE') mail.length = 0;
        return send(res, 200, filter(mail));
      }
      if (url.pathname === '/api/webhooks') {
        if (req.method === 'DELETE') webhooks.length = 0;
        return send(res, 200, filter(webhooks));
      }
      return send(res, 404, 'not found');
    })().catch((err: Error) => send(res, 500, err.message));
  });

  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(options.smtpPort, host, () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.httpPort, host, () => resolve());
  });
  return {
    close: async () => {
      await new Promise<void>((r) => smtp.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

interface PagerDutyEventBody {
  routing_key?: string;
  event_action?: string;
  dedup_key?: string;
  payload?: { summary?: string; source?: string; severity?: string };
}

/** What PagerDuty refuses in an event: its key, its action, a trigger without summary, source or severity. */
function pagerDutyErrors(e: PagerDutyEventBody): string[] {
  const errors: string[] = [];
  if (!/^[A-Za-z0-9]{32}$/.test(e.routing_key ?? ''))
    errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action ?? '')) errors.push("'event_action' is invalid");
  if (e.event_action !== 'trigger' && !e.dedup_key) errors.push("'dedup_key' is missing or blank");
  if ((e.dedup_key ?? '').length > 255) errors.push("'dedup_key' is too long");
  if (e.event_action === 'trigger') {
    if (!e.payload?.summary) errors.push("'payload.summary' is missing or blank");
    if (!e.payload?.source) errors.push("'payload.source' is missing or blank");
    if (!['critical', 'error', 'warning', 'info'].includes(e.payload?.severity ?? ''))
      errors.push("'payload.severity' is invalid");
    if ((e.payload?.summary ?? '').length > 1024) errors.push("'payload.summary' is too long");
  }
  return errors;
}

/** The Slack user id the stand-in gives an address (users.lookupByEmail): tests compute it the same way. */
export const slackUserFor = (email: string): string =>
  `U${email
    .replace(/[^a-z0-9]/gi, '')
    .toUpperCase()
    .slice(0, 20)}`;
