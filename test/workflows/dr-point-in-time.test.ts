/**
 * Point-in-time recovery in the disaster-recovery runbook, against real servers on a scratch
 * cluster of its own: orders deleted by mistake at T while payments keep changing. Step 3
 * proposes the second before T (and the nightly backup as the alternative); on-call picks the
 * orders table from the CLI (a table that is not there is refused by the CLI, nothing
 * recorded); step 4 recovers it beside the live one as a child run; step 5 counts its rows
 * again; the figures say seconds of data lost, not a day. A second incident takes the default:
 * the whole server as of the second before, into a new instance, checked promoted there. A
 * third goes back to a restore point made with pitr mark, chosen from the CLI by its name.
 */
import { existsSync } from 'node:fs';
import { runFolder } from '../../activities/recover-instance';
import { Client } from 'pg';
import type { WorkflowHandle } from '@temporalio/client';
import { pgwarden } from '../support/cli';
import type { IncidentState } from '../../src/operations/dr/incident';
import type { PitrRestoreResult } from '../../activities/pitr';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import * as m from '../../src/operations/dr/messages';
import { uniqueSuffix } from '../support/temporal';
import { pitrFixture } from '../support/pitr-fixture';
import { hostQueueVariable } from '../../src/infra/config/wal';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function digest(c: Client, table: string): Promise<string> {
  return (
    await c.query<{ d: string }>(`SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS d FROM ${table} t`)
  ).rows[0].d;
}

async function until(h: WorkflowHandle, ok: (s: IncidentState) => boolean, ms = 180_000): Promise<IncidentState> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await h.query(m.incidentStateQuery);
    if (ok(s)) return s;
    if (Date.now() > deadline)
      throw new Error(`incident at ${s.step} (${s.stepStatus}); last: ${JSON.stringify(s.timeline.slice(-3))}`);
    await sleep(250);
  }
}

const fixture = pitrFixture();

