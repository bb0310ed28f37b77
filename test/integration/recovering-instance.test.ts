/**
 * How a restore watches the instance it recovers. Recovery that ends short of its target stops
 * the instance under the watcher's open connection: that must read as "not answering" (the
 * instance's log then says why), never as the restore's error, and never crash the worker.
 */
import { createConnection, createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { askRecovery, connectTo } from '../../activities/recover-instance';
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

/** A loopback proxy to the server that drops both sides when the client sends its first query. */
async function proxyDroppingAtFirstQuery(): Promise<{ port: number; server: Server }> {
  const server = createServer((client: Socket) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      // 'Q' starts a simple query message; the startup and password messages come before it.
      if (chunk[0] === 0x51) {
        client.destroy();
        upstream.destroy();
      } else upstream.write(chunk);
    });
    client.on('error', () => undefined);
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

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
