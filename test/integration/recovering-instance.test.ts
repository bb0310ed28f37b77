/**
 * How a restore watches the instance it recovers. Recovery that ends short of its target stops
 * the instance under the watcher's open connection: that must read as "not answering" (the
 * instance's log then says why), never as the restore's error, and never crash the worker.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { askRecovery, connectTo, waitForPromotion } from '../../activities/recover-instance';
import { postmasterRuns } from '../../src/infra/postgres/instance';
import { connectDatabase } from '../../src/infra/postgres/client';
import { stackConfig } from '../support/stack-env';

const target = stackConfig().databases[0];
const instance = {
  host: target.host,
  port: target.port,
  user: target.user,
  database: target.database,
  password: target.password,
};

/**
 * A loopback proxy to the server that, at the client's first query, drops both sides, or first
 * answers it with `reply` (bytes of the wire protocol) in the server's place.
 */
async function proxyAtFirstQuery(reply?: Buffer, thenClose = true): Promise<{ port: number; server: Server }> {
  const server = createServer((client: Socket) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      // 'Q' starts a simple query message; the startup and password messages come before it.
      if (chunk[0] !== 0x51) return void upstream.write(chunk);
      upstream.unpipe(client);
      if (reply) client.write(reply);
      if (thenClose) {
        client.end();
        upstream.destroy();
      }
    });
    client.on('error', () => undefined);
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}
const proxyDroppingAtFirstQuery = () => proxyAtFirstQuery();

/** An ErrorResponse ('E') with its severity, SQLSTATE and message fields. */
function errorResponse(severity: string, code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[
      ['S', severity],
      ['C', code],
      ['M', message],
    ].map(([k, v]) => Buffer.from(`${k}${v}\0`)),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E');
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}
const readyForQuery = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]); // 'Z', idle

describe('watching a recovering instance', () => {
  // (What a promoted instance reports is read in every point-in-time restore of the workflow tests.)
  it('reads an instance that does not answer as not answering', async () => {
    const { port, server } = await proxyDroppingAtFirstQuery();
    server.close();
    await expect(askRecovery({ ...instance, port })).resolves.toBeUndefined();
  });

  it('reads an instance that went away while asked as not answering, not as an error', async () => {
    const { port, server } = await proxyDroppingAtFirstQuery();
    try {
      await expect(askRecovery({ ...instance, port })).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('reads a fast shutdown while asked (FATAL 57P01, as PostgreSQL sends it) as not answering', async () => {
    const fatal = errorResponse('FATAL', '57P01', 'terminating connection due to administrator command');
    const { port, server } = await proxyAtFirstQuery(fatal);
    try {
      await expect(askRecovery({ ...instance, port })).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('lets an error in the question itself through: it is no stop, and waiting would not end it', async () => {
    const { port, server } = await proxyAtFirstQuery(
      Buffer.concat([errorResponse('ERROR', '42883', 'function pg_is_in_recovery() does not exist'), readyForQuery]),
      false,
    );
    try {
      await expect(askRecovery({ ...instance, port })).rejects.toThrow('function pg_is_in_recovery() does not exist');
    } finally {
      server.close();
    }
  });

  it('lets an idle connection to an instance end under it without an unhandled error', async () => {
    const c: Client = await connectTo(instance);
    const ended = new Promise((r) => c.once('end', r));
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const admin = await connectDatabase(target);
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await ended; // an 'error' with no listener would have been thrown by now, failing this test
    await c.end().catch(() => undefined);
  }, 15_000);
});

describe('an instance that stopped while recovery was awaited', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  /** A data directory as a stopped instance leaves it: its log, and a postmaster.pid naming `pid`. */
  function dataDir(log: string[], pid?: number): string {
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-instance-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'pgwarden-instance.log'), log.join('\n'));
    if (pid !== undefined) writeFileSync(join(dir, 'postmaster.pid'), `${pid}\n${dir}\n`);
    return dir;
  }
  const gone = spawnSync('true').pid!; // a process that has exited
  const at = '2026-12-06 21:00:00.000 UTC [4242]';
  const killed = [
    `${at} LOG:  redo starts at 0/2000028`,
    `${at} LOG:  startup process (PID 4243) was terminated by signal 9: Killed`,
  ];

  it('tells a postmaster that runs from one killed or cleanly gone', () => {
    expect(postmasterRuns(dataDir([], process.pid))).toBe(true);
    expect(postmasterRuns(dataDir([], gone))).toBe(false);
    expect(postmasterRuns(dataDir([]))).toBe(false); // a clean stop removes the file
  });

  it('says at once that a killed instance stopped, with its last lines, instead of waiting for the heartbeat timeout', async () => {
    const { port, server } = await proxyDroppingAtFirstQuery();
    server.close(); // nothing answers there
    const err = await waitForPromotion(
      { ...instance, port },
      dataDir(killed, gone),
      () => undefined,
      () => undefined,
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `recovery stopped: the instance exited without a FATAL line in its log (killed, or out of memory?); its last lines: ${killed.join(' | ')}`,
    );
  }, 15_000);

  it('keeps waiting for an instance whose postmaster still runs', async () => {
    const { port, server } = await proxyDroppingAtFirstQuery();
    server.close();
    const since = Date.now();
    const stop = new Error('stopped by the test');
    const err = await waitForPromotion(
      { ...instance, port },
      dataDir(killed, process.pid),
      () => undefined,
      () => (Date.now() - since > 1200 ? stop : undefined),
    ).catch((e: Error) => e);
    expect(err).toBe(stop);
  }, 15_000);
});
