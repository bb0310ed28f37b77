/**
 * What streaming WAL and base backups need of a server beyond the backup user's login, checked
 * before pg_receivewal or pg_basebackup starts, on real servers: replication connections in
 * pg_hba.conf (listed apart from every database) and max_wal_senders above 0. Before, each
 * failed in pg_receivewal, retried without end; a missing pg_hba.conf line read as "the
 * server accepts only SSL connections from here", for a server without TLS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { DatabaseConnectionError, UsageError } from '../../src/infra/errors/errors';
import { checkReplicationAccess, checkReplicationServer } from '../../src/infra/postgres/replication';
import { connectDatabase } from '../../src/infra/postgres/client';
import { stackConfig } from '../support/stack-env';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';

const targetOf = (server: ScratchCluster) => stackConfig({ DATABASE_URL: server.url('postgres') }).databases[0];

describe('replication access', () => {
  const servers: ScratchCluster[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('names the pg_hba.conf line a server without one for replication needs', async () => {
    const server = await startScratchCluster();
    servers.push(server);
    await expect(checkReplicationAccess(targetOf(server))).resolves.toBeUndefined();

    const [{ hba_file: hba }] = await server.query<{ hba_file: string }>('SHOW hba_file');
    writeFileSync(hba, readFileSync(hba, 'utf8').replace(/^(local|host)\s+replication\s.*$/gm, ''));
    await server.query('SELECT pg_reload_conf()');
    const err = await checkReplicationAccess(targetOf(server)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect((err as DatabaseConnectionError).retryable).toBe(false);
    expect((err as Error).message).toBe(
      `cannot connect to database "postgres" at 127.0.0.1:${server.port} as pgwarden for replication: pg_hba.conf has no replication line for this host and user; add "host replication pgwarden <this worker's address>/32 scram-sha-256" (hostssl for TLS only) to pg_hba.conf and reload it (SELECT pg_reload_conf())`,
    );
  }, 60_000);

  it('says a server without TLS has no pg_hba.conf line for the user, not that it wants TLS', async () => {
    const server = await startScratchCluster();
    servers.push(server);
    await server.query("CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'");
    const [{ hba_file: hba }] = await server.query<{ hba_file: string }>('SHOW hba_file');
    writeFileSync(hba, readFileSync(hba, 'utf8').replace(/^(host\s+all\s+)all(\s)/gm, '$1pgwarden$2'));
    await server.query('SELECT pg_reload_conf()');
    const outsider = stackConfig({ DATABASE_URL: server.url().replace(/\/\/pgwarden:[^@]*@/, '//outsider:outsider-pw@') })
      .databases[0];
    const err = await connectDatabase(outsider).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `cannot connect to database "postgres" at 127.0.0.1:${server.port} as outsider: the server rejected the login (pg_hba.conf); allow this host and user, or fix the user name`,
    );
  }, 60_000);

  it('refuses a server with max_wal_senders 0 before anything streams', async () => {
    const server = await startScratchCluster({ settings: { max_wal_senders: '0' } });
    servers.push(server);
    const client = new Client({ connectionString: server.url() });
    await client.connect();
    try {
      const err = await checkReplicationServer(client, 'shop').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(
        "shop: max_wal_senders is 0, so the server takes no replication connection; set max_wal_senders = 10 (pgwarden's pg_receivewal and each pg_basebackup take one) in postgresql.conf and restart PostgreSQL",
      );
    } finally {
      await client.end();
    }
  }, 60_000);
});
