/**
 * The monthly restore test against real servers, on a scratch cluster of its own: the newest
 * backup restored into a temporary database (row counts, smoke queries) and the server
 * recovered to a random point of its window in a temporary instance on its host (promoted,
 * smoke queries), each timed against the RTO; the report stored beside the backups and read
 * back by the daily check; nothing temporary left behind. A smoke query that finds nothing
 * fails the test, and the failure is mailed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RestoreTestReport } from '../../src/operations/restore-test/restore-test';
import type { FreshnessReport } from '../../src/operations/backup/freshness';
import { formatRestoreTest } from '../../src/app/cli/commands/restore-test';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { reportsFolder } from '../../src/infra/storage/layout';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { capturedMail, waitForCaptured } from '../support/sinks';
import { uniqueSuffix } from '../support/temporal';
import { pitrFixture } from '../support/pitr-fixture';
import { databaseUrl, withClient } from '../support/databases';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fixture = pitrFixture();

it('restores the newest backup and a random point in time into temporary places, checks and times them, and reports', async () => {
  const { server, cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('rtest', [
    'CREATE SCHEMA shop',
    'CREATE TABLE shop.orders (id serial PRIMARY KEY, note text, total numeric(10,2))',
    `INSERT INTO shop.orders (note, total) SELECT md5(g::text), g FROM generate_series(1, 500) g`,
  ]);
  const workDir = settings.PGWARDEN_WORK_DIR;
  const good = await fixture.hostWorkers('rtest', {
    ...settings,
    // The strategy's "restore test to staging": the logical part loads on the test-restore server
    // (here the stack's main server), never on the production one (the scratch cluster).
    VERIFY_DATABASE_URL: databaseUrl('postgres'),
    // Slow enough that the copy is seen where it is while it is checked.
    DR_SMOKE_QUERIES: 'SELECT 1 FROM shop.orders, pg_sleep(1.5) WHERE total > 0 LIMIT 1',
  });
  const client = server.client;
  const { taskQueue, hostQueue, config } = good;
  const bucket = new Bucket(config.storage!, createS3Client(config.storage!));

  await good.runUntil(async () => {
    fixture.track(
      await client.workflow.start(WorkflowType.walArchive, {
        taskQueue,
        workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
        args: [{ server: db, roundSeconds: 600, hostQueue }],
      }),
    );
    const backup = await client.workflow.execute(WorkflowType.backup, {
      taskQueue,
      workflowId: `backup-${db}-${uniqueSuffix()}`,
      args: [{ database: db, reason: 'nightly' }],
    });
    await client.workflow.execute(WorkflowType.baseBackup, {
      taskQueue,
      workflowId: `base-backup-${db}-${uniqueSuffix()}`,
      args: [{ server: db, reason: 'test', hostQueue }],
    });
    // A window of some seconds with commits in it, for the random point to fall in.
    for (let i = 0; i < 12; i++) {
      await cluster.query(`INSERT INTO shop.orders (note, total) VALUES ('later', 1)`, [], db);
      await sleep(1000);
    }
    await cluster.query('SELECT pg_switch_wal()', [], db);
    await sleep(3000);

    const seen = { staging: 0, production: 0 };
    let watching = true;
    const watch = (async () => {
      const like = `SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'pgwarden\\_restoretest\\_%'`;
      while (watching) {
        seen.staging += (await withClient('postgres', (c) => c.query<{ n: number }>(like))).rows[0].n;
        seen.production += (await cluster.query<{ n: number }>(like))[0].n;
        await sleep(200);
      }
    })();
    const report: RestoreTestReport = await client.workflow
      .execute(WorkflowType.restoreTest, {
        taskQueue,
        workflowId: `restore-test-${db}-${uniqueSuffix()}`,
        args: [{ database: db, hostQueue }],
      })
      .finally(() => (watching = false));
    await watch;
    expect(seen.production).toBe(0);
    expect(seen.staging).toBeGreaterThan(0);
    expect(report).toMatchObject({
      type: 'restore-test',
      database: db,
      passed: true,
      pointInTimeSkipped: null,
      objective: 'RTO 2-4 h',
    });
    expect(report.parts).toEqual([
      expect.objectContaining({
        kind: 'logical',
        passed: true,
        what: backup.backupId,
        withinRto: true,
        failure: null,
        checks: [
          { name: 'row counts', ok: true, detail: expect.stringMatching(/^all \d+ tables match the manifest$/) },
          { name: 'smoke query 1', ok: true, detail: '1 row(s)' },
        ],
      }),
      expect.objectContaining({
        kind: 'point-in-time',
        passed: true,
        what: expect.stringMatching(/^\d{4}-.*Z from base_/),
        withinRto: true,
        checks: [
          { name: 'promoted', ok: true, detail: expect.stringMatching(/^recovered to .* and accepting writes$/) },
          { name: 'smoke query 1', ok: true, detail: '1 row(s)' },
        ],
        recoveredTo: expect.objectContaining({ lsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) }),
      }),
    ]);
    expect(report.parts.every((p) => (p.restoreMs ?? 0) > 0)).toBe(true);
    expect(formatRestoreTest(report)).toMatch(/^restore test of .*: PASSED\nlogical: passed: backup_/);

    // Stored beside the backups, and read back by the daily check.
    const stored = await bucket.list(reportsFolder(config.storage!.prefix, db));
    expect(stored.map((o) => o.key.slice(o.key.lastIndexOf('/') + 1))).toEqual(
      expect.arrayContaining([expect.stringMatching(/_restore-test-.*\.json$/), expect.stringMatching(/_restore-test-.*\.md$/)]),
    );
    const check: FreshnessReport = await client.workflow.execute(WorkflowType.check, {
      taskQueue,
      workflowId: `check-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(check.restoreTest).toEqual({ id: report.id, finishedAt: report.finishedAt, passed: true });
    // A pass is told too, with where the report is.
    const told = await waitForCaptured(capturedMail, `Restore test of ${db} passed`);
    expect(told.map((m) => m.subject)).toEqual([`[pgwarden] OK: Restore test of ${db} passed`]);
    expect(told[0].text).toMatch(/^logical: +passed: backup_/m);
    expect(told[0].text).toMatch(new RegExp(`^Workflow: +${report.id}$`, 'm'));
    expect(check.problems.filter((p) => /restore test/.test(p))).toEqual([]);

    // Nothing temporary left: no restore test database, no instance folder.
    const dbs = await cluster.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden_restoretest_%'`,
    );
    expect(dbs).toEqual([]);
    const runFolders = join(workDir, 'pgwarden-pitr');
    expect(existsSync(runFolders) ? readdirSync(runFolders) : []).toEqual([]);
  });

  // A smoke query that finds nothing: the test fails, says which, and mails it.
  const failing = await fixture.hostWorkers('rtest-bad', {
    ...settings,
    WAL_ARCHIVE: '', // only the logical part: quicker, and the skip is said
    DR_SMOKE_QUERIES: `SELECT 1 FROM shop.orders WHERE note = 'never written'`,
  });
  await failing.runUntil(async () => {
    const report: RestoreTestReport = await client.workflow.execute(WorkflowType.restoreTest, {
      taskQueue: failing.taskQueue,
      workflowId: `restore-test-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(report).toMatchObject({ passed: false, pointInTimeSkipped: `${db} is not in WAL_ARCHIVE` });
    expect(report.parts).toEqual([
      expect.objectContaining({
        kind: 'logical',
        passed: false,
        withinRto: true,
        checks: [
          expect.objectContaining({ name: 'row counts', ok: true }),
          {
            name: 'smoke query 1',
            ok: false,
            detail: `returned no rows: SELECT 1 FROM shop.orders WHERE note = 'never written'`,
          },
        ],
      }),
    ]);
    const mail = await waitForCaptured(capturedMail, report.id);
    expect(mail.map((m) => m.subject)).toContain(`[pgwarden] FAILED: Restore test of ${db} failed`);
  });
}, 600_000);
