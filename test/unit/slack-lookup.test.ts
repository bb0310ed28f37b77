import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret } from '../../src/infra/config/secret';
import { slackUserByEmail } from '../../src/infra/notify/slack-lookup';

describe('who an address is in Slack (users.lookupByEmail)', () => {
  let server: Server;
  let apiUrl: string;
  const asked: Array<{ url?: string; auth?: string }> = [];
  beforeAll(async () => {
    // Slack's answers: carol is in the workspace; dan is not; a token without the scope is refused.
    server = createServer((req, res) => {
      asked.push({ url: req.url, auth: req.headers.authorization });
      const email = new URL(req.url ?? '', 'http://x').searchParams.get('email');
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization === 'Bearer xoxb-no-scope')
        return res.end(JSON.stringify({ ok: false, error: 'missing_scope', needed: 'users:read.email' }));
      res.end(
        JSON.stringify(email === 'carol@x.io' ? { ok: true, user: { id: 'U0CAROL' } } : { ok: false, error: 'users_not_found' }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('gives the user id, or why there is none, never the token', async () => {
    const app = { token: new Secret('xoxb-secret-token'), apiUrl };
    expect(await slackUserByEmail(app, 'carol@x.io')).toEqual({ id: 'U0CAROL' });
    expect(asked[0]).toEqual({ url: '/api/users.lookupByEmail?email=carol%40x.io', auth: 'Bearer xoxb-secret-token' });
    const missing = await slackUserByEmail(app, 'dan@x.io');
    expect(missing).toEqual({ none: expect.stringContaining('users_not_found') });
    const noScope = await slackUserByEmail({ ...app, token: new Secret('xoxb-no-scope') }, 'carol@x.io');
    expect(noScope).toEqual({ none: expect.stringContaining('missing_scope') });
    expect(JSON.stringify([missing, noScope])).not.toContain('xoxb');
    const unreachable = await slackUserByEmail({ ...app, apiUrl: 'http://127.0.0.1:1/api' }, 'carol@x.io');
    expect(unreachable).toEqual({ none: expect.any(String) });
  });
});
