import { parseLsn, recordsEndBefore } from '../../src/operations/pitr/wal-names';
import { connectDatabase } from '../../src/infra/postgres/client';
import { readArchiveBacklog } from '../../src/infra/postgres/archiver-stats';
import { Secret } from '../../src/infra/config/secret';
import { DatabaseConnectionError } from '../../src/infra/errors/errors';
import { stackConfig } from '../support/stack-env';

describe('PostgreSQL (local stack)', () => {
  const target = stackConfig().databases[0];

  // A base backup ends with a segment switch and then waits for the WAL before its counting
  // point to be flushed: comparing with the insert position itself waited 5 s on an idle server.
  it('flushes at once every record before the insert position right after a segment switch', async () => {
    const client = await connectDatabase(target);
    try {
      await client.query('SELECT pg_switch_wal()');
      const { rows } = await client.query<{ insert: string; block: string; segment: string }>(
        `SELECT pg_current_wal_insert_lsn()::text AS insert, current_setting('wal_block_size') AS block,
                (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment`,
      );
      const target = recordsEndBefore(parseLsn(rows[0].insert), Number(rows[0].block), Number(rows[0].segment));
      const flushed = async () =>
        parseLsn((await client.query<{ flush: string }>('SELECT pg_current_wal_flush_lsn()::text AS flush')).rows[0].flush) >=
        target;
      // Tests running beside this one may write meanwhile: the position is read once, and the WAL
      // writer flushes their records before it within its delay. On an idle server it holds at once.
      let ok = await flushed();
      for (let i = 0; i < 20 && !ok; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ok = await flushed();
      }
      expect(ok).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('answers a query over a password-authenticated connection', async () => {
    const client = await connectDatabase(target);
    try {
      const { rows } = await client.query<{ db: string; n: number }>('SELECT current_database() AS db, 6 * 7 AS n');
      expect(rows).toEqual([{ db: 'sample', n: 42 }]);
    } finally {
      await client.end();
    }
  });

  it('rejects a wrong password as a non-retryable DatabaseConnectionError that hides the password', async () => {
    const bad = { ...target, password: new Secret('definitely-wrong-password') };
    const err = await connectDatabase(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect((err as DatabaseConnectionError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/password authentication failed/);
    expect((err as Error).message).not.toContain('definitely-wrong-password');
  });

  it('reports an unreachable server as retryable with the host and port', async () => {
    const err = await connectDatabase({ ...target, port: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect((err as DatabaseConnectionError).retryable).toBe(true);
    expect((err as Error).message).toMatch(
      /^cannot connect to database "sample" at 127\.0\.0\.1:1 as pgwarden: connection refused/,
    );
  });

  it('names a missing database', async () => {
    const err = await connectDatabase(target, { database: 'no_such_db' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/database "no_such_db".*does not exist/);
  });
  // The daily check tells a lasting archive_command failure from one PostgreSQL still retries by
  // the archiver's backlog; listing it needs pg_monitor, and without it the check goes on.
  it("reads the archiver's backlog, or none for a role without pg_monitor", async () => {
    const client = await connectDatabase(target);
    const role = `no_monitor_${process.pid}`;
    try {
      // The stack's server does not archive: nothing waits.
      expect(await readArchiveBacklog(client)).toEqual({ files: 0, oldestSeconds: null });
      await client.query(`CREATE ROLE ${role} NOLOGIN`);
      await client.query(`SET ROLE ${role}`);
      expect(await readArchiveBacklog(client)).toBeUndefined();
      await client.query('RESET ROLE');
      await client.query(`GRANT pg_monitor TO ${role}`);
      await client.query(`SET ROLE ${role}`);
      expect(await readArchiveBacklog(client)).toEqual({ files: 0, oldestSeconds: null });
    } finally {
      await client.query('RESET ROLE').catch(() => undefined);
      await client.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await client.end();
    }
  });
});
