/**
 * A PgBouncer in front of a test server, in the pool mode a test asks for, on a free port:
 * a database reached through a connection pool, as many production ones are.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralPort } from '../../src/infra/net/ports';
import { handOver, instanceUser } from '../../src/infra/postgres/instance';
import { ensurePgBouncer } from '../../devstack/services/pgbouncer';

export interface PgBouncer {
  port: number;
  /** The upstream URL with PgBouncer's port in place of the server's. */
  url: string;
  stop(): Promise<void>;
}

/** `settings`: [pgbouncer] settings beside the usual ones (default_pool_size 20). */
export async function startPgBouncer(
  upstreamUrl: string,
  poolMode: 'session' | 'transaction' | 'statement',
  settings: Record<string, string> = {},
): Promise<PgBouncer> {
  const program = ensurePgBouncer(() => undefined);
  const upstream = new URL(upstreamUrl);
  const port = await ephemeralPort();
  const runAs = instanceUser(); // PgBouncer refuses to run as root
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-pgbouncer-'));
  handOver(dir, runAs);
  const user = decodeURIComponent(upstream.username);
  const password = decodeURIComponent(upstream.password);
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" "${password}"\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.hostname} port=${upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `pool_mode = ${poolMode}`,
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      ...Object.entries({ default_pool_size: '20', ...settings }).map(([k, v]) => `${k} = ${v}`),
    ].join('\n') + '\n',
  );
  for (const f of ['userlist.txt', 'pgbouncer.ini']) handOver(join(dir, f), runAs);
  const child = spawn(program, [join(dir, 'pgbouncer.ini')], { uid: runAs.uid, gid: runAs.gid, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await listening(port, exited);
  const url = new URL(upstreamUrl);
  url.port = String(port);
  return {
    port,
    url: url.toString(),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function listening(port: number, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 100 && !gone; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      }).once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pgbouncer did not listen on 127.0.0.1:${port}${gone ? ' (it exited; see its log)' : ''}`);
}
