/**
 * A backup records the extensions its database uses, and a restore or a verification onto a
 * server without one of them is stopped before anything is loaded: here a PostgreSQL 15
 * database with old_snapshot (gone from 17) given to the stack's PostgreSQL 18, the upgrade by
 * restore a team would try. Before, pg_restore stopped at CREATE EXTENSION ("could not open
 * extension control file") once the dump was fetched; the same database without it restores.
 * An extension only a superuser may create (pg_stat_statements), given to a user who is not
 * one, is stopped the same way; a verification failed late on it, as if the backup were bad.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { parseManifest } from '../../src/operations/backup/manifest';
import { dropDatabase, stackServer, withClient } from '../support/databases';
import { onPg18, pg18, pg18Url } from '../support/pg18';
import { versionsFolder } from '../support/versions-folder';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

describe('extensions a backup needs, on the server it is restored onto (dev server, PostgreSQL 15 and 18, S3)', () => {
  const suite = workflowSuite('extensions');
  const versions = versionsFolder();
  const onEighteen: string[] = [];
  afterAll(async () => {
    for (const db of onEighteen) await dropDatabase(db, pg18);
    versions.remove();
  });

  it('refuses a restore and fails a verification onto PostgreSQL 18 for old_snapshot, and restores once it is gone', async () => {
    const db = await suite.freshDatabase('ext');
    await withClient(db, (c) =>
      c.query(`CREATE EXTENSION hstore; CREATE EXTENSION old_snapshot;
               CREATE TABLE items (id int PRIMARY KEY, attrs hstore);
               INSERT INTO items SELECT g, hstore('n', g::text) FROM generate_series(1, 100) g`),
    );
    const fifteen = await suite.workerFor(db, { PG_BIN_DIR: versions.dir, VERIFY_DATABASE_URL: pg18Url });
    const backup = await suite.backup(db, fifteen.taskQueue);
    const bucket = new Bucket(fifteen.config.storage!, createS3Client(fifteen.config.storage!));
    const manifest = parseManifest((await bucket.getText(backup.manifestKey))!, backup.manifestKey);
    expect(manifest.extensions?.map((e) => e.name)).toEqual(['hstore', 'old_snapshot', 'plpgsql']);
    expect(manifest.extensions?.every((e) => /^\d+\.\d+$/.test(e.version))).toBe(true);

    const problem = `the backup's database uses the extension old_snapshot, which ${pg18.host}:${pg18.port} (PostgreSQL 18) does not have: install its package on the server's host (PGDG: postgresql-18-<name>; the contrib ones come with postgresql-18), or restore onto a server that has it`;
    // The test restore on VERIFY_DATABASE_URL (PostgreSQL 18): a finding, stored and notified.
    const verified = await suite.verify(db, fifteen.taskQueue, backup.backupId);
    expect(verified.verified[0].status).toBe('failed');
    expect(verified.verified[0].failures.join('\n')).toContain(problem);

    // A worker whose database is on PostgreSQL 18: the restore is refused before it loads anything.
    const eighteen = await suite.workerFor(db, { DATABASE_URL: onPg18(db), PG_BIN_DIR: versions.dir });
    const copy = `${db}_on18`;
    onEighteen.push(copy);
    const err = await suite.restoreNew(db, eighteen.taskQueue, backup.backupId, copy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(innermostFailure(err as WorkflowFailedError) as ApplicationFailure).toMatchObject({
      type: 'UsageError',
      nonRetryable: true,
      message: problem,
    });
    expect(
      await withClient('postgres', (c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [copy]), pg18),
    ).toMatchObject({
      rowCount: 0,
    });

    // Without it, the same database moves to 18 with its hstore data.
    await withClient(db, (c) => c.query('DROP EXTENSION old_snapshot'));
    const second = await suite.backup(db, fifteen.taskQueue);
    expect((await suite.restoreNew(db, eighteen.taskQueue, second.backupId, copy)).restoredInto).toBe(copy);
    const rows = await withClient(copy, (c) => c.query<{ n: string }>(`SELECT attrs -> 'n' AS n FROM items WHERE id = 42`), pg18);
    expect(rows.rows).toEqual([{ n: '42' }]);
  });
  it('stops a verification and a restore by a user who is not a superuser at what only a superuser may create', async () => {
    const db = await suite.freshDatabase('extsu');
    await withClient(db, (c) =>
      c.query(`CREATE EXTENSION pgcrypto; CREATE EXTENSION pg_stat_statements;
               CREATE TABLE t (id int PRIMARY KEY, h bytea); INSERT INTO t SELECT g, digest(g::text, 'sha256') FROM generate_series(1, 10) g;
               CREATE FUNCTION audit() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
               CREATE EVENT TRIGGER audit_ddl ON ddl_command_start EXECUTE FUNCTION audit();
               CREATE PUBLICATION everything FOR ALL TABLES;
               CREATE FUNCTION my_digest(bytea, text) RETURNS bytea LANGUAGE c STRICT AS '$libdir/pgcrypto', 'pg_digest'`),
    );
    const user = `restorer_${uniqueSuffix()}`;
    const password = randomBytes(12).toString('hex');
    await withClient('postgres', (c) => c.query(`CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '${password}'`));
    const t = stackServer();
    const asUser = (database: string) => `postgres://${user}:${password}@${t.host}:${t.port}/${database}`;
    const copy = `${db}_copy`;
    suite.track(copy);
    try {
      const { taskQueue, config } = await suite.workerFor(db, { VERIFY_DATABASE_URL: asUser('postgres') });
      const backup = await suite.backup(db, taskQueue);
      const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
      const manifest = parseManifest((await bucket.getText(backup.manifestKey))!, backup.manifestKey);
      // pgcrypto's own C functions are the extension's: not listed.
      expect(manifest.superuserObjects).toEqual([
        'event trigger audit_ddl',
        'function my_digest(bytea,text) (language c)',
        'publication everything (FOR ALL TABLES)',
      ]);
      const problem = `the backup's database has what only a superuser may create (extension pg_stat_statements, event trigger audit_ddl, function my_digest(bytea,text) (language c) and 1 more), and ${user}, the user restoring on ${t.host}:${t.port}, is not one: restore as a superuser (for verifications, the user of VERIFY_DATABASE_URL, or of DATABASE_URL without it)`;
      const verified = await suite.verify(db, taskQueue, backup.backupId);
      expect(verified.verified[0]).toMatchObject({ status: 'failed', failures: [`test restore: ${problem}`] });

      const restorer = await suite.workerFor(db, { DATABASE_URL: asUser(db) });
      const err = await suite.restoreNew(db, restorer.taskQueue, backup.backupId, copy).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(innermostFailure(err as WorkflowFailedError) as ApplicationFailure).toMatchObject({
        type: 'UsageError',
        nonRetryable: true,
        message: problem,
      });
      expect(await withClient('postgres', (c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [copy]))).toMatchObject({
        rowCount: 0,
      });

      // pgcrypto is trusted: the database owner creates it, and the same user verifies the database without the rest.
      await withClient(db, (c) =>
        c.query(
          'DROP EXTENSION pg_stat_statements; DROP EVENT TRIGGER audit_ddl; DROP PUBLICATION everything; DROP FUNCTION my_digest',
        ),
      );
      const second = await suite.backup(db, taskQueue);
      expect((await suite.verify(db, taskQueue, second.backupId)).verified[0]).toMatchObject({ status: 'passed', failures: [] });
    } finally {
      await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${copy}`));
      await withClient('postgres', (c) => c.query(`DROP ROLE ${user}`));
    }
  });
});
