/**
 * A throw-away PostgreSQL cluster of its own for tests that copy or replace a whole cluster
 * (base backups, point-in-time recovery): the stack's shared server holds gigabytes of
 * benchmark data and every other test's databases. Started on a free port, removed after.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ephemeralPort } from '../../devstack/ports';
import { handOver, initCluster, instanceUser, startInstance, stopInstance } from '../../src/infra/postgres/instance';

export interface ScratchCluster {
  port: number;
  /** DATABASE_URL of its `postgres` database (superuser `pgwarden`). */
  url(database?: string): string;
  query<T extends object>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startScratchCluster(): Promise<ScratchCluster> {
  const runAs = instanceUser();
  const root = mkdtempSync(join(tmpdir(), 'pgwarden-scratch-'));
  handOver(root, runAs);
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  handOver(dataDir, runAs);
  const password = randomBytes(12).toString('hex');
  await initCluster({ dataDir, superuser: 'pgwarden', password, runAs });
  const port = await ephemeralPort();
  // Limits set on the command line, as the dev stack and many packaged servers do (postgresql.conf
  // elsewhere): a copy's recovery must take them from pg_control, not from a default of 100.
  await startInstance({
    dataDir,
    port,
    runAs,
    settings: { max_wal_senders: '10', wal_level: 'replica', max_connections: '150' },
  });
  const url = (database = 'postgres') => `postgres://pgwarden:${password}@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async query<T extends object>(sql: string, params: unknown[] = [], database = 'postgres') {
      const c = new Client({ connectionString: url(database) });
      await c.connect();
      try {
        return (await c.query<T>(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    async stop() {
      await stopInstance({ dataDir, runAs });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
