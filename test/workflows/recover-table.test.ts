/**
 * Table recovery against real servers, on a scratch cluster of its own: orders deleted by
 * mistake at T while payments keep changing; shop.orders recovered as of a moment before T
 * into the live database, beside the live table. The copy matches a digest taken then, with
 * its grants, indexes and sequence; the live tables keep their newer data; the temporary
 * instance is gone. Refusals, each before the long work: a name already taken, a table that
 * did not exist then (created later, or never). The host's worker killed mid-recovery: another
 * finishes it, the table lands once, and no instance is left running. --replace: refused for
 * a view that reads the table, rejected, a conflict named with nothing changed, and approved:
 * the copy in the table's place with the live foreign keys, grants and sequence position.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { CancelledFailure, WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import type { RecoverTableInput, RecoverTableResult } from '../../workflows/recover-table';
import { describeFailure } from '../../src/app/cli/failure';
import { formatTableRecovery } from '../../src/app/cli/commands/recover-table';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { approveRestoreUpdate, rejectRestoreUpdate, restoreStatusQuery } from '../../src/infra/temporal/messages';
import { planRecoveryNames } from '../../src/operations/table-recovery/names';
import { highestAttempt, startDoomedWorker } from '../support/doomed-worker';
import { waitFor } from '../support/wait';
import { capturedMail, waitForCaptured } from '../support/sinks';
import { depsHoldingReads } from '../support/held-reads';
import { createActivities } from '../../activities';
import type { RecoveredCopy, TableRecoveryResult } from '../../activities/table-recovery';
import { runCommand } from '../../src/infra/process/run-command';
import { createHostWorker } from '../../src/app/worker/create-worker';
import { activityEnvironment, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import { pitrFixture } from '../support/pitr-fixture';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { baseBackupFolder, reportsFolder } from '../../src/infra/storage/layout';
import type { TableRecoveryEvidence } from '../../src/operations/table-recovery/evidence';

/** PostgreSQL processes whose data directory is under `folder`. */
async function instancesUnder(folder: string): Promise<string[]> {
  const r = await runCommand('ps', ['-eo', 'pid,args'], { timeoutMs: 10_000 });
  return r.stdout.split('\n').filter((l) => l.includes(folder) && /postgres/.test(l));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An md5 of every row of a table, in a stable order. */
async function digest(c: Client, table: string): Promise<string> {
  return (
    await c.query<{ d: string }>(`SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS d FROM ${table} t`)
  ).rows[0].d;
}

const names = (tables: string[], as?: string, replace = false) => {
  const plan = planRecoveryNames(tables, as, replace);
  if ('problem' in plan) throw new Error(plan.problem);
  return plan;
};

const fixture = pitrFixture();

it('recovers a table as of a second before a mistake beside the live one, and in its place after an approval', async () => {
  const { server, cluster } = fixture;
  await cluster.query('CREATE ROLE reporting NOLOGIN');
  const { db, settings: overrides } = await fixture.archivedDatabase('tables', [
    'CREATE SCHEMA shop',
    'CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL)',
    `CREATE TABLE shop.orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers,
       note text, total numeric(10,2) CHECK (total >= 0), placed timestamptz NOT NULL DEFAULT clock_timestamp())`,
    'CREATE INDEX orders_customer_idx ON shop.orders (customer_id)',
    'CREATE TABLE shop.payments (id serial PRIMARY KEY, order_id int NOT NULL, amount numeric(10,2))',
    'GRANT SELECT ON shop.orders TO reporting',
    `INSERT INTO shop.customers (name) SELECT 'customer ' || g FROM generate_series(1, 20) g`,
    `INSERT INTO shop.orders (customer_id, note, total) SELECT 1 + g % 20, md5(g::text), g FROM generate_series(1, 300) g`,
  ]);
  const workDir = overrides.PGWARDEN_WORK_DIR;
  const workers = await fixture.hostWorkers('tables', overrides);
  const { taskQueue, hostQueue, activities } = workers;
  const recover = (input: Omit<RecoverTableInput, 'server' | 'into' | 'hostQueue'>) =>
    server.client.workflow.execute(WorkflowType.recoverTable, {
      taskQueue,
      workflowId: `recover-table-${db}-${uniqueSuffix()}`,
      args: [{ server: db, into: db, hostQueue, ...input }],
    });

  await workers.runUntil(async () => {
    const archiving = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600, hostQueue }],
    });
    fixture.track(archiving);
    // A nightly logical backup, then a moment with no base backup before it, then the base backup.
    await server.client.workflow.execute(WorkflowType.backup, {
      taskQueue,
      workflowId: `backup-${db}-${uniqueSuffix()}`,
      args: [{ database: db, reason: 'nightly' }],
    });
    const ordersAtDump = await cluster.query<{ d: string }>(
      `SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS d FROM shop.orders t`,
      [],
      db,
    );
    await sleep(1000);
    const beforeBase = new Date().toISOString();
    await sleep(1000);
    await server.client.workflow.execute(WorkflowType.baseBackup, {
      taskQueue,
      workflowId: `base-backup-${db}-${uniqueSuffix()}`,
      args: [{ server: db, reason: 'test', hostQueue }],
    });

    // Orders and payments written after the base backup; the orders as they are at T-1s.
    const app = new Client({ connectionString: cluster.url(db) });
    await app.connect();
    app.on('error', () => undefined); // the cluster stops at the end with this connection open on a failure
    for (let i = 0; i < 20; i++) {
      await app.query(
        `INSERT INTO shop.orders (customer_id, note, total) VALUES (1 + $1::int % 20, 'after base ' || $1::int, $1::int)`,
        [i],
      );
      await app.query('INSERT INTO shop.payments (order_id, amount) VALUES ($1, $2)', [i + 1, i + 1]);
    }
    const ordersThen = await digest(app, 'shop.orders');
    const countThen = Number((await app.query<{ n: string }>('SELECT count(*) AS n FROM shop.orders')).rows[0].n);
    await sleep(1000);
    const target = new Date().toISOString();
    await sleep(1000);
    // The mistake at T; payments and customers go on changing after it, and a table is created.
    await app.query('DELETE FROM shop.orders WHERE id > 10');
    for (let i = 0; i < 10; i++) await app.query('INSERT INTO shop.payments (order_id, amount) VALUES ($1, 1)', [i]);
    await app.query(`INSERT INTO shop.customers (name) VALUES ('late customer')`);
    await app.query('CREATE TABLE shop.coupons (code text PRIMARY KEY)');
    const paymentsNow = await digest(app, 'shop.payments');
    await app.query('SELECT pg_switch_wal()');
    await sleep(3000); // the archive catches up: segments at once, the open one every second

    const recovering = await server.client.workflow.start(WorkflowType.recoverTable, {
      taskQueue,
      workflowId: `recover-table-${db}-${uniqueSuffix()}`,
      args: [{ server: db, into: db, hostQueue, tables: names(['shop.orders']), target: { kind: 'time', time: target } }],
    });
    const result: RecoverTableResult = await recovering.result();
    // Each step done on its first attempt: a load that hangs after its commit is retried, and shows here.
    expect(await highestAttempt(recovering)).toBe(1);
    expect(result).toMatchObject({
      server: db,
      into: db,
      baseBackupId: expect.stringMatching(/^base_/),
      target,
      tables: [
        { table: 'shop.orders', as: 'shop.orders_recovered', rows: countThen, foreignKeysLeftOut: ['orders_customer_id_fkey'] },
      ],
    });
    expect(Date.parse(result.recoveredTo!.commitTime!)).toBeLessThanOrEqual(Date.parse(target));
    expect(formatTableRecovery(result)).toContain(
      `shop.orders -> shop.orders_recovered: ${countThen} row(s); foreign keys left out: orders_customer_id_fkey`,
    );

    // The copy is the table as it was; the live tables keep what happened since.
    expect(await digest(app, 'shop.orders_recovered')).toBe(ordersThen);
    expect((await app.query<{ n: string }>('SELECT count(*) AS n FROM shop.orders')).rows[0].n).toBe('10');
    expect(await digest(app, 'shop.payments')).toBe(paymentsNow);
    expect((await app.query('SELECT 1 FROM shop.customers WHERE name = $1', ['late customer'])).rowCount).toBe(1);
    // Its grants, indexes (renamed, beside the live ones), check constraint, default and own sequence came along.
    const catalog = async (sql: string) => (await app.query(sql)).rows;
    expect(await catalog(`SELECT has_table_privilege('reporting', 'shop.orders_recovered', 'SELECT') AS ok`)).toEqual([
      { ok: true },
    ]);
    expect(
      await catalog(`SELECT indexname FROM pg_indexes WHERE schemaname = 'shop' AND tablename = 'orders_recovered' ORDER BY 1`),
    ).toEqual([{ indexname: 'orders_recovered_customer_idx' }, { indexname: 'orders_recovered_pkey' }]);
    expect(
      await catalog(
        `SELECT pg_get_serial_sequence('shop.orders_recovered', 'id') AS seq, obj_description('shop.orders_recovered'::regclass, 'pg_class') AS comment`,
      ),
    ).toEqual([
      {
        seq: 'shop.orders_recovered_id_seq',
        comment: expect.stringMatching(/^shop\.orders as of .*, recovered by pgwarden run recover-table-/),
      },
    ]);
    await expect(app.query(`INSERT INTO shop.orders_recovered (customer_id, total) VALUES (1, -1)`)).rejects.toThrow(
      /check constraint/,
    );
    // The live table's own sequence was not touched.
    expect(await catalog(`SELECT pg_get_serial_sequence('shop.orders', 'id') AS seq`)).toEqual([{ seq: 'shop.orders_id_seq' }]);
    // No temporary instance left behind.
    const runFolders = join(workDir, 'pgwarden-pitr');
    expect(existsSync(runFolders) ? readdirSync(runFolders).filter((f) => f.startsWith('table-')) : []).toEqual([]);

    // A moment no base backup covers: the newest logical backup before it, restored into a
    // temporary database that goes afterwards, said so.
    const fromDump: RecoverTableResult = await recover({
      tables: names(['shop.orders'], 'orders_from_dump'),
      target: { kind: 'time', time: beforeBase },
    });
    expect(fromDump).toMatchObject({
      baseBackupId: expect.stringMatching(/^backup_/),
      recoveredTo: null,
      fromBackup: { takenAt: expect.any(String), why: expect.stringContaining('base backup') },
      tables: [{ table: 'shop.orders', as: 'shop.orders_from_dump', rows: 300 }],
    });
    expect(await digest(app, 'shop.orders_from_dump')).toBe(ordersAtDump[0].d);
    expect(formatTableRecovery(fromDump)).toMatch(
      new RegExp(`^recovered from the logical backup ${fromDump.baseBackupId}, taken .* \\(.*base backup.*\\), into ${db}`),
    );
    expect(await cluster.query(`SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden_tables_%'`)).toEqual([]);

    // Refused before any recovery: the name is taken now.
    const started = Date.now();
    const taken = await recover({ tables: names(['shop.orders']), target: { kind: 'time', time: target } }).catch(
      (e: unknown) => e,
    );
    expect(describeFailure(taken)).toMatchObject({ exitCode: 64 });
    expect(describeFailure(taken).lines.join(' ')).toContain(
      `shop.orders_recovered already exists in ${db}: choose another --as, or drop it first`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);

    // A table created after the target, and one that never existed: named, with what there was.
    const later = await recover({ tables: names(['shop.coupons']), target: { kind: 'time', time: target } }).catch(
      (e: unknown) => e,
    );
    expect(describeFailure(later).lines.join(' ')).toContain(
      `shop.coupons did not exist as of ${target}; it exists now, so it was created later: choose a later --to`,
    );
    const never = await recover({ tables: names(['shop.order']), target: { kind: 'time', time: target } }).catch(
      (e: unknown) => e,
    );
    expect(describeFailure(never)).toMatchObject({ exitCode: 64 });
    expect(describeFailure(never).lines.join(' ')).toContain(
      `shop.order did not exist as of ${target}, nor does it now; tables in shop then: customers, orders, payments`,
    );
    expect(readdirSync(runFolders).filter((f) => f.startsWith('table-'))).toEqual([]);

    // An attempt the server gave up on, still unpacking, beside its retry (a worker cut off from
    // Temporal): the retry recovers in a folder of its own, the table lands once, whole, and every
    // attempt's folder goes at the end.
    const strayInput = {
      server: db,
      into: db,
      tables: names(['shop.orders'], 'orders_beside_stray'),
      target: { kind: 'time' as const, time: target },
      workflowId: `recover-table-${db}-${uniqueSuffix()}`,
    };
    const baseObject = (key: string) =>
      key.startsWith(baseBackupFolder(workers.config.storage!.prefix, db)) && key.includes('.tar');
    let releaseStray!: () => void;
    const strayGate = new Promise<void>((r) => (releaseStray = r));
    const strayDeps = depsHoldingReads(workers.config, baseObject, () => strayGate);
    const unpacking = (env: ReturnType<typeof activityEnvironment>) => {
      const seen = { now: false };
      env.on(
        'heartbeat',
        (d: { summary?: string } | undefined) => void (d?.summary?.startsWith('unpacking') && (seen.now = true)),
      );
      return seen;
    };
    const strayEnv = activityEnvironment({ attempt: 1, heartbeatTimeoutMs: 600 });
    const strayUnpacking = unpacking(strayEnv);
    const stray = strayEnv.run(createActivities(strayDeps).prepareRecoveredTables, strayInput).catch((e: unknown) => e);
    const retryDeps = depsHoldingReads(workers.config, baseObject, () => stray);
    try {
      await waitFor('the first attempt unpacking', async () => strayUnpacking.now);
      const retryEnv = activityEnvironment({ attempt: 2, heartbeatTimeoutMs: 600 });
      const retryUnpacking = unpacking(retryEnv);
      const retry = retryEnv.run(createActivities(retryDeps).prepareRecoveredTables, strayInput) as Promise<RecoveredCopy>;
      await waitFor('the retry unpacking', async () => retryUnpacking.now);
      releaseStray();
      await stray; // whatever it came to: its folder was taken away
      const copy = await retry;
      const landed = (await activityEnvironment().run(activities.loadRecoveredTables, {
        ...strayInput,
        copy,
      })) as TableRecoveryResult;
      expect(landed.tables).toEqual([expect.objectContaining({ as: 'shop.orders_beside_stray', rows: countThen })]);
      expect(await digest(app, 'shop.orders_beside_stray')).toBe(ordersThen);
    } finally {
      releaseStray();
      await stray;
      await activityEnvironment().run(activities.discardTableRecovery, { server: db, workflowId: strayInput.workflowId });
      for (const deps of [strayDeps, retryDeps]) deps.bucket.s3.destroy();
    }
    expect(readdirSync(runFolders).filter((f) => f.startsWith('table-'))).toEqual([]);
    expect(await instancesUnder(runFolders)).toEqual([]);

    // The worker on the host killed once the temporary instance runs: another one finishes the
    // recovery; the table is there once, whole, and no instance is left running.
    const crashQueue = uniqueTaskQueue('tables-crash');
    const doomed = startDoomedWorker({ ...overrides, PGWARDEN_TASK_QUEUE: crashQueue, METRICS_PORT: '0' });
    const crashing = await server.client.workflow.start(WorkflowType.recoverTable, {
      taskQueue,
      workflowId: `recover-table-${db}-${uniqueSuffix()}`,
      args: [
        {
          server: db,
          into: db,
          hostQueue: crashQueue,
          tables: names(['shop.orders'], 'orders_after_crash'),
          target: { kind: 'time', time: target },
        },
      ],
    });
    await doomed.killMidStep(
      crashing,
      'a step running on the host with the temporary instance up',
      async () =>
        existsSync(runFolders) &&
        readdirSync(runFolders).some((f) => f.startsWith('table-') && existsSync(join(runFolders, f, 'data', 'postmaster.pid'))),
    );
    const rescuer = await createHostWorker({
      connection: server.nativeConnection,
      namespace: server.namespace,
      taskQueue: crashQueue,
      activities,
    });
    const afterCrash: RecoverTableResult = await rescuer.runUntil(crashing.result());
    expect(afterCrash.tables).toEqual([expect.objectContaining({ as: 'shop.orders_after_crash', rows: countThen })]);
    expect(await digest(app, 'shop.orders_after_crash')).toBe(ordersThen);
    expect(await highestAttempt(crashing)).toBeGreaterThanOrEqual(2);
    expect(readdirSync(runFolders).filter((f) => f.startsWith('table-'))).toEqual([]);
    expect(await instancesUnder(runFolders)).toEqual([]);

    // --replace. Since T: a grant, a new order (the sequence moved on), and a table whose rows point at orders.
    await app.query('CREATE ROLE auditors NOLOGIN');
    await app.query('GRANT SELECT, UPDATE ON shop.orders TO auditors');
    const newest = (
      await app.query<{ id: number }>(`INSERT INTO shop.orders (customer_id, note, total) VALUES (1, 'after T', 1) RETURNING id`)
    ).rows[0].id;
    await app.query('CREATE TABLE shop.order_notes (order_id int NOT NULL REFERENCES shop.orders, note text)');
    await app.query(`INSERT INTO shop.order_notes VALUES (5, 'kept order'), ($1, 'an order the copy lacks')`, [newest]);
    await app.query('CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 100');
    const live = async () => ({ rows: await digest(app, 'shop.orders'), notes: await digest(app, 'shop.order_notes') });
    const before = await live();
    const replacing = () =>
      server.client.workflow.start(WorkflowType.recoverTable, {
        taskQueue,
        workflowId: `recover-table-${db}-${uniqueSuffix()}`,
        args: [
          {
            server: db,
            into: db,
            hostQueue,
            tables: names(['shop.orders'], undefined, true),
            target: { kind: 'time', time: target },
          },
        ],
      });
    const awaitingApproval = (run: WorkflowHandle) =>
      waitFor('the replace to wait for its approval', async () => (await run.query(restoreStatusQuery)).awaitingApproval, 120);

    // A view reading the table: refused at once, naming it.
    const blockedRun = await replacing();
    const blocked = await blockedRun.result().catch((e: unknown) => e);
    expect(describeFailure(blocked)).toMatchObject({ exitCode: 64 });
    // A refused input is its caller's to fix: told to it, nobody alerted.
    expect(await capturedMail(blockedRun.workflowId)).toEqual([]);
    expect(describeFailure(blocked).lines.join(' ')).toContain(
      'shop.orders cannot be replaced: view shop.big_orders would keep pointing at the old table; recover it beside the live one (without --replace), or drop them first',
    );
    await app.query('DROP VIEW shop.big_orders');

    // Rejected: nothing changed.
    const rejected = await replacing();
    await awaitingApproval(rejected);
    await rejected.executeUpdate(rejectRestoreUpdate, { args: [{ by: 'dba', note: 'wrong time' }] });
    expect(describeFailure(await rejected.result().catch((e: unknown) => e)).lines.join(' ')).toContain(
      'rejected by dba: wrong time; nothing was changed',
    );
    expect(await live()).toEqual(before);
    // The team heard of the replace waiting, and of its rejection: a live table is at stake, not only the terminal's.
    const rejectedMails = await waitForCaptured(capturedMail, rejected.workflowId, 3);
    const rejectedMail = rejectedMails.map((m) => m.subject);
    expect(rejectedMail).toEqual(
      expect.arrayContaining([
        `[pgwarden] OK: Table recovery of shop.orders in ${db} started`,
        `[pgwarden] WARNING: Replacing shop.orders in ${db} is waiting for approval`,
        `[pgwarden] FAILED: Table recovery of shop.orders in ${db} FAILED`,
      ]),
    );
    // It said first what was coming: the table to be replaced once approved, the live rows kept.
    expect(rejectedMails.find((m) => / started$/.test(m.subject))!.text).toMatch(
      /^Table: +shop\.orders to be replaced by its copy once approved; the rows it has kept as shop\.orders_replaced$/m,
    );

    // Cancelled while it waits for its approval (by a person, or an incident aborted): its
    // temporary instance is stopped and removed, nothing changed. (It was left running before.)
    const cancelled = await replacing();
    await awaitingApproval(cancelled);
    await cancelled.cancel();
    const cancelledWith = await cancelled.result().catch((e: unknown) => e);
    expect((cancelledWith as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(await live()).toEqual(before);
    expect(await instancesUnder(runFolders)).toEqual([]);
    expect(readdirSync(runFolders).filter((f) => f.startsWith('table-'))).toEqual([]);

    // Approved, but a note points at an order the copy lacks: the conflict named, nothing changed.
    const conflicting = await replacing();
    await awaitingApproval(conflicting);
    await conflicting.executeUpdate(approveRestoreUpdate, { args: [{ by: 'dba' }] });
    const conflict = describeFailure(await conflicting.result().catch((e: unknown) => e)).lines.join(' ');
    expect(conflict).toContain(`copying the recovered tables into ${db} failed, nothing was changed there:`);
    expect(conflict).toMatch(
      /violates foreign key constraint "order_notes_order_id_fkey".*Key \(order_id\)=\(\d+\) is not present/,
    );
    expect(await live()).toEqual(before);
    expect((await app.query(`SELECT 1 FROM pg_class WHERE relname IN ('orders_recovering', 'orders_replaced')`)).rowCount).toBe(
      0,
    );
    expect(await instancesUnder(runFolders)).toEqual([]);

    // Without that note, approved: the table as it was at T in its own place, the live rows kept beside it.
    await app.query('DELETE FROM shop.order_notes WHERE order_id = $1', [newest]);
    const approved = await replacing();
    await awaitingApproval(approved);
    await approved.executeUpdate(approveRestoreUpdate, { args: [{ by: 'dba' }] });
    const replaced: RecoverTableResult = await approved.result();
    expect(replaced).toMatchObject({
      approvedBy: 'dba',
      tables: [
        { table: 'shop.orders', as: 'shop.orders', rows: countThen, keptAs: 'shop.orders_replaced', foreignKeysLeftOut: [] },
      ],
    });
    expect(formatTableRecovery(replaced)).toContain(
      `shop.orders replaced by its copy: ${countThen} row(s); the rows it had are kept as shop.orders_replaced`,
    );
    const [replacedMail] = await waitForCaptured(capturedMail, `Replaced shop.orders in ${db}`);
    expect(replacedMail.text).toContain(`${approved.workflowId}`);
    expect(replacedMail.text).toMatch(
      new RegExp(
        `Table: +shop\\.orders replaced by its copy: ${countThen} row\\(s\\); the rows it had are kept as shop\\.orders_replaced`,
      ),
    );
    expect(replacedMail.text).toMatch(/Approved by: +dba\n/);
    expect(replacedMail.text).toMatch(/Report: +s3:\/\/\S+\.md\n/);
    expect(await digest(app, 'shop.orders')).toBe(ordersThen);
    expect(await digest(app, 'shop.orders_replaced')).toBe(before.rows);
    // Its evidence report, beside the backups: approved by dba, each step timed.
    const bucket = new Bucket(workers.config.storage!, createS3Client(workers.config.storage!));
    const evidenceKey = replaced.evidence!.json.replace(`s3://${workers.config.storage!.bucket}/`, '');
    const evidence = JSON.parse((await bucket.getText(evidenceKey))!) as TableRecoveryEvidence;
    expect(evidence).toMatchObject({
      type: 'table-recovery',
      status: 'succeeded',
      approval: { approvedBy: 'dba' },
      tables: [{ table: 'shop.orders', as: 'shop.orders', rows: countThen, keptAs: 'shop.orders_replaced' }],
      objectives: { restore: { met: true } },
    });
    // Who asked for it, as its start request said (this test's client).
    expect(evidence.startedBy).toBe((await approved.fetchHistory()).events![0].workflowExecutionStartedEventAttributes!.identity);
    expect(evidence.startedBy).toMatch(/^\d+@/);
    expect(evidence.steps.map((x) => [x.step.split(' ')[0], x.outcome])).toEqual([
      ['check', 'done'],
      ['recover', 'done'],
      ['wait', 'done'],
      ['replace', 'done'],
      ['remove', 'done'],
    ]);
    expect(await bucket.getText(evidenceKey.replace(/\.json$/, '.md'))).toContain(
      `# Table recovery ${approved.workflowId}: succeeded`,
    );
    // The rejected run left its report too, saying so.
    const reports = (await bucket.list(reportsFolder(workers.config.storage!.prefix, db))).map((o) => o.key);
    const rejectedReport = reports.find((k) => k.endsWith(`_${rejected.workflowId}.json`))!;
    expect(JSON.parse((await bucket.getText(rejectedReport))!)).toMatchObject({
      status: 'failed',
      failure: 'rejected by dba: wrong time; nothing was changed',
    });
    // The live table's foreign keys (its own and the one pointing at it), grants and names are the copy's now.
    expect(
      await catalog(
        `SELECT conname, conrelid::regclass::text AS on, confrelid::regclass::text AS to FROM pg_constraint
            WHERE contype = 'f' AND 'shop.orders'::regclass IN (conrelid, confrelid) ORDER BY 1`,
      ),
    ).toEqual([
      { conname: 'order_notes_order_id_fkey', on: 'shop.order_notes', to: 'shop.orders' },
      { conname: 'orders_customer_id_fkey', on: 'shop.orders', to: 'shop.customers' },
    ]);
    expect(
      await catalog(
        `SELECT has_table_privilege('auditors', 'shop.orders', 'UPDATE') AS auditors, has_table_privilege('reporting', 'shop.orders', 'SELECT') AS reporting`,
      ),
    ).toEqual([{ auditors: true, reporting: true }]);
    expect(
      await catalog(`SELECT indexname FROM pg_indexes WHERE schemaname = 'shop' AND tablename = 'orders' ORDER BY 1`),
    ).toEqual([{ indexname: 'orders_customer_idx' }, { indexname: 'orders_pkey' }]);
    // No id handed out before is handed out again.
    const next = (await app.query<{ id: number }>(`INSERT INTO shop.orders (customer_id, total) VALUES (1, 1) RETURNING id`))
      .rows[0].id;
    expect(next).toBeGreaterThan(newest);
    expect(await instancesUnder(runFolders)).toEqual([]);
    await app.end();
    await archiving.cancel();
    await archiving.result();
  });
}, 300_000);