it('proposes the second before the failure, recovers a table or the server as a child run, and measures seconds lost', async () => {
  const { server, cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('drpitr', [
    'CREATE SCHEMA shop',
    'CREATE TABLE shop.orders (id serial PRIMARY KEY, note text, total numeric(10,2))',
    'CREATE TABLE shop.payments (id serial PRIMARY KEY, order_id int NOT NULL, amount numeric(10,2))',
    `INSERT INTO shop.orders (note, total) SELECT md5(g::text), g FROM generate_series(1, 200) g`,
  ]);
  const workDir = settings.PGWARDEN_WORK_DIR;
  const overrides = {
    ...settings,
    ESCALATION_L1_EMAIL: 'oncall@example.com',
    DR_SMOKE_QUERIES: 'SELECT 1 FROM shop.orders LIMIT 1',
  };
  const workers = await fixture.hostWorkers('drpitr', overrides);
  const { taskQueue, hostQueue } = workers;
  const client = server.client;
  // The CLI reads the same settings.
  const cliEnv = { ...overrides, PGWARDEN_TASK_QUEUE: taskQueue, [hostQueueVariable(db)]: hostQueue };

  await workers.runUntil(async () => {
    fixture.track(
      await client.workflow.start(WorkflowType.walArchive, {
        taskQueue,
        workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
        args: [{ server: db, roundSeconds: 600, hostQueue }],
      }),
    );
    const nightly = await client.workflow.execute(WorkflowType.backup, {
      taskQueue,
      workflowId: `backup-${db}-${uniqueSuffix()}`,
      args: [{ database: db, reason: 'nightly' }],
    });
    await client.workflow.execute(WorkflowType.baseBackup, {
      taskQueue,
      workflowId: `base-backup-${db}-${uniqueSuffix()}`,
      args: [{ server: db, reason: 'test', hostQueue }],
    });

    const app = new Client({ connectionString: cluster.url(db) });
    await app.connect();
    app.on('error', () => undefined);
    try {
      // A restore point before any of it, recorded where restores find it (pgwarden pitr mark).
      const ordersAtMark = await digest(app, 'shop.orders');
      await client.workflow.execute(WorkflowType.restorePoint, {
        taskQueue,
        workflowId: `restore-point-${db}-${uniqueSuffix()}`,
        args: [{ server: db, name: 'before-script' }],
      });
      for (let i = 0; i < 20; i++) {
        await app.query(`INSERT INTO shop.orders (note, total) VALUES ('after base ' || $1::int, $1::int)`, [i]);
        await app.query('INSERT INTO shop.payments (order_id, amount) VALUES ($1, $2)', [i + 1, i + 1]);
      }
      const ordersThen = await digest(app, 'shop.orders');
      await sleep(1500);
      // The mistake; payments go on after it.
      const failureTime = new Date().toISOString();
      await app.query('DELETE FROM shop.orders WHERE id > 10');
      for (let i = 0; i < 5; i++) await app.query('INSERT INTO shop.payments (order_id, amount) VALUES ($1, 1)', [i]);
      const paymentsNow = await digest(app, 'shop.payments');
      await app.query('SELECT pg_switch_wal()');
      await sleep(3000); // the archive catches up: segments at once, the open one every second

      // The orders of a recovered instance on its port.
      const ordersOn = async (port: number) => {
        const copy = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${port}/`) });
        await copy.connect();
        try {
          return await digest(copy, 'shop.orders');
        } finally {
          await copy.end();
        }
      };

      const open = async (summary: string) => {
        const h = await client.workflow.start(WorkflowType.disasterRecovery, {
          taskQueue,
          workflowId: `dr-${db}-${uniqueSuffix()}`,
          args: [{ summary, database: db, failureTime, severity: 'SEV2', openedBy: 'carol' }],
        });
        fixture.track(h);
        await until(h, (s) => s.step === 'assess' && s.stepStatus === 'waiting');
        await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'bob' }] });
        await h.executeUpdate(m.assessUpdate, {
          args: [{ by: 'bob', dataLossScope: 'orders deleted at ' + failureTime, customerImpact: false }],
        });
        return h;
      };

      // --- Incident 1: one table, as of the proposed point, beside the live one; picked from the CLI.
      const h1 = await open('orders deleted by a bad script');
      let s = await until(h1, (x) => x.step === 'select' && x.stepStatus === 'waiting');
      const justBefore = new Date(Date.parse(failureTime) - 1000).toISOString();
      expect(s.pointInTime).toMatchObject({
        target: { kind: 'time', time: justBefore },
        baseBackupId: expect.stringMatching(/^base_/),
        hostQueue,
        lossSeconds: 1,
        // The point marked before it all is offered by name.
        restorePoints: [{ name: 'before-script', createdAt: expect.any(String) }],
      });
      expect(s.proposal).toMatchObject({ backupId: nightly.backupId });
      expect(s.waitingFor).toMatch(/--to TIME\|latest \| --to-name POINT \| --table S\.T \[--replace\]/);
      const status = await pgwarden(cliEnv, 'dr', 'status', h1.workflowId);
      expect(status.stdout).toContain(`proposed   ${justBefore}: the second before the failure`);
      expect(status.stdout).toContain(`or backup  ${nightly.backupId}`);
      expect(status.stdout).toMatch(/^or point {3}"before-script" made .*: --to-name before-script$/m);

      // A schema the database does not have: refused by the Update, so by the CLI (exit 64), nothing recorded.
      const recorded = s.timeline.length;
      const refused = await pgwarden(cliEnv, 'dr', 'select', h1.workflowId, '--table', 'nosuch.orders', '--as', 'bob');
      expect(refused).toMatchObject({ code: 64 });
      expect(refused.stderr).toMatch(/schema nosuch does not exist in /);
      // Flags that do not go together: refused the same way, said in flag terms.
      const mixed = await pgwarden(cliEnv, 'dr', 'select', h1.workflowId, '--to', 'latest', '--new-db', 'x', '--as', 'bob');
      expect(mixed).toMatchObject({ code: 64 });
      expect(mixed.stderr).toMatch(/--new-db is for a backup/);
      expect((await h1.query(m.incidentStateQuery)).timeline.length).toBe(recorded);

      const picked = await pgwarden(cliEnv, 'dr', 'select', h1.workflowId, '--table', 'shop.orders', '--as', 'bob');
      expect(picked).toMatchObject({ code: 0 });
      s = await until(h1, (x) => x.step === 'resume' && x.stepStatus === 'waiting');
      expect(s.selection).toMatchObject({
        kind: 'tables',
        tables: ['shop.orders'],
        replace: false,
        target: { time: justBefore },
      });
      expect(s.restore).toMatchObject({ status: 'succeeded', restoredInto: db, workflowId: `${h1.workflowId}-restore` });
      expect(s.checks).toEqual([
        { name: 'rows of shop.orders_recovered', ok: true, detail: '220 row(s)' },
        { name: 'smoke query 1', ok: true, detail: '1 row(s)' },
      ]);
      // The copy is the table as it was a moment before the mistake; the live tables kept what happened since.
      expect(await digest(app, 'shop.orders_recovered')).toBe(ordersThen);
      expect(await digest(app, 'shop.payments')).toBe(paymentsNow);
      await h1.executeUpdate(m.resumeUpdate, { args: [{ by: 'bob', note: 'orders copied back' }] });
      const closed1: IncidentState = await h1.result();
      expect(closed1.status).toBe('resolved');
      // Seconds lost, measured from the last commit replayed: about the 1.5 s pause before the mistake.
      expect(closed1.recovery!.dataLossSeconds).toBeGreaterThan(1);
      expect(closed1.recovery!.dataLossSeconds).toBeLessThan(10);
      expect(closed1.recovery!.withinRpo).toBe(true);

      // --- Incident 2: the default, the whole server as of the second before, into a new instance.
      const h2 = await open('the server is suspect; bring it back as it was');
      await until(h2, (x) => x.step === 'select' && x.stepStatus === 'waiting');
      await h2.executeUpdate(m.selectBackupUpdate, { args: [{ by: 'bob' }] });
      s = await until(h2, (x) => x.step === 'resume' && x.stepStatus === 'waiting');
      const child: PitrRestoreResult = await client.workflow.getHandle(s.restore!.workflowId).result();
      fixture.restored(child.dataDir);
      expect(s.selection).toMatchObject({ kind: 'point-in-time', target: { kind: 'time', time: justBefore } });
      expect(s.restore).toMatchObject({ status: 'succeeded', port: child.port, restoredInto: child.connection });
      expect(s.checks).toEqual([
        { name: 'promoted', ok: true, detail: `recovered to ${justBefore} and accepting writes` },
        { name: 'smoke query 1', ok: true, detail: '1 row(s)' },
      ]);
      expect(await ordersOn(child.port)).toBe(ordersThen);
      await h2.executeUpdate(m.resumeUpdate, { args: [{ by: 'bob', note: 'app pointed at the new instance' }] });
      const closed2: IncidentState = await h2.result();
      expect(closed2.recovery!.dataLossSeconds).toBeLessThan(10);
      expect(closed2.evidence).toBeTruthy();

      // --- Incident 3: the server as of the restore point, chosen by its name from the CLI.
      const h3 = await open('go back to before the script ran');
      await until(h3, (x) => x.step === 'select' && x.stepStatus === 'waiting');
      const both = await pgwarden(
        cliEnv,
        'dr',
        'select',
        h3.workflowId,
        '--to',
        'latest',
        '--to-name',
        'before-script',
        '--as',
        'bob',
      );
      expect(both).toMatchObject({ code: 64 });
      expect(both.stderr).toMatch(/give either --to \(a time\) or --to-name \(a restore point\), not both/);
      const named = await pgwarden(cliEnv, 'dr', 'select', h3.workflowId, '--to-name', 'before-script', '--as', 'bob');
      expect(named).toMatchObject({ code: 0, stderr: '' });
      s = await until(h3, (x) => x.step === 'resume' && x.stepStatus === 'waiting');
      const child3: PitrRestoreResult = await client.workflow.getHandle(s.restore!.workflowId).result();
      fixture.restored(child3.dataDir);
      expect(s.selection).toMatchObject({ kind: 'point-in-time', target: { kind: 'name', name: 'before-script' } });
      // Recorded by pitr mark: placed by its LSN, no warning that it might not be found.
      expect(s.timeline.map((e) => e.what)).toContain(
        `chose the server as of restore point "before-script" (from base backup ${s.selection!.backupId}), into a new instance`,
      );
      expect(s.checks).toEqual([
        { name: 'promoted', ok: true, detail: 'recovered to restore point "before-script" and accepting writes' },
        { name: 'smoke query 1', ok: true, detail: '1 row(s)' },
      ]);
      expect(await ordersOn(child3.port)).toBe(ordersAtMark);
      await h3.executeUpdate(m.resumeUpdate, { args: [{ by: 'bob', note: 'app pointed at the new instance' }] });
      expect((await h3.result()).status).toBe('resolved');

      // --- The annual complete recovery scenario: a drill with the server lost, by itself, to the end of the archive.
      const beforeLast = Date.now();
      await app.query(`INSERT INTO shop.payments (order_id, amount) VALUES (1, 99)`);
      await app.query('SELECT pg_switch_wal()');
      await sleep(3000);
      const scenario: IncidentState = await client.workflow.execute(WorkflowType.disasterRecovery, {
        taskQueue,
        workflowId: `dr-scenario-${db}-${uniqueSuffix()}`,
        args: [{ summary: 'the server is lost', database: db, drill: true, scenario: 'server-lost', openedBy: 'schedule' }],
      });
      expect(scenario).toMatchObject({
        status: 'resolved',
        severity: 'DRILL',
        drill: { attended: false, scenario: 'server-lost' },
        selection: { by: 'pgwarden (drill)', kind: 'point-in-time', target: { kind: 'latest' } },
        restore: { status: 'succeeded' },
        checks: [
          expect.objectContaining({ name: 'promoted', ok: true }),
          expect.objectContaining({ name: 'smoke query 1', ok: true }),
        ],
        recovery: { withinRpo: true },
      });
      // Everything the archive held came back (up to the last payment's commit), and the instance is gone.
      expect(scenario.restore!.detail).toMatch(/^recovered from base_/);
      expect(Date.parse(scenario.restore!.recoveredTo!.commitTime!)).toBeGreaterThanOrEqual(beforeLast - 50);
      expect(existsSync(runFolder(workDir, db, scenario.restore!.workflowId))).toBe(false);
    } finally {
      await app.end();
    }
  });
}, 600_000);
