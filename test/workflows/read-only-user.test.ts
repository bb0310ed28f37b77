/**
 * A backup user whose transactions start read-only (ALTER ROLE ... SET
 * default_transaction_read_only = on, the usual "read-only backup user"), and a server fenced
 * read-only in its configuration: backups work (pg_dump only reads), and whatever writes is
 * refused before it starts, naming where the default was set and how to undo it. Before, a
 * verification failed after its retries with "cannot execute DROP DATABASE in a read-only
 * transaction" and a restore with "cannot execute CREATE DATABASE in a read-only transaction".
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { RestoreFindings } from '../../src/operations/verify/verification';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { stackConfig } from '../support/stack-env';
import { activityEnvironment, uniqueSuffix, warningsLogger } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

describe('a backup user whose transactions start read-only (real server)', () => {
  const suite = workflowSuite('read-only');
  const db = `readonly_${uniqueSuffix()}`;
  let server: ScratchCluster;
  let url: string;

  beforeAll(async () => {
    server = await startScratchCluster();
    await server.query("CREATE ROLE backup LOGIN CREATEDB PASSWORD 'backup-pw'");
    await server.query(`CREATE DATABASE ${db} OWNER backup`);
    await server.query(
      `CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 1000);
       ALTER TABLE orders OWNER TO backup`,
      [],
      db,
    );
    await server.query('ALTER ROLE backup SET default_transaction_read_only = on');
    url = server.url(db).replace(/\/\/pgwarden:[^@]*@/, '//backup:backup-pw@');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const failureOf = async (run: Promise<unknown>): Promise<ApplicationFailure> => {
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return innermostFailure(err as WorkflowFailedError) as ApplicationFailure;
  };

  it('backs up; a verification and a restore are refused before anything is made, with the ALTER ROLE that undoes it', async () => {
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: url, VERIFY_DATABASE_URL: undefined });
    const backup = await suite.backup(db, taskQueue);
    expect(backup.rows).toBe(1000);
    const where = `127.0.0.1:${server.port}`;

    const logger = warningsLogger();
    const acts = createActivities(createActivityDeps(stackConfig({ DATABASE_URL: url, VERIFY_DATABASE_URL: undefined })));
    const finding: RestoreFindings = await activityEnvironment(undefined, logger).run(acts.testRestore, {
      database: db,
      backupId: backup.backupId,
      tempDatabase: `pgwarden_verify_${uniqueSuffix()}`,
      workflowId: 'verify-by-hand',
      runId: 'run',
    });
    expect(finding.restore).toMatchObject({
      ok: false,
      detail: `the user "backup" starts every transaction read-only at ${where} (default_transaction_read_only = on, set for the user: ALTER ROLE "backup" RESET default_transaction_read_only;), and a verification's test restore creates a database there: undo that, or set VERIFY_DATABASE_URL to a user that writes`,
    });
    expect(logger.errors).toEqual([]);

    const refused = await failureOf(suite.restoreNew(db, taskQueue, backup.backupId, `${db}_copy`));
    expect(refused).toMatchObject({
      type: 'UsageError',
      nonRetryable: true,
      message: `the user "backup" starts every transaction read-only at ${where} (default_transaction_read_only = on, set for the user: ALTER ROLE "backup" RESET default_transaction_read_only;), and a restore creates a database there: undo that, or restore as a user that writes (the DATABASE_URL of ${db})`,
    });
    expect(
      await server.query(`SELECT datname FROM pg_database WHERE datname LIKE '${db}\\_%' OR datname LIKE 'pgwarden%'`),
    ).toEqual([]);

    const err = await activityEnvironment()
      .run(acts.checkTableRecovery, {
        server: db,
        into: db,
        tables: [{ from: { schema: 'public', table: 'orders' }, as: { schema: 'public', table: 'orders_recovered' } }],
        target: { kind: 'latest' as const },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      type: 'UsageError',
      message: `the user "backup" starts every transaction read-only at ${where} (default_transaction_read_only = on, set for the user: ALTER ROLE "backup" RESET default_transaction_read_only;), and the recovered tables are written into ${db} there: undo that, or point the DATABASE_URL of ${db} at a user that writes`,
    });
  }, 120_000);

  it("names the server's configuration when the whole server starts transactions read-only", async () => {
    await server.query('ALTER ROLE backup RESET default_transaction_read_only');
    await server.query('ALTER SYSTEM SET default_transaction_read_only = on');
    await server.query('SELECT pg_reload_conf()');
    try {
      const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: url, VERIFY_DATABASE_URL: undefined });
      const backup = await suite.backup(db, taskQueue);
      const refused = await failureOf(suite.restoreNew(db, taskQueue, backup.backupId, `${db}_copy2`));
      expect(refused.message).toBe(
        `the user "backup" starts every transaction read-only at 127.0.0.1:${server.port} (default_transaction_read_only = on, set in the server's configuration: remove it from postgresql.conf (or ALTER SYSTEM RESET default_transaction_read_only;) and SELECT pg_reload_conf();), and a restore creates a database there: undo that, or restore as a user that writes (the DATABASE_URL of ${db})`,
      );
    } finally {
      await server.query('ALTER SYSTEM RESET default_transaction_read_only');
      await server.query('SELECT pg_reload_conf()');
    }
  }, 120_000);
});
