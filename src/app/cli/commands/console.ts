/**
 * `pgwarden console`: the incident console (src/app/console/) on CONSOLE_HOST:CONSOLE_PORT,
 * over a Temporal client, until stopped; `pgwarden console hash-password` makes the hash an
 * operator's entry in CONSOLE_OPERATORS holds (the password itself is never configured).
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { UsageError } from '../../../infra/errors/errors';
import { slackGroupsIn } from '../../../infra/notify/slack-user-id';
import { hashPassword } from '../../console/auth';
import { CommandContext } from '../context';

export async function runConsoleCommand(ctx: CommandContext, options: { port?: string }): Promise<void> {
  const config = ctx.config();
  const settings = { ...config.console };
  if (options.port !== undefined) {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port ${options.port}: a port from 0 to 65535`);
    settings.port = port;
  }
  // Refused before listening: a console that cannot tell who acts, or sign what it hands out, is not started.
  if (!settings.sessionSecret)
    throw new UsageError(
      'CONSOLE_SESSION_SECRET is not set: the console signs its sessions, forms and links with it (openssl rand -base64 48)',
    );
  if (!settings.trustedUserHeader && settings.operators.size === 0)
    throw new UsageError(
      'nobody can log in: set CONSOLE_OPERATORS (name:hash from pgwarden console hash-password) or CONSOLE_TRUSTED_USER_HEADER behind oauth2-proxy',
    );
  const groups = slackGroupsIn(settings.slackAllowedUsers);
  if (groups.length && !config.notifications.slackApp)
    throw new UsageError(
      `SLACK_ALLOWED_USERS names user group ${groups.join(', ')}, which the console reads with the Slack app's token: set SLACK_BOT_TOKEN (with the usergroups:read scope), or name the users`,
    );
  const { createConsoleServer } = await import('../../console/server');
  const { temporalBackend } = await import('../../console/backend');
  const client = await ctx.temporalClient();
  const server = createConsoleServer({
    settings,
    backend: temporalBackend(client, config),
    slackApp: config.notifications.slackApp,
  });
  server.listen(settings.port, settings.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  process.stdout.write(
    `pgwarden console on http://${settings.host}:${port} (people reach it at ${settings.publicUrl}); Ctrl-C stops it\n`,
  );
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  server.close();
  await client.connection.close();
}

/** Reads a password from stdin (not an argument: it would stay in the shell's history) and prints its hash. */
export async function runHashPassword(): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const [line] = (await once(rl, 'line')) as [string];
  rl.close();
  if (!line || line.length < 12) throw new UsageError('a console password needs at least 12 characters');
  process.stdout.write(`${hashPassword(line)}\n`);
}
