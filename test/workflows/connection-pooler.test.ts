/**
 * A database reached through PgBouncer, as many production ones are. In transaction (or
 * statement) pooling each transaction gets whichever server session is free: pg_dump's and
 * pgwarden's session settings (statement_timeout 0, search_path '', row_security off) may miss
 * their transaction, and they stayed on server sessions the application was given next. Before,
 * a backup through such a pool "worked" and turned off the application's statement_timeout on
 * the pool's sessions; now it is refused before any session setting. A pool in session mode is a
 * session of one's own: backup, verification and restore work through it. Replication
 * connections, which PgBouncer does not pass, were retried without end. A session pool smaller
 * than a backup's connections failed with "connection timed out; check network access" (its
 * query_wait_timeout read as a network timeout); it now says to raise the pool's size.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import type { RestoreSource } from '../../activities/restore';
import { createActivityDeps } from '../../activities/deps';
import { DatabaseConnectionError } from '../../src/infra/errors/errors';
import { checkReplicationAccess } from '../../src/infra/postgres/replication';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { databaseUrl, tableFingerprints, withClient } from '../support/databases';
import { PgBouncer, startPgBouncer } from '../support/pgbouncer';
import { stackConfig } from '../support/stack-env';
import { activityEnvironment, byHandTestRestoreDatabase } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const FIXTURE = `CREATE TABLE orders (id int PRIMARY KEY, note text);
  INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 5000) g;`;

describe('a database behind a connection pooler (real PgBouncer)', () => {
  const suite = workflowSuite('pooler');
  const bouncers: PgBouncer[] = [];
  afterAll(async () => {
    for (const b of bouncers) await b.stop();
  });
  const bouncer = async (url: string, mode: 'session' | 'transaction' | 'statement', settings?: Record<string, string>) => {
    const b = await startPgBouncer(url, mode, settings);
    bouncers.push(b);
    return b;
  };

  /** statement_timeout of every server session the pool holds for the database: each client in a transaction gets one of its own. */
  const poolTimeouts = async (db: string, url: string): Promise<string[]> => {
    const held = await withClient(db, async (c) =>
      Number(
        (
          await c.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
          )
        ).rows[0].n,
      ),
    );
    const clients: Client[] = [];
    try {
      const seen: string[] = [];
      for (let i = 0; i < Math.max(held, 1); i++) {
        const c = new Client({ connectionString: url });
        await c.connect();
        clients.push(c);
        await c.query('BEGIN');
        seen.push((await c.query<{ t: string }>(`SELECT current_setting('statement_timeout') AS t`)).rows[0].t);
      }
      return seen;
    } finally {
      for (const c of clients) await c.end().catch(() => undefined);
    }
  };

  it.each(['transaction', 'statement'] as const)(
    'refuses a database behind a pool in %s mode before anything is set on the pool’s sessions',
    async (mode) => {
      const db = await suite.freshDatabase(`pooled_${mode}`);
      await withClient(db, async (c) => {
        await c.query(FIXTURE);
        // The application's safety net, set where a transaction pool's clients get it: on the database.
        await c.query(`ALTER DATABASE ${db} SET statement_timeout = '7s'`);
      });
      const pool = await bouncer(databaseUrl(db), mode);
      const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: pool.url });

      const err = await suite.backup(db, taskQueue).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = innermostFailure(err as WorkflowFailedError) as ApplicationFailure;
      expect(cause.type).toBe('DatabaseConnectionError');
      expect(cause.nonRetryable).toBe(true);
      expect(cause.message).toBe(
        `cannot use database "${db}" at 127.0.0.1:${pool.port} as pgwarden: it is reached through a connection pooler that gives each transaction whichever server session is free (PgBouncer pool_mode=transaction or statement); pg_dump and pg_restore need a session of their own, and the settings they make for it would stay on sessions the application is given next; point DATABASE_URL (or PGHOST/PGPORT) at PostgreSQL's own port, or at a pooler database with pool_mode=session`,
      );
      if (mode === 'transaction') {
        const timeouts = await poolTimeouts(db, pool.url);
        expect(timeouts.length).toBeGreaterThan(0);
        expect(timeouts).toEqual(timeouts.map(() => '7s'));
      }
    },
    120_000,
  );

  it('backs up, verifies and restores through a pool in session mode', async () => {
    const db = await suite.freshDatabase('pooled_session');
    await withClient(db, (c) => c.query(FIXTURE));
    const pool = await bouncer(databaseUrl(db), 'session');
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: pool.url });
    const backup = await suite.backup(db, taskQueue);
    expect(backup.rows).toBe(5000);
    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified.map((v) => v.status)).toEqual(['passed']);
    const copy = `${db}_copy`;
    suite.track(copy);
    await suite.restoreNew(db, taskQueue, backup.backupId, copy);
    expect(await tableFingerprints(copy)).toEqual(await tableFingerprints(db));
  }, 180_000);

  it('says when a session pool is too small for a backup, and works with one of BACKUP_JOBS + 2', async () => {
    const db = await suite.freshDatabase('pooled_small');
    await withClient(db, (c) => c.query(FIXTURE));
    // One server connection for the database, a client waits 2 s for it: the backup's second connection cannot have one.
    const small = await bouncer(databaseUrl(db), 'session', { default_pool_size: '1', query_wait_timeout: '2' });
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: small.url });
    const err = await suite.backup(db, taskQueue).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = innermostFailure(err as WorkflowFailedError) as ApplicationFailure;
    expect(cause.type).toBe('DatabaseConnectionError');
    expect(cause.message).toMatch(
      /query_wait_timeout; a connection pooler \(PgBouncer\) kept it waiting for a free server connection \(query_wait_timeout\): its pool for this database is full; raise default_pool_size \(or pool_size for this database; a backup takes BACKUP_JOBS \+ 2 connections at once, a restore one per pg_restore job and one more\), or connect to PostgreSQL's own port$/,
    );

    const enough = await bouncer(databaseUrl(db), 'session', { default_pool_size: '3', query_wait_timeout: '2' });
    const { taskQueue: roomy } = await suite.workerFor(db, { DATABASE_URL: enough.url });
    expect((await suite.backup(db, roomy)).rows).toBe(5000);
  }, 120_000);

  it('retries a test restore and a restore a pool too small for pg_restore --jobs kept waiting, never failing the backup', async () => {
    const db = await suite.freshDatabase('pooled_verify');
    // Two tables of a size: a parallel pg_restore, three connections to the temporary database.
    await withClient(db, (c) =>
      c.query(`CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 5000);
               CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 5000);`),
    );
    const { taskQueue } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);
    const small = await bouncer(databaseUrl('postgres'), 'session', { default_pool_size: '1', query_wait_timeout: '2' });
    const acts = createActivities(
      createActivityDeps(stackConfig({ DATABASE_URL: databaseUrl(db), VERIFY_DATABASE_URL: small.url })),
    );
    const temp = byHandTestRestoreDatabase();
    const err = await activityEnvironment()
      .run(acts.testRestore, {
        database: db,
        backupId: backup.backupId,
        tempDatabase: temp,
        workflowId: 'verify-by-hand',
        runId: 'run',
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'DatabaseConnectionError', nonRetryable: false });
    expect((err as Error).message).toMatch(
      /^test restore into .* failed: pg_restore failed .*; a connection pooler \(PgBouncer\) kept it waiting for a free server connection \(query_wait_timeout\).*raise default_pool_size/,
    );
    expect(
      await withClient('postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [temp])).rowCount),
    ).toBe(0);

    // A restore into a new database through the same pool: the same advice, retried.
    const source = (await activityEnvironment().run(acts.resolveRestoreSource, {
      database: db,
      file: backup.backupId,
    })) as RestoreSource;
    const onPool = createActivities(
      createActivityDeps(stackConfig({ DATABASE_URL: small.url.replace(/\/postgres$/, `/${db}`) })),
    );
    const copy = `${db}_copy`;
    suite.track(copy);
    const restoring = await activityEnvironment()
      .run(onPool.restoreDatabase, {
        database: db,
        source,
        mode: 'new' as const,
        targetName: copy,
        workflowId: 'restore-by-hand',
        runId: randomUUID(),
      })
      .catch((e: unknown) => e);
    expect(restoring).toMatchObject({ type: 'DatabaseConnectionError', nonRetryable: false });
    expect((restoring as Error).message).toMatch(
      /^restore of .* failed: pg_restore failed .*; a connection pooler \(PgBouncer\) kept it waiting for a free server connection \(query_wait_timeout\).*raise default_pool_size/,
    );
  }, 120_000);

  it('says a pooler refuses replication connections, and does not retry', async () => {
    const pool = await bouncer(databaseUrl('postgres'), 'session');
    const target = stackConfig({ DATABASE_URL: pool.url }).databases[0];
    const err = await checkReplicationAccess(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect((err as DatabaseConnectionError).retryable).toBe(false);
    expect((err as Error).message).toBe(
      `cannot connect to database "postgres" at 127.0.0.1:${pool.port} as pgwarden for replication: this port is a connection pooler (PgBouncer) that does not pass replication connections, which pg_receivewal and pg_basebackup need; point DATABASE_URL (or PGHOST/PGPORT) at PostgreSQL's own port`,
    );
  }, 60_000);
});
