/**
 * A failover while archiving, on scratch clusters of their own: the primary fails, its
 * streaming standby is promoted to timeline 2, and the same archiving run, its worker now
 * pointed at the new primary, follows: the old timeline up to the fork, the new timeline's
 * history file, then timeline 2, with no gap. A moment on timeline 2 is then restored from the
 * base backup taken on timeline 1, and the daily check finds the archive whole.
 */
import { waitFor as waitForUpTo } from '../support/wait';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { VerifyResult } from '../../workflows/verify';
import { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { describeFailure } from '../../src/app/cli/failure';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { PitrRestoreResult } from '../../activities/pitr';
import { instanceUser, stopInstance } from '../../src/infra/postgres/instance';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { Bucket } from '../../src/infra/storage/bucket';
import { restorePointKey, walFileOf, walFolder } from '../../src/infra/storage/layout';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { uniqueDatabaseName } from '../support/databases';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { stackConfig } from '../support/stack-env';
import { bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: DevServer;
let primary: ScratchCluster;
let standby: (ScratchCluster & { promote(): Promise<void> }) | undefined;
const clusters: ScratchCluster[] = [];
const runs: WorkflowHandle[] = [];
const restored: string[] = [];
beforeAll(async () => {
  server = await devServer();
  primary = await startScratchCluster();
});
afterAll(async () => {
  for (const run of runs) await run.terminate('test over').catch(() => undefined);
  for (const dataDir of restored) await stopInstance({ dataDir, runAs: instanceUser() }).catch(() => undefined);
  await standby?.stop();
  await primary?.stop();
  for (const c of clusters) await c.stop().catch(() => undefined);
  await server.close();
});

/** Inserts markers `from..to`, each committed on its own, 100 ms apart; their commit times. */
/** This file's waits are longer: failovers restart servers. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, seconds = 60) => waitForUpTo(what, probe, seconds);

async function writeMarks(url: string, from: number, to: number): Promise<Map<number, Date>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const marks = new Map<number, Date>();
  try {
    for (let id = from; id <= to; id++) {
      const r = await c.query<{ at: Date }>('INSERT INTO marks VALUES ($1, clock_timestamp()) RETURNING at', [id]);
      marks.set(id, r.rows[0].at);
      await sleep(100);
    }
  } finally {
    await c.end();
  }
  return marks;
}

it('archiving follows a promoted standby onto timeline 2, and a moment on timeline 2 is restored', async () => {
  const db = uniqueDatabaseName('failover');
  await primary.query(`CREATE DATABASE ${db}`);
  await primary.query('CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL)', [], db);
  const workDir = join(tmpdir(), `pgwarden-failover-test-${randomUUID().slice(0, 8)}`);
  mkdirSync(workDir, { recursive: true });
  const common = { WAL_ARCHIVE: db, WAL_PARTIAL_UPLOAD_SECONDS: '1', PGWARDEN_WORK_DIR: workDir };
  const taskQueue = uniqueTaskQueue('failover');
  const config = stackConfig({ ...common, DATABASE_URL: primary.url(db) });
  const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
  const archivedNames = async () =>
    new Set((await bucket.list(walFolder(config.storage!.prefix, db))).map((o) => walFileOf(o.key)?.fileName));

  // Timeline 1: archiving and a base backup of the primary, a standby streaming from it, markers 1-10.
  const onPrimary = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  const archiving = await onPrimary.runUntil(async () => {
    const run = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600 }],
    });
    runs.push(run);
    await server.client.workflow.execute(WorkflowType.baseBackup, {
      taskQueue,
      workflowId: `base-backup-${db}-${uniqueSuffix()}`,
      args: [{ server: db, reason: 'test' }],
    });
    // wal_keep_size on the standby, as the README advises: WAL written around the failover stays
    // on the new primary until the archiver is back, though pgwarden's slot did not follow.
    standby = await primary.standby({ wal_keep_size: '512MB' });
    await writeMarks(primary.url(db), 1, 10);
    await waitFor('the standby to replay markers 1-10', async () => {
      const [r] = await standby!.query<{ n: number }>('SELECT count(*)::int AS n FROM marks', [], db);
      return r.n === 10;
    });
    await sleep(2000); // the open segment's copy holds them too

    // pitr mark on the standby: refused in one line saying where to make it (exit 64), nothing recorded.
    const replicaQueue = uniqueTaskQueue('failover-replica');
    const onReplica = await bundledWorker(
      server,
      replicaQueue,
      createActivities(createActivityDeps(stackConfig({ ...common, DATABASE_URL: standby.url(db) }))),
    );
    const refused = await onReplica.runUntil(
      server.client.workflow
        .execute(WorkflowType.restorePoint, {
          taskQueue: replicaQueue,
          workflowId: `restore-point-${db}-${uniqueSuffix()}`,
          args: [{ server: db, name: 'on-the-standby' }],
        })
        .catch((e: unknown) => e),
    );
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    const said = describeFailure(refused);
    expect([said.exitCode, said.lines.join(' ')]).toEqual([
      64,
      `${db} is a standby (recovery is in progress), where no restore point can be made: make it on the primary (DATABASE_URL pointing at it)`,
    ]);
    expect(await bucket.getText(restorePointKey(config.storage!.prefix, db, 'on-the-standby'))).toBeUndefined();
    return run;
  });

  // The failover: the primary stops for good, the standby becomes the primary on timeline 2, and the
  // worker is restarted pointing at it (DATABASE_URL changed). The same archiving run goes on.
  await primary.halt();
  await standby!.promote();
  // The new primary takes writes and checkpoints before its worker is back: a slot created now
  // begins past WAL the archive lacks, which the server still keeps.
  await writeMarks(standby!.url(db), 11, 12);
  for (let i = 0; i < 3; i++) await standby!.query('SELECT pg_switch_wal()');
  await standby!.query('CHECKPOINT');
  const onStandby = await bundledWorker(
    server,
    taskQueue,
    createActivities(createActivityDeps(stackConfig({ ...common, DATABASE_URL: standby!.url(db) }))),
  );
  await onStandby.runUntil(async () => {
    await waitFor('the history of timeline 2 in the archive', async () => (await archivedNames()).has('00000002.history'), 120);
    const marks = await writeMarks(standby!.url(db), 13, 30);
    // The segment the markers are in, completed: the restore needs all of it. (Waiting for its open
    // copy raced: a copy from before the last markers, with the completed segment not shipped yet,
    // ended the recovery short of the target, seen once under load.)
    const [{ f: withMarks }] = await standby!.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f');
    expect(withMarks.startsWith('00000002')).toBe(true);
    await waitFor(`${withMarks}, with markers 13-30, in the archive`, async () => (await archivedNames()).has(withMarks));

    // Between markers 20 and 21, on timeline 2, from the base backup taken on timeline 1.
    const target = new Date((marks.get(20)!.getTime() + marks.get(21)!.getTime()) / 2).toISOString();
    const result: PitrRestoreResult = await server.client.workflow.execute(WorkflowType.pitrRestore, {
      taskQueue,
      workflowId: `pitr-${db}-${uniqueSuffix()}`,
      args: [{ server: db, target: { kind: 'time', time: target } }],
    });
    restored.push(result.dataDir);
    // Promoted after timeline 2: a timeline of its own.
    expect(result.recoveredTo.timeline).toBe(3);
    expect(Date.parse(result.recoveredTo.commitTime!)).toBeLessThanOrEqual(Date.parse(target));
    const c = new Client({ connectionString: standby!.url(db).replace(/:\d+\//, `:${result.port}/`) });
    await c.connect();
    try {
      const ids = (await c.query<{ id: number }>('SELECT id FROM marks ORDER BY id')).rows.map((r) => r.id);
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      await c.end();
    }
    await stopInstance({ dataDir: result.dataDir, runAs: instanceUser() });

    // The daily check follows the history across the fork: no gap.
    const check = await server.client.workflow.execute(WorkflowType.check, {
      taskQueue,
      workflowId: `check-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(check.pitr).toMatchObject({ baseBackups: 1, firstMissing: null, problems: [] });

    // verify reads the archived WAL of both timelines back: timeline 1 up to where it ended.
    const verified: VerifyResult = await server.client.workflow.execute(WorkflowType.verify, {
      taskQueue,
      workflowId: `verify-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(verified.walContents).toMatchObject({ status: 'passed', failures: [] });
    expect(verified.walContents!.upTo!.startsWith('00000002')).toBe(true);

    await archiving.cancel();
    await archiving.result();
  });
  rmSync(workDir, { recursive: true, force: true });
}, 300_000);

it('a failover that lost WAL the archive holds: archiving goes on from the fork on timeline 2', async () => {
  const first = await startScratchCluster();
  clusters.push(first);
  const db = uniqueDatabaseName('forked');
  await first.query(`CREATE DATABASE ${db}`);
  await first.query('CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL)', [], db);
  const workDir = join(tmpdir(), `pgwarden-forked-test-${randomUUID().slice(0, 8)}`);
  mkdirSync(workDir, { recursive: true });
  const common = { WAL_ARCHIVE: db, WAL_PARTIAL_UPLOAD_SECONDS: '1', PGWARDEN_WORK_DIR: workDir };
  const taskQueue = uniqueTaskQueue('forked');
  const config = stackConfig({ ...common, DATABASE_URL: first.url(db) });
  const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
  const archivedNames = async () =>
    new Set((await bucket.list(walFolder(config.storage!.prefix, db))).map((o) => walFileOf(o.key)?.fileName));

  const second = await first.standby({ wal_keep_size: '512MB' });
  clusters.push(second);
  const onFirst = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  const archiving = await onFirst.runUntil(async () => {
    const run = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600 }],
    });
    runs.push(run);
    await server.client.workflow.execute(WorkflowType.baseBackup, {
      taskQueue,
      workflowId: `base-backup-${db}-${uniqueSuffix()}`,
      args: [{ server: db, reason: 'test' }],
    });
    await writeMarks(first.url(db), 1, 5);
    await waitFor('the standby to replay markers 1-5', async () => {
      const [r] = await second.query<{ n: number }>('SELECT count(*)::int AS n FROM marks', [], db);
      return r.n === 5;
    });
    // The standby falls behind (stopped); the primary writes on and the archive gets it all: WAL the failover will lose.
    await second.halt();
    await writeMarks(first.url(db), 6, 10);
    const [{ f }] = await first.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f');
    await first.query('SELECT pg_switch_wal()');
    await waitFor(`${f} in the archive`, async () => (await archivedNames()).has(f));
    return run;
  });

  // The primary is lost; the standby, with less WAL than the archive, is promoted.
  await first.halt();
  await second.resume();
  await second.promote();
  const onSecond = await bundledWorker(
    server,
    taskQueue,
    createActivities(createActivityDeps(stackConfig({ ...common, DATABASE_URL: second.url(db) }))),
  );
  await onSecond.runUntil(async () => {
    await waitFor('the history of timeline 2 in the archive', async () => (await archivedNames()).has('00000002.history'), 120);
    await writeMarks(second.url(db), 11, 20);
    // The segment the markers are in, completed (its open copy may be one from before the last markers).
    const [{ f: withMarks }] = await second.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f');
    await waitFor(`${withMarks}, with markers 11-20, in the archive`, async () => (await archivedNames()).has(withMarks));

    const result: PitrRestoreResult = await server.client.workflow.execute(WorkflowType.pitrRestore, {
      taskQueue,
      workflowId: `pitr-${db}-${uniqueSuffix()}`,
      args: [{ server: db, target: { kind: 'latest' } }],
    });
    restored.push(result.dataDir);
    const c = new Client({ connectionString: second.url(db).replace(/:\d+\//, `:${result.port}/`) });
    await c.connect();
    try {
      const ids = (await c.query<{ id: number }>('SELECT id FROM marks ORDER BY id')).rows.map((r) => r.id);
      // 6-10 were only on the lost primary's branch: the new primary never had them.
      expect(ids).toEqual([1, 2, 3, 4, 5, ...Array.from({ length: 10 }, (_, i) => i + 11)]);
    } finally {
      await c.end();
    }
    await stopInstance({ dataDir: result.dataDir, runAs: instanceUser() });
    const check = await server.client.workflow.execute(WorkflowType.check, {
      taskQueue,
      workflowId: `check-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(check.pitr).toMatchObject({ baseBackups: 1, firstMissing: null, problems: [] });
    await archiving.cancel();
    await archiving.result();
  });
  rmSync(workDir, { recursive: true, force: true });
}, 300_000);
