/**
 * The incident console over real HTTP with the Temporal side faked (the workflow test drives it
 * against a real incident): who may act, CSRF, escaping, inline refusals, acknowledgement links.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { csrfToken, hashPassword, readSession, signSession, verifyPassword } from '../../src/app/console/auth';
import { actionToken } from '../../src/infra/crypto/action-links';
import { actionInput, ActionRefused, ConsoleBackend } from '../../src/app/console/backend';
import { createConsoleServer } from '../../src/app/console/server';
import { parseOperators, type ConsoleSettings } from '../../src/infra/config/console';
import { openingState } from '../../src/operations/dr/incident-machine';
import type { IncidentState } from '../../src/operations/dr/incident';
import { Secret } from '../../src/infra/config/secret';

const SECRET = 'a-console-secret-of-at-least-32-characters';
const now = new Date('2026-11-30T10:30:00Z');

function incident(over: Partial<IncidentState> = {}): IncidentState {
  const s = openingState(
    'dr-shop-1',
    { summary: 'orders <script>alert(1)</script> lost', database: 'shop' },
    new Date('2026-11-30T10:00:00Z'),
  );
  return { ...s, step: 'assess', stepStatus: 'waiting', waitingFor: 'the assessment', ...over };
}

function fakeBackend(state: IncidentState) {
  const acts: Array<{ id: string; action: string; input: Record<string, unknown> }> = [];
  const backend: ConsoleBackend = {
    openIncidents: async () => [state],
    incident: async (id) => (id === state.incidentId ? state : null),
    act: async (id, action, form, by) => {
      const input = actionInput(action, form, by);
      if (action === 'assess' && input.customerImpact === undefined)
        throw new ActionRefused('"customerImpact" is required: true if customers see the outage, else false');
      acts.push({ id, action, input });
      return state;
    },
  };
  return { backend, acts };
}

async function start(settings: Partial<ConsoleSettings>, backend: ConsoleBackend): Promise<{ server: Server; url: string }> {
  const server = createConsoleServer({
    settings: {
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'http://console.example',
      operators: new Map([['alice', hashPassword('correct horse battery')]]),
      trustedUserHeader: null,
      sessionSecret: new Secret(SECRET),
      sessionHours: 12,
      ackLinkHours: 24,
      ...settings,
    },
    backend,
    now: () => now,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  redirect: 'manual' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('console auth', () => {
  it('hashes passwords with a salt and checks them in constant time', () => {
    const h = hashPassword('correct horse battery');
    expect(h).toMatch(/^scrypt\$[\w-]+\$[\w-]+$/);
    expect(hashPassword('correct horse battery')).not.toBe(h);
    expect(verifyPassword('correct horse battery', h)).toBe(true);
    expect(verifyPassword('wrong', h)).toBe(false);
    expect(verifyPassword('x', 'plain')).toBe(false);
  });

  it('reads operators as name:hash and refuses a password written in clear', () => {
    const h = hashPassword('correct horse battery');
    expect(parseOperators(`alice:${h}, bob:${h}`).operators.size).toBe(2);
    expect(parseOperators('alice:hunter2').problems).toEqual([
      'alice: the password must be a hash from pgwarden console hash-password (scrypt$...), never the password',
    ]);
  });

  it('signs sessions: a changed, foreign or expired cookie is nobody', () => {
    const c = signSession({ user: 'alice', exp: now.getTime() + 1000 }, SECRET);
    expect(readSession(c, SECRET, now.getTime())).toEqual({ user: 'alice', exp: now.getTime() + 1000 });
    expect(readSession(c, SECRET, now.getTime() + 2000)).toBeNull();
    expect(readSession(c, 'another-secret-of-at-least-32-characters!', now.getTime())).toBeNull();
    const forged = Buffer.from(JSON.stringify({ user: 'mallory', exp: now.getTime() + 1000 })).toString('base64url');
    expect(readSession(`${forged}.${c.split('.')[1]}`, SECRET, now.getTime())).toBeNull();
  });
});

describe('the console over HTTP', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('asks who you are, then shows the board and the incident with only the forms it waits for, everything escaped', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const first = await fetch(`${s.url}/`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/login?next=%2F');
    const wrong = await fetch(`${s.url}/login`, form({ user: 'alice', password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('unknown name or wrong password');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const ok = await fetch(`${s.url}/login`, form({ user: 'alice', password: 'correct horse battery', next: '//evil.example' }));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/'); // never to another site
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^pgwarden_session=[\w-]+\.[\w-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    const headers = { cookie: cookie.split(';')[0] };

    const board = await fetch(`${s.url}/`, { headers });
    expect(board.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(board.headers.get('x-frame-options')).toBe('DENY');
    const html = await board.text();
    expect(html).toContain('orders &lt;script&gt;alert(1)&lt;/script&gt; lost');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<strong>not acknowledged</strong>');

    const page = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    const actions = [...page.matchAll(/data-action="(\w+)"/g)].map((m) => m[1]);
    expect(actions).toEqual(['ack', 'assess', 'skip', 'abort']);
    expect(page).toContain(`name="csrf" value="${csrfToken('alice', SECRET)}"`);
    expect(page).not.toContain(SECRET);
  });

  it('acts as the person logged in, only with their CSRF token, and shows a refusal inline', async () => {
    const { backend, acts } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const post = (action: string, fields: Record<string, string>) =>
      fetch(`${s.url}/incidents/dr-shop-1/${action}`, { ...form(fields), headers: { ...form(fields).headers, ...headers } });

    expect((await post('assess', { scope: 'orders', customerImpact: 'no' })).status).toBe(403); // no token
    expect((await post('assess', { scope: 'orders', customerImpact: 'no', csrf: csrfToken('bob', SECRET) })).status).toBe(403);
    const refused = await post('assess', { scope: 'orders', csrf: csrfToken('alice', SECRET) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('&quot;customerImpact&quot; is required');
    const done = await post('assess', {
      scope: 'orders since 02:00',
      customerImpact: 'yes',
      notes: '',
      csrf: csrfToken('alice', SECRET),
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/incidents/dr-shop-1?done=assess');
    expect(acts).toEqual([
      { id: 'dr-shop-1', action: 'assess', input: { by: 'alice', dataLossScope: 'orders since 02:00', customerImpact: true } },
    ]);
  });

  it("acknowledges from a mail's signed link after a confirmation, and refuses one changed or expired", async () => {
    const { backend, acts } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const token = actionToken(
      { incidentId: 'dr-shop-1', by: 'devops@example.com', exp: now.getTime() + 3_600_000, action: 'ack' },
      SECRET,
    );
    const confirm = await fetch(`${s.url}/ack?t=${token}`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Acknowledge <strong>dr-shop-1</strong>');
    expect(acts).toEqual([]); // opening the link does nothing
    const ok = await fetch(`${s.url}/ack?t=${token}`, { method: 'POST' });
    expect(await ok.text()).toContain('Acknowledged dr-shop-1 as devops@example.com');
    expect(acts).toEqual([{ id: 'dr-shop-1', action: 'ack', input: { by: 'devops@example.com' } }]);

    const expired = actionToken({ incidentId: 'dr-shop-1', by: 'x', exp: now.getTime() - 1, action: 'ack' }, SECRET);
    expect(await (await fetch(`${s.url}/ack?t=${expired}`, { method: 'POST' })).text()).toContain('this link has expired');
    const changed = token.replace(/^./, (c) => (c === 'e' ? 'f' : 'e'));
    expect((await fetch(`${s.url}/ack?t=${changed}`, { method: 'POST' })).status).toBe(403);
    expect(acts).toHaveLength(1);
  });

  it('behind a trusted proxy takes its user header, and without it refuses', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({ trustedUserHeader: 'x-forwarded-user', operators: new Map() }, backend);
    server = s.server;
    expect((await fetch(`${s.url}/`)).status).toBe(401);
    const board = await fetch(`${s.url}/`, { headers: { 'X-Forwarded-User': 'carol@example.com' } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('carol@example.com');
  });
});
