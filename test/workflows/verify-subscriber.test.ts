/**
 * A logical replication subscriber (a database with a subscription) is verified without its
 * subscription in the throw-away copy, which is dropped afterwards; a restore keeps the
 * subscription (disabled, as pg_dump writes it); a copy that has one is dropped all the same.
 * Before, DROP DATABASE refused the test restore's copy ("is being used by logical replication
 * subscription") and every verification of such a database left a copy behind. A plain-SQL
 * backup's copy leaves the subscription out too: creating one takes a superuser, which a
 * verification's user on a staging server often is not.
 */
import { randomBytes } from 'node:crypto';
import { dropDatabase } from '../../src/infra/postgres/drop-database';
import { stackServer, withClient } from '../support/databases';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

describe('a logical replication subscriber (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('subscriber');
  const subscriptions = (db: string) =>
    withClient(
      'postgres',
      async (c) =>
        (
          await c.query<{ name: string; enabled: boolean }>(
            `SELECT s.subname AS name, s.subenabled AS enabled FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = $1`,
            [db],
          )
        ).rows,
    );

  it('verifies without leaving a copy, restores its subscription disabled, and drops a copy that has one', async () => {
    const db = await suite.freshDatabase('subscriber');
    const sub = `${db}_sub`;
    await withClient(db, (c) =>
      c.query(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);
               CREATE SUBSCRIPTION ${sub} CONNECTION 'host=127.0.0.1 port=1 dbname=publisher' PUBLICATION p WITH (connect = false)`),
    );
    const { taskQueue } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);
    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified[0]).toMatchObject({ status: 'passed', failures: [] });
    // This verification's copy (named after the backup and the run); other tests' may be loading now.
    const stamp = backup.backupId.replace(/^backup_/, '');
    const left = await withClient('postgres', (c) =>
      c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`pgwarden\\_verify\\_${stamp}\\_%`]),
    );
    expect(left.rows).toEqual([]);

    const copy = `${db}_copy`;
    suite.track(copy);
    await suite.restoreNew(db, taskQueue, backup.backupId, copy);
    expect(await subscriptions(copy)).toEqual([{ name: sub, enabled: false }]);

    await withClient('postgres', (admin) => dropDatabase(admin, stackServer(), copy));
    expect(await withClient('postgres', (c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [copy]))).toMatchObject({
      rowCount: 0,
    });
  });

  it('verifies a plain-SQL backup of it as a user that may create databases but not subscriptions', async () => {
    const db = await suite.freshDatabase('subplain');
    await withClient(db, (c) =>
      c.query(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);
               CREATE SUBSCRIPTION ${db}_sub CONNECTION 'host=127.0.0.1 port=1 dbname=publisher' PUBLICATION p WITH (connect = false)`),
    );
    const verifier = `verifier_${uniqueSuffix()}`;
    const password = randomBytes(12).toString('hex');
    await withClient('postgres', (c) => c.query(`CREATE ROLE ${verifier} LOGIN CREATEDB PASSWORD '${password}'`));
    try {
      const t = stackServer();
      const { taskQueue } = await suite.workerFor(db, {
        BACKUP_FORMAT: 'plain',
        VERIFY_DATABASE_URL: `postgres://${verifier}:${password}@${t.host}:${t.port}/postgres`,
      });
      const backup = await suite.backup(db, taskQueue);
      const verified = await suite.verify(db, taskQueue, backup.backupId);
      expect(verified.verified[0]).toMatchObject({ status: 'passed', failures: [] });
    } finally {
      await withClient('postgres', (c) => c.query(`DROP ROLE ${verifier}`));
    }
  });
});
