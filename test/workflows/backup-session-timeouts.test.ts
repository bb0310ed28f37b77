/**
 * A database that sets timeouts for its applications (ALTER DATABASE ... SET statement_timeout)
 * is backed up, verified and restored all the same: pgwarden's own sessions turn them off, as
 * pg_dump's and pg_restore's do. Before, the row counts in the backup's snapshot were cancelled
 * ("canceling statement due to statement timeout") and no backup of such a database succeeded.
 */
import { connectDatabase, SESSION_TIMEOUTS } from '../../src/infra/postgres/client';
import { Client } from 'pg';
import { databaseUrl, stackServer, withClient } from '../support/databases';
import { workflowSuite } from '../support/workflow-suite';

const ROWS = 3_000_000;

describe('a database with timeouts for its applications (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('timeouts');

  it('is backed up with exact counts, verified and restored, its settings given back', async () => {
    const db = await suite.freshDatabase('timeouts');
    await withClient(db, (c) =>
      c.query(
        `CREATE TABLE big (id int, note text); INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, ${ROWS}) g`,
      ),
    );
    // Counting the table takes longer than its applications may wait.
    await withClient('postgres', (c) =>
      c.query(
        `ALTER DATABASE ${db} SET statement_timeout = '20ms'; ALTER DATABASE ${db} SET idle_in_transaction_session_timeout = '100ms'`,
      ),
    );
    // As an application's session sees it (pgwarden's own turn the timeouts off).
    const app = new Client({ connectionString: databaseUrl(db) });
    await app.connect();
    try {
      await expect(app.query('SELECT count(*) FROM big')).rejects.toThrow(/statement timeout/);
    } finally {
      await app.end();
    }

    const { taskQueue } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);
    expect(backup.rows).toBe(ROWS);
    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified[0]).toMatchObject({ status: 'passed', failures: [] });
    const copy = `${db}_copy`;
    suite.track(copy);
    await suite.restoreNew(db, taskQueue, backup.backupId, copy);
    const settings = await withClient('postgres', (c) =>
      c.query<{ s: string[] }>(
        `SELECT setconfig AS s FROM pg_db_role_setting JOIN pg_database d ON d.oid = setdatabase WHERE d.datname = $1 AND setrole = 0`,
        [copy],
      ),
    );
    expect(settings.rows[0].s.sort()).toEqual(['idle_in_transaction_session_timeout=100ms', 'statement_timeout=20ms']);
  });

  it("turns every timeout the server has off in pgwarden's sessions, whatever the database sets", async () => {
    const db = await suite.freshDatabase('timeouts');
    await withClient('postgres', (c) =>
      c.query(`ALTER DATABASE ${db} SET statement_timeout = '100ms'; ALTER DATABASE ${db} SET lock_timeout = '100ms'`),
    );
    const c = await connectDatabase({ ...stackServer(), database: db });
    try {
      const { rows } = await c.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
        [[...SESSION_TIMEOUTS]],
      );
      expect(rows.length).toBeGreaterThanOrEqual(4); // transaction_timeout only from 17
      for (const r of rows) expect(r).toEqual({ name: r.name, setting: '0' });
    } finally {
      await c.end();
    }
  });
});
