/** Throw-away databases on the stack's PostgreSQL, and ways to compare two of them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connectDatabase } from '../../src/infra/postgres/client';
import { DatabaseTarget } from '../../src/infra/config/databases';
import { stackConfig } from './stack-env';
import type { CompressionAlgorithm } from '../../src/infra/compression/compression';
import { dataCompressionBeforeVersion2 } from '../../src/operations/backup/manifest';
import { dropDatabase as dropServerDatabase } from '../../src/infra/postgres/drop-database';

export const stackServer = (): DatabaseTarget => stackConfig().databases[0];

/** A client of `database` on the stack's PostgreSQL, or on `server` (the PostgreSQL 18 beside it). */
export async function withClient<T>(
  database: string,
  fn: (c: Client) => Promise<T>,
  server: DatabaseTarget = stackServer(),
): Promise<T> {
  const client = await connectDatabase(server, { database });
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The oids of the stack's databases whose names start with `prefix` (a run's, and its attempts' beside it). */
export async function databaseOids(prefix: string): Promise<string[]> {
  return withClient('postgres', async (c) =>
    (await c.query<{ oid: string }>(`SELECT oid::text AS oid FROM pg_database WHERE datname LIKE $1`, [`${prefix}%`])).rows.map(
      (r) => r.oid,
    ),
  );
}

export function uniqueDatabaseName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

export async function createDatabase(name: string, fixture?: string, server?: DatabaseTarget): Promise<void> {
  await withClient('postgres', (c) => c.query(`CREATE DATABASE "${name}"`), server);
  if (fixture) {
    const sql = readFileSync(join(__dirname, '..', 'fixtures', fixture), 'utf8');
    await withClient(name, (c) => c.query(sql), server);
  }
}

/** Drops a test's database, a subscriber's too (its subscriptions detached first), as pgwarden drops its own. */
export async function dropDatabase(name: string, server: DatabaseTarget = stackServer()): Promise<void> {
  await withClient('postgres', (c) => dropServerDatabase(c, { ...server, database: 'postgres' }, name), server);
}

/** Per table: row count and an order-independent digest of every row's text form. */
export async function tableFingerprints(
  database: string,
  server?: DatabaseTarget,
): Promise<Record<string, { rows: number; digest: string }>> {
  return withClient(
    database,
    async (c) => {
      const { rows: tables } = await c.query<{ s: string; t: string }>(
        `SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
      );
      const out: Record<string, { rows: number; digest: string }> = {};
      for (const { s, t } of tables) {
        const q = (
          await c.query<{ q: string }>(
            `SELECT format($f$SELECT count(*) AS n, md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) AS d FROM %I.%I x$f$, $1::text, $2::text) AS q`,
            [s, t],
          )
        ).rows[0].q;
        const r = (await c.query<{ n: string; d: string }>(q)).rows[0];
        out[`${s}.${t}`] = { rows: Number(r.n), digest: r.d };
      }
      return out;
    },
    server,
  );
}

/** DATABASE_URL for another database on the stack's server. */
export function databaseUrl(database: string): string {
  const t = stackServer();
  return `postgres://${t.user}:${encodeURIComponent(t.password!.reveal())}@${t.host}:${t.port}/${database}`;
}

/**
 * Feeds a decrypted dump to pg_restore (custom format) or psql (plain SQL) for `database`,
 * undoing its compression first (the manifest's `compression.data`; old backups: none for
 * custom, gzip for plain).
 */
export async function restoreInto(
  plaintext: NodeJS.ReadableStream,
  database: string,
  format: 'custom' | 'plain-gz',
  compression: CompressionAlgorithm = dataCompressionBeforeVersion2(format),
): Promise<void> {
  const { spawn } = await import('node:child_process');
  const { decompressor } = await import('../../src/infra/compression/streams');
  const { pipeline } = await import('node:stream/promises');
  const { libpqEnvironment } = await import('../../src/infra/postgres/client');
  const { pgProgram } = await import('../../src/infra/postgres/binaries');
  const env = libpqEnvironment(stackServer(), database);
  const child =
    format === 'custom'
      ? spawn(pgProgram('pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${database}`], {
          env,
          stdio: ['pipe', 'ignore', 'pipe'],
        })
      : spawn(pgProgram('psql'), ['-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${database}`], {
          env,
          stdio: ['pipe', 'ignore', 'pipe'],
        });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', r));
  await pipeline([plaintext, ...decompressor(compression), child.stdin]);
  const code = await exited;
  if (code !== 0) throw new Error(`restore into ${database} failed (${code}): ${stderr}`);
}
