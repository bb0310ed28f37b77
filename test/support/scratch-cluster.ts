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
import { ephemeralPort } from '../../src/infra/net/ports';
import { handOver, initCluster, instanceUser, startInstance, stopInstance } from '../../src/infra/postgres/instance';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { runCommand } from '../../src/infra/process/run-command';

export interface ScratchCluster {
  port: number;
  /** DATABASE_URL of its `postgres` database (superuser `pgwarden`). */
  url(database?: string): string;
  query<T extends object>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Stops the server, keeping its files (a primary that failed). */
  halt(): Promise<void>;
  /** Starts a halted server again, on its port. */
  resume(): Promise<void>;
  /** Kills the server at once (pg_ctl stop -m immediate): a server lost mid-write. */
  crash(): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
  /** A streaming standby of this cluster (pg_basebackup -R), started on a port of its own with extra settings. */
  standby(settings?: Record<string, string>): Promise<ScratchCluster & { promote(): Promise<void> }>;
}

const SETTINGS = { max_wal_senders: '10', wal_level: 'replica', max_connections: '150' };

/**
 * `pgBinDir`: another PostgreSQL installation's programs (the stack's PostgreSQL 18); Debian's by
 * default. `settings`: server settings beside the usual ones (e.g. max_slot_wal_keep_size).
 */
export async function startScratchCluster(
  options: { pgBinDir?: string; settings?: Record<string, string> } = {},
): Promise<ScratchCluster> {
  const runAs = instanceUser();
  const root = mkdtempSync(join(tmpdir(), 'pgwarden-scratch-'));
  handOver(root, runAs);
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  handOver(dataDir, runAs);
  const password = randomBytes(12).toString('hex');
  await initCluster({ dataDir, superuser: 'pgwarden', password, runAs, pgBinDir: options.pgBinDir });
  return running(root, dataDir, password, options.pgBinDir, options.settings);
}

async function running(
  root: string,
  dataDir: string,
  password: string,
  pgBinDir: string | undefined,
  settings: Record<string, string> = {},
): Promise<ScratchCluster> {
  const runAs = instanceUser();
  const port = await ephemeralPort();
  // Limits set on the command line, as the dev stack and many packaged servers do (postgresql.conf
  // elsewhere): a copy's recovery must take them from pg_control, not from a default of 100.
  await startInstance({ dataDir, port, runAs, pgBinDir, settings: { ...SETTINGS, ...settings } });
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
    async halt() {
      await stopInstance({ dataDir, runAs, pgBinDir });
    },
    async resume() {
      await startInstance({ dataDir, port, runAs, pgBinDir, settings: { ...SETTINGS, ...settings } });
    },
    async crash() {
      await runCommand(pgProgram('pg_ctl', pgBinDir), ['stop', '-m', 'immediate', '-w', '-D', dataDir], {
        env: { PATH: process.env.PATH },
        timeoutMs: 60_000,
        uid: runAs.uid,
        gid: runAs.gid,
      });
    },
    async stop() {
      await stopInstance({ dataDir, runAs, pgBinDir });
      rmSync(root, { recursive: true, force: true });
    },
    async standby(extra = {}) {
      const standbyRoot = mkdtempSync(join(tmpdir(), 'pgwarden-scratch-'));
      handOver(standbyRoot, runAs);
      const standbyData = join(standbyRoot, 'data');
      await runCommand(
        pgProgram('pg_basebackup', pgBinDir),
        ['-D', standbyData, '-R', '-X', 'stream', '-c', 'fast', '-d', url()],
        {
          env: { PATH: process.env.PATH },
          timeoutMs: 300_000,
          uid: runAs.uid,
          gid: runAs.gid,
        },
      );
      const standby = await running(standbyRoot, standbyData, password, pgBinDir, extra);
      return {
        ...standby,
        async promote() {
          await runCommand(pgProgram('pg_ctl', pgBinDir), ['promote', '-w', '-D', standbyData], {
            env: { PATH: process.env.PATH },
            timeoutMs: 120_000,
            uid: runAs.uid,
            gid: runAs.gid,
          });
        },
      };
    },
  };
}
