/**
 * CleanupWorkflow on the real stack, over a bucket holding a database's backups spread over 100
 * simulated days: exactly what the policy keeps stays (the newest verified among them, a locked
 * one until its lock ends), leftovers of interrupted runs go, and a second run deletes nothing.
 * And a store that refuses deletes: `pgwarden cleanup` exits 5 with one line, and people are told.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { DefaultLogger, Worker } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CleanupPlan } from '../../activities/cleanup';
import { ApplicationFailure } from '@temporalio/common';
import { exitCodeForFailureType } from '../../src/infra/errors/errors';
import { manifestPrefix } from '../../src/infra/storage/layout';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { CleanupWorkflow } from '../../workflows/cleanup';
import type { RecoverTableInput } from '../../workflows/recover-table';
import { envFile, repoRoot } from '../../devstack/paths';
import { capturedMail, waitForCaptured } from '../support/sinks';
import { DAY, putBackup } from '../support/simulated-backups';
import { backupIdFor } from '../../src/operations/backup/naming';
import { stackConfig, stackEnv } from '../support/stack-env';
import { formatCleanup } from '../../src/app/cli/commands/cleanup';
import { DatabaseSA, OperationSA } from '../../src/infra/temporal/search-attributes';
import { waitFor } from '../support/wait';
import { bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

type Report = Awaited<ReturnType<typeof CleanupWorkflow>>;

describe('CleanupWorkflow (dev server, real S3)', () => {
  let server: DevServer;
  let worker: Worker;
  let running: Promise<void>;
  const database = `cleanup_${uniqueSuffix()}`;
  const taskQueue = uniqueTaskQueue('cleanup');
  const config = stackConfig({
    DATABASE_URL: `postgres://u:p@127.0.0.1:1/${database}`,
    BACKUP_RETENTION_DAYS: '30',
    BACKUP_KEEP_LAST: '3',
    CLEANUP_GRACE_HOURS: '0',
  });
  const storage = config.storage!;
  const s3 = createS3Client(storage);
  const root = `${storage.prefix}/${database}/`;

  beforeAll(async () => {
    server = await devServer();
    worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await server?.close();
    s3.destroy();
  });

  const cleanup = (dryRun = false): Promise<Report> =>
    server.client.workflow.execute(WorkflowType.cleanup, {
      taskQueue,
      workflowId: `cleanup-${database}-${uniqueSuffix()}`,
      args: [{ database, dryRun }],
    });
  const keys = async () =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: root }))).Contents ?? [])
      .map((o) => o.Key!.slice(root.length))
      .sort();

  it('keeps exactly what the policy says over 100 days of backups, and a second run deletes nothing', async () => {
    const now = Date.now();
    const ids: string[] = [];
    for (let age = 0; age < 100; age++) {
      const takenAt = new Date(Math.floor((now - age * DAY - 3_600_000) / 1000) * 1000);
      ids.push(
        await putBackup(s3, storage, database, takenAt, {
          verified: age === 60 ? 'passed' : age === 10 ? 'failed' : undefined,
          lockedUntil: age === 80 ? new Date(now + 7 * DAY) : undefined,
          // Parallel backups: their parts go and stay with them.
          parts: age === 5 || age === 50 ? 2 : undefined,
        }),
      );
    }
    // Leftovers: a data object without a manifest and an upload that never finished.
    await s3.send(
      new PutObjectCommand({ Bucket: storage.bucket, Key: `${root}data/backup_20200101_000000.dump.enc`, Body: 'interrupted' }),
    );
    await s3.send(
      new CreateMultipartUploadCommand({ Bucket: storage.bucket, Key: `${root}data/backup_20200102_000000.dump.enc` }),
    );
    // Run records: two older than RECORDS_KEEP_DAYS (400), two younger.
    const young = new Date(now - 2 * DAY);
    const records = {
      old: ['records/backup-failures/backup_20200103_000000.json', 'records/restores/20200104T000000Z_restore-old.json'],
      young: [
        `records/backup-failures/${backupIdFor(young)}.json`,
        `records/restores/${young
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d+Z$/, 'Z')}_restore-young.json`,
      ],
    };
    for (const key of [...records.old, ...records.young])
      await s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: `${root}${key}`, Body: '{}' }));

    const dry = await cleanup(true);
    expect(dry.dryRun).toBe(true);
    expect(dry.plan.filter((p) => p.action === 'delete')).toHaveLength(68);
    expect((await keys()).filter((k) => k.startsWith('manifests/'))).toHaveLength(100); // nothing changed
    // The dry run lists every leftover it would remove (a globals object a failed run left too).
    expect(dry.leftovers.map((l) => [l.kind, l.key.slice(root.length), l.action])).toEqual([
      ['object', 'data/backup_20200101_000000.dump.enc', 'remove'],
      ['upload', 'data/backup_20200102_000000.dump.enc', 'remove'],
    ]);
    expect(formatCleanup(dry).split('\n')).toEqual(
      expect.arrayContaining([
        `would remove ${root}data/backup_20200101_000000.dump.enc  (object without a manifest, 11 B, written ${dry.leftovers[0].since})`,
        `would abort  ${root}data/backup_20200102_000000.dump.enc  (unfinished upload started ${dry.leftovers[1].since})`,
        'dry run: 68 backup(s) would be deleted, 31 kept, 1 locked; 2 leftover(s) would be removed; nothing was changed',
        '2 run record(s) older than 400 days (RECORDS_KEEP_DAYS) would be removed',
      ]),
    );
    expect((await keys()).filter((k) => k.startsWith('records/'))).toHaveLength(4);

    const report = await cleanup();
    const expectedKept = [...ids.slice(0, 30), ids[60]];
    expect(report.kept.map((k) => k.backupId).sort()).toEqual([...expectedKept].sort());
    expect(report.kept.find((k) => k.backupId === ids[60])!.reasons).toEqual(['the newest verified backup']);
    expect(report.locked).toEqual([{ backupId: ids[80], until: expect.any(String) }]);
    expect(report.deleted.sort()).toEqual(ids.filter((id) => !expectedKept.includes(id) && id !== ids[80]).sort());
    expect(report).toMatchObject({
      orphansRemoved: 1,
      uploadsAborted: 1,
      runRecords: { count: 2, olderThanDays: 400 },
      lifecycle: 'unsupported',
      warnings: [expect.stringContaining('does not support lifecycle rules')],
    });

    const survivors = [...expectedKept, ids[80]].sort();
    const left = await keys();
    expect(left.filter((k) => k.startsWith('records/'))).toEqual([...records.young].sort());
    expect(
      left
        .filter((k) => k.startsWith('manifests/'))
        .map((k) => k.slice('manifests/'.length, -'.json'.length))
        .sort(),
    ).toEqual(survivors);
    expect(left.filter((k) => k.startsWith('data/') && k.endsWith('.dump.enc') && !k.includes('.part'))).toHaveLength(
      survivors.length,
    );
    expect(left.filter((k) => k.includes('.part'))).toEqual([2, 3].map((n) => `data/${ids[5]}.part${n}.dump.enc`));
    // Verification records go with their backups: the kept ones (age 10 failed, age 60 passed) remain.
    expect(left.filter((k) => k.startsWith('verifications/'))).toEqual(
      [ids[60], ids[10]].map((id) => `verifications/${id}.json`).sort(),
    );
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: root }))).Uploads ?? []).toEqual([]);
    const [mail] = await waitForCaptured(capturedMail, report.workflowId);
    expect(mail.subject).toBe(`[pgwarden] WARNING: Cleanup of ${database} backups: 68 deleted, 31 kept`);

    const again = await cleanup();
    expect(again).toMatchObject({ deleted: [], orphansRemoved: 0, uploadsAborted: 0, runRecords: { count: 0 } });
    expect(await keys()).toEqual(left);
  });

  it('exits 5 with one clear line and a notice when the store refuses the deletes, and deletes nothing', async () => {
    const refused = `cleanup_refused_${uniqueSuffix()}`;
    const ids: string[] = [];
    for (let age = 0; age < 40; age += 5)
      ids.push(await putBackup(s3, storage, refused, new Date(Math.floor((Date.now() - age * DAY - 3_600_000) / 1000) * 1000)));
    // A worker whose S3 identity may read and list, but not delete.
    const env = stackEnv();
    const readOnlyQueue = uniqueTaskQueue('cleanup-ro');
    const readOnly = stackConfig({
      DATABASE_URL: `postgres://u:p@127.0.0.1:1/${refused}`,
      BACKUP_RETENTION_DAYS: '10',
      BACKUP_KEEP_LAST: '1',
      AWS_ACCESS_KEY_ID: env.PGWARDEN_TEST_S3_READ_ONLY_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.PGWARDEN_TEST_S3_READ_ONLY_SECRET_ACCESS_KEY,
    });
    const roWorker = await bundledWorker(server, readOnlyQueue, createActivities(createActivityDeps(readOnly)));
    const cli = await roWorker.runUntil(
      () =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          // Asynchronously: the worker runs in this process and must keep working while the CLI waits.
          const child = spawn(process.execPath, [join(repoRoot, 'bin', 'pgwarden'), 'cleanup', '--database', refused], {
            env: {
              PATH: process.env.PATH,
              PGWARDEN_CONFIG: envFile,
              DATABASE_URL: `postgres://u:p@127.0.0.1:1/${refused}`,
              PGWARDEN_TASK_QUEUE: readOnlyQueue,
            },
          });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('close', (code) => resolve({ code, stderr }));
        }),
    );
    expect(cli.code).toBe(5);
    // After the line that names the run, exactly one line: what failed and what to do.
    const lines = cli.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('pgwarden:') && !l.startsWith(`pgwarden: cleaning up ${refused}`));
    // Kept: the two younger than BACKUP_RETENTION_DAYS=10 (ages 0 and 5 days); each other manifest was refused.
    const deletable = ids.length - 2;
    expect(lines).toEqual([
      `pgwarden: cleanup of ${refused} deleted 0 backup(s) but could not delete ${deletable} object(s) (AccessDenied x${deletable}; e.g. ${storage.prefix}/${refused}/manifests/${ids[2]}.json): ` +
        'the S3 credentials (AWS_ACCESS_KEY_ID) may not delete objects here: allow s3:DeleteObject on the bucket, then run pgwarden cleanup again',
    ]);
    // Nothing was deleted, and people were told.
    const manifests = (
      (await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: `${storage.prefix}/${refused}/manifests/` })))
        .Contents ?? []
    ).length;
    expect(manifests).toBe(ids.length);
    const [mail] = await waitForCaptured(capturedMail, `Cleanup of ${refused} backups FAILED`);
    expect(mail.text).toContain('CleanupError: cleanup of');
    expect(mail.text).toContain(`run pgwarden cleanup --database ${refused} again`);
  });

  it("keeps an old script's verification record (its first counts), and removes one whose file is gone", async () => {
    const db = `cleanup_old_${uniqueSuffix()}`;
    // A prefix of its own: an old script's files sit at its top, where every database's listing sees them.
    const own = stackConfig({
      DATABASE_URL: `postgres://u:p@127.0.0.1:1/${db}`,
      S3_PREFIX: `cleanup-old-${uniqueSuffix()}`,
      CLEANUP_GRACE_HOURS: '0',
    });
    const prefix = own.storage!.prefix;
    const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key, Body }));
    const record = (id: string) =>
      JSON.stringify({
        backupId: id,
        status: 'passed',
        finishedAt: '2024-01-02T00:00:00Z',
        failures: [],
        counts: [{ schema: 'public', table: 'orders', rows: 3 }],
      });
    await put(`${prefix}/backup_20240101_120000.sql.gz.enc`, 'an old script backup');
    await put(`${prefix}/${db}/verifications/backup_20240101_120000.json`, record('backup_20240101_120000'));
    await put(`${prefix}/${db}/verifications/backup_20240102_120000.json`, record('backup_20240102_120000'));
    const queue = uniqueTaskQueue('cleanup-old');
    const ownWorker = await bundledWorker(server, queue, createActivities(createActivityDeps(own)));
    const report: Report = await ownWorker.runUntil(
      server.client.workflow.execute(WorkflowType.cleanup, {
        taskQueue: queue,
        workflowId: `cleanup-${db}-${uniqueSuffix()}`,
        args: [{ database: db }],
      }),
    );
    expect(report.leftovers.map((l) => [l.key, l.action])).toEqual([
      [`${prefix}/${db}/verifications/backup_20240102_120000.json`, 'remove'],
    ]);
    const left = ((await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: `${prefix}/` }))).Contents ?? []).map(
      (o) => o.Key!,
    );
    expect(left.sort()).toEqual([
      `${prefix}/backup_20240101_120000.sql.gz.enc`,
      `${prefix}/${db}/verifications/backup_20240101_120000.json`,
    ]);
  });

  /** Backups of `db` taken the given numbers of days (and an hour) ago, their ids in that order. */
  const backupsAged = async (db: string, days: number[]) => {
    const ids: string[] = [];
    for (const age of days)
      ids.push(await putBackup(s3, storage, db, new Date(Math.floor((Date.now() - age * DAY - 3_600_000) / 1000) * 1000)));
    return ids;
  };
  /** A worker's settings for `db`: 30 days, the newest 3 kept whatever their age. */
  const keepingThree = (db: string) =>
    stackConfig({ DATABASE_URL: `postgres://u:p@127.0.0.1:1/${db}`, BACKUP_RETENTION_DAYS: '30', BACKUP_KEEP_LAST: '3' });

  /** A restore of the database, tagged as the CLI starts one; no worker takes it, so it runs on. */
  const startUnservedRestore = (db: string, backupId: string) =>
    server.client.workflow.start(WorkflowType.restore, {
      taskQueue: uniqueTaskQueue('nobody'),
      workflowId: `restore-${db}-${uniqueSuffix()}`,
      args: [{ database: db, backupId, newDatabase: `${db}_copy` }],
      typedSearchAttributes: [
        { key: DatabaseSA, value: db },
        { key: OperationSA, value: 'restore' },
      ],
    });
  /** 1 while the run is running for visibility, else 0. */
  const isRunning = async (workflowId: string) =>
    (await server.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'`)).count;

  it('deletes nothing while a restore of the database runs, and what it held once the restore ended', async () => {
    const db = `cleanup_held_${uniqueSuffix()}`;
    const ids = await backupsAged(db, [0, 1, 2, 40, 50]);
    const own = keepingThree(db);
    const queue = uniqueTaskQueue('cleanup-held');
    const ownWorker = await bundledWorker(server, queue, createActivities(createActivityDeps(own)));
    const run = (): Promise<Report> =>
      server.client.workflow.execute(WorkflowType.cleanup, {
        taskQueue: queue,
        workflowId: `cleanup-${db}-${uniqueSuffix()}`,
        args: [{ database: db }],
      });
    const restore = await startUnservedRestore(db, ids[4]);
    await ownWorker.runUntil(async () => {
      const running = () => isRunning(restore.workflowId);
      await waitFor('the restore is visible', async () => (await running()) === 1);
      const held = await run();
      expect(held.deleted).toEqual([]);
      expect(held.plan.filter((p) => p.backupId === ids[3] || p.backupId === ids[4])).toEqual(
        [ids[3], ids[4]].map((backupId) => ({
          backupId,
          action: 'keep',
          reasons: [`held: restore ${restore.workflowId} may read it; the first cleanup after they end deletes it`],
        })),
      );
      await restore.terminate('test over');
      await waitFor('the restore has ended for visibility', async () => (await running()) === 0);
      expect((await run()).deleted.sort()).toEqual([ids[3], ids[4]].sort());
    });
  });

  it('holds for a table recovery that reads the database and loads into another', async () => {
    const db = `cleanup_tables_${uniqueSuffix()}`;
    const ids = await backupsAged(db, [0, 1, 2, 40]);
    const own = keepingThree(db);
    const { planCleanup } = createActivities(createActivityDeps(own));
    const plan = () =>
      new MockActivityEnvironment(undefined, { client: server.client, logger: new DefaultLogger('ERROR') }).run(planCleanup, {
        database: db,
        now: new Date().toISOString(),
      }) as Promise<CleanupPlan>;
    // Tagged as the CLI tags it: with the database it loads into. No worker takes it, so it runs on.
    const recovery = await server.client.workflow.start(WorkflowType.recoverTable, {
      taskQueue: uniqueTaskQueue('nobody'),
      workflowId: `recover-table-${db}-${uniqueSuffix()}`,
      args: [{ server: db, into: 'elsewhere', tables: [], target: { kind: 'latest' } } satisfies RecoverTableInput],
      typedSearchAttributes: [
        { key: DatabaseSA, value: 'elsewhere' },
        { key: OperationSA, value: 'recover-table' },
      ],
    });
    try {
      await waitFor('the recovery is visible', async () => (await isRunning(recovery.workflowId)) === 1);
      expect((await plan()).decisions.find((d) => d.backupId === ids[3])).toMatchObject({
        action: 'keep',
        reasons: [`held: recover-table ${recovery.workflowId} may read it; the first cleanup after they end deletes it`],
      });
    } finally {
      await recovery.terminate('test over');
    }
    await waitFor('the recovery has ended for visibility', async () => (await isRunning(recovery.workflowId)) === 0);
    expect((await plan()).decisions.find((d) => d.backupId === ids[3])).toMatchObject({ action: 'delete' });
  });

  it('deletes nothing, exiting 75, when a restore starts between the plan and the deletes', async () => {
    const db = `cleanup_late_${uniqueSuffix()}`;
    const ids = await backupsAged(db, [0, 1, 2, 40]);
    const own = keepingThree(db);
    const { planCleanup, applyCleanup } = createActivities(createActivityDeps(own));
    const env = () => new MockActivityEnvironment(undefined, { client: server.client, logger: new DefaultLogger('ERROR') });
    const plan = (await env().run(planCleanup, { database: db, now: new Date().toISOString() })) as CleanupPlan;
    expect(plan.decisions.filter((d) => d.action === 'delete').map((d) => d.backupId)).toEqual([ids[3]]);
    // A restore of the old backup, started once the plan was made.
    const restore = await startUnservedRestore(db, ids[3]);
    const running = () => isRunning(restore.workflowId);
    const manifests = async () =>
      (
        (await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: manifestPrefix(storage.prefix, db) })))
          .Contents ?? []
      ).length;
    try {
      await waitFor('the restore is visible', async () => (await running()) === 1);
      const err = (await env()
        .run(applyCleanup, plan)
        .catch((e: unknown) => e)) as Error;
      expect(exitCodeForFailureType((err as ApplicationFailure).type)).toBe(75);
      expect(err.message).toBe(
        `cleanup of ${db} deleted nothing: restore ${restore.workflowId} started after the cleanup planned its deletes and may read what they remove; run pgwarden cleanup --database ${db} again once it has ended`,
      );
      expect(await manifests()).toBe(4);
    } finally {
      await restore.terminate('test over');
    }
    await waitFor('the restore has ended for visibility', async () => (await running()) === 0);
    expect(await env().run(applyCleanup, plan)).toMatchObject({ deleted: [ids[3]] });
    expect(await manifests()).toBe(3);
  });
});
