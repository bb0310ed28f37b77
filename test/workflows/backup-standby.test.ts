/**
 * A hot standby as the database to back up (a real primary and its streaming standby): preflight
 * names it and what may fail later, its backup is exact, a dump its recovery cancels says what
 * to change, and nothing that writes (a restore, a verification's test restore, recovered
 * tables) starts on it. They failed late before, with "cannot execute CREATE DATABASE in a
 * read-only transaction" (a verification's and a restore's exit 2, as if the server were down).
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { PreflightReport } from '../../activities';
import type { RestoreFindings } from '../../src/operations/verify/verification';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { databaseUrl } from '../support/databases';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { stackConfig } from '../support/stack-env';
import { activityEnvironment, uniqueSuffix, warningsLogger } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const ROWS = 400_000;

describe('backing up a hot standby (real primary and streaming standby)', () => {
  const suite = workflowSuite('standby');
  const db = `standby_${uniqueSuffix()}`;
  let primary: ScratchCluster;
  let standby: ScratchCluster;

  beforeAll(async () => {
    primary = await startScratchCluster();
    await primary.query(`CREATE DATABASE ${db}`);
    await primary.query(
      `CREATE TABLE orders (id int PRIMARY KEY, note text);
       INSERT INTO orders SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, ${ROWS}) g;
       CREATE TABLE churn (id int PRIMARY KEY, n int) WITH (autovacuum_enabled = off);
       INSERT INTO churn SELECT g, 0 FROM generate_series(1, 1000) g;
       CREATE UNLOGGED TABLE sessions (id int PRIMARY KEY);
       INSERT INTO sessions SELECT generate_series(1, 300)`,
      [],
      db,
    );
    // Replay that cancels a conflicting query at once: hot_standby_feedback stays off (the default).
    standby = await primary.standby({ max_standby_streaming_delay: '0' });
    for (let i = 0; i < 100; i++) {
      const seen = await standby.query<{ n: string }>('SELECT count(*) AS n FROM orders', [], db).catch(() => [{ n: '0' }]);
      if (Number(seen[0].n) === ROWS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);
  afterAll(async () => {
    await standby?.stop();
    await primary?.stop();
  });

  const failureOf = async (run: Promise<unknown>): Promise<ApplicationFailure> => {
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = innermostFailure(err as WorkflowFailedError);
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  };

  it('preflight names the standby and what may fail later; its backup is exact; verification and restore refuse to write there', async () => {
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: standby.url(db), VERIFY_DATABASE_URL: undefined });
    const report: PreflightReport = await suite.server.client.workflow.execute(WorkflowType.preflight, {
      taskQueue,
      workflowId: `preflight-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    const server = `127.0.0.1:${standby.port}`;
    expect(report.standby).toBe(true);
    expect(report.warnings).toEqual([
      `${server} is a standby with hot_standby_feedback off and max_standby_streaming_delay 0: its recovery cancels a dump that still reads rows the primary has removed since; on the standby set hot_standby_feedback = on (or max_standby_streaming_delay = -1), or back up the primary`,
      `${server} is a standby, and standbys hold no rows of unlogged tables (public.sessions): a backup of it keeps that table empty; back up the primary to keep their rows, or make them logged (ALTER TABLE ... SET LOGGED on the primary)`,
      `${server} is a standby (in recovery, read-only), and verifications would restore into it (VERIFY_DATABASE_URL is not set): set VERIFY_DATABASE_URL to a server that takes writes (a staging server, or the primary)`,
    ]);

    // The unlogged table is in it, empty: the standby refuses to read it, and has no rows of it.
    const backup = await suite.backup(db, taskQueue);
    expect(backup.rows).toBe(ROWS + 1000);
    expect(backup.tables).toBe(3);

    // A finding, stored and notified like any failed verification; nothing downloaded first.
    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified).toHaveLength(1);
    expect(verified.verified[0].status).toBe('failed');
    expect(verified.verified[0].failures.join('\n')).toContain(
      `${server} is a standby (in recovery, read-only), and a verification's test restore creates a database there: set VERIFY_DATABASE_URL to a server that takes writes`,
    );

    // Refused before making a database, so nothing is left to drop (the drop failed there, logged as an error).
    const logger = warningsLogger();
    const acts = createActivities(
      createActivityDeps(stackConfig({ DATABASE_URL: standby.url(db), VERIFY_DATABASE_URL: undefined })),
    );
    const finding: RestoreFindings = await activityEnvironment(undefined, logger).run(acts.testRestore, {
      database: db,
      backupId: backup.backupId,
      tempDatabase: `pgwarden_verify_${uniqueSuffix()}`,
      workflowId: 'verify-by-hand',
      runId: 'run',
    });
    expect(finding.restore).toMatchObject({ ok: false, detail: expect.stringContaining('is a standby') });
    expect(logger.errors).toEqual([]);

    const refused = await failureOf(suite.restoreNew(db, taskQueue, backup.backupId, `${db}_copy`));
    expect(refused).toMatchObject({
      type: 'UsageError',
      nonRetryable: true,
      message: `${server} is a standby (in recovery, read-only), and a restore creates a database there: restore into the primary (the DATABASE_URL of ${db}), or promote this standby first`,
    });
    expect(await primary.query(`SELECT datname FROM pg_database WHERE datname LIKE '${db}\\_%'`)).toEqual([]);
  });

  it('verifies a backup of the standby on VERIFY_DATABASE_URL, where preflight then only warns of the dump', async () => {
    const { taskQueue } = await suite.workerFor(db, {
      DATABASE_URL: standby.url(db),
      VERIFY_DATABASE_URL: databaseUrl('postgres'),
    });
    const report: PreflightReport = await suite.server.client.workflow.execute(WorkflowType.preflight, {
      taskQueue,
      workflowId: `preflight-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings![0]).toContain('hot_standby_feedback off');
    expect(report.warnings![1]).toContain('no rows of unlogged tables');
    const backup = await suite.backup(db, taskQueue);
    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified[0]).toMatchObject({ status: 'passed', failures: [] });
  });

  it('asks for BYPASSRLS on the primary, where a standby takes it from', async () => {
    const rls = `${db}_rls`;
    await primary.query(`CREATE DATABASE ${rls}`);
    await primary.query("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'");
    await primary.query(
      `CREATE TABLE notes (id int PRIMARY KEY, owner text); ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
       GRANT SELECT ON notes TO reader`,
      [],
      rls,
    );
    for (let i = 0; i < 100 && !(await standby.query(`SELECT 1 FROM pg_roles WHERE rolname = 'reader'`)).length; i++)
      await new Promise((r) => setTimeout(r, 100));
    const url = standby.url(rls).replace(/\/\/pgwarden:[^@]*@/, '//reader:reader-pw@');
    const { taskQueue } = await suite.workerFor(rls, { DATABASE_URL: url, VERIFY_DATABASE_URL: undefined });
    const refused = await failureOf(
      suite.server.client.workflow.execute(WorkflowType.preflight, {
        taskQueue,
        workflowId: `preflight-${rls}-${uniqueSuffix()}`,
        args: [{ database: rls }],
      }),
    );
    expect(refused.message).toBe(
      'table public.notes has row-level security the backup user "reader" does not bypass, so a dump would miss rows: run ALTER ROLE "reader" BYPASSRLS; as a superuser on the primary (this standby takes it from there)',
    );
  });

  it('refuses recovered tables into a standby before choosing where they come from', async () => {
    const acts = createActivities(createActivityDeps(stackConfig({ DATABASE_URL: standby.url(db) })));
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
      nonRetryable: true,
      message: `127.0.0.1:${standby.port} is a standby (in recovery, read-only), and the recovered tables are written into ${db} there: point the DATABASE_URL of ${db} at the primary, or promote this standby first`,
    });
  });

  it("a dump the standby's recovery cancels fails with what to change, and may be retried", async () => {
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: standby.url(db) });
    // Rows the dump's snapshot still sees, updated and vacuumed away on the primary while it runs.
    let dumping = true;
    const churn = (async () => {
      for (let i = 0; dumping && i < 2000; i++) {
        await primary.query('UPDATE churn SET n = n + 1', [], db);
        await primary.query('VACUUM churn', [], db);
      }
    })();
    const failure = await failureOf(suite.backup(db, taskQueue)).finally(() => (dumping = false));
    await churn;
    expect(failure.type).toBe('BackupError');
    expect(failure.nonRetryable).toBe(false);
    // PostgreSQL cancels the dump's query, or ends its session; then pg_dump may hear only that the connection closed.
    expect(failure.message).toMatch(
      /(conflict with recovery; the server is a standby whose recovery cancelled the dump|server closed the connection unexpectedly; the server is a standby, whose recovery ends a dump's session when it conflicts \(unless it restarted\)): on the standby set hot_standby_feedback = on \(or max_standby_streaming_delay = -1\), or back up the primary$/,
    );
  });
});
