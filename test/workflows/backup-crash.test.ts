/**
 * A worker killed in the middle of a parallel backup's uploads (its whole process group, as
 * when a machine dies) and another one taking over within the default 30 s heartbeat timeout:
 * exactly one complete backup, all its parts, no stray multipart upload.
 */
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { dataObjects, parseManifest } from '../../src/operations/backup/manifest';
import { describeFailure } from '../../src/app/cli/failure';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BackupSummary } from '../../workflows/backup';
import { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName, withClient } from '../support/databases';
import { capturedMail, capturedPages, waitForCaptured } from '../support/sinks';
import { stackConfig } from '../support/stack-env';
import { highestAttempt, startDoomedWorker } from '../support/doomed-worker';
import { bundledWorker, devServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sessions of a running backup of `db`: they carry its id (pg_dump's among them). */
const backupSessions = (db: string) =>
  withClient(
    'postgres',
    async (c) =>
      (
        await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'pgwarden backup\_%'`,
          [db],
        )
      ).rows[0].n,
  );

it('on cancellation kills pg_dump, aborts the upload and leaves nothing behind', async () => {
  const db = uniqueDatabaseName('cancel');
  await createDatabase(db);
  await withClient(db, (c) =>
    c.query(
      `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) || md5((g * 7)::text) AS pad FROM generate_series(1, 1200000) g`,
    ),
  );
  const taskQueue = uniqueTaskQueue('cancel');
  // gzip -9 inside pg_dump: a dump slow enough to be cancelled while it uploads.
  const config = stackConfig({ DATABASE_URL: databaseUrl(db), BACKUP_COMPRESSION: 'gzip', BACKUP_COMPRESSION_LEVEL: '9' });
  const storage = config.storage!;
  const s3 = createS3Client(storage);
  const prefix = `database-backups/${db}/`;
  const server = await devServer();
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  await worker.runUntil(async () => {
    const handle = await server.client.workflow.start(WorkflowType.backup, {
      taskQueue,
      workflowId: `backup-${db}-${uniqueSuffix()}`,
      args: [{ database: db, heartbeatTimeoutSeconds: 5 }],
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { Uploads = [] } = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: `${prefix}data/` }),
      );
      if (Uploads.length > 0 || Date.now() > deadline) break;
      await sleep(100);
    }
    expect(await backupSessions(db)).toBeGreaterThan(0);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(describeFailure(err).lines.join(' ')).toMatch(/cancel/i);
  });
  const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: prefix }));
  expect(Uploads).toEqual([]);
  // No data, no manifest: only the record of the cancelled run, for the report's success rate.
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix }));
  expect(Contents.map((o) => o.Key)).toEqual([
    expect.stringMatching(new RegExp(`^${prefix}records/backup-failures/backup_\\d{8}_\\d{6}\\.json$`)),
  ]);
  const record = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: Contents[0].Key }));
  expect(JSON.parse(await record.Body!.transformToString())).toMatchObject({
    kind: 'pgwarden.backup-failure',
    database: db,
    errorType: 'Cancelled',
  });
  expect(await backupSessions(db)).toBe(0);
  const [mail] = await waitForCaptured(capturedMail, db);
  expect(mail.subject).toBe(`[pgwarden] CANCELLED: Backup of ${db} was cancelled`);
  expect(mail.text).toContain('the backup was cancelled');
  expect(mail.text).toContain('What to do: nothing was stored; run pgwarden backup when a backup is wanted');
  // Told, not paged: someone cancelled it, and nobody needs waking for that.
  expect(await capturedPages(`:${db}`)).toEqual([]);
  s3.destroy();
  await server.close();
  await dropDatabase(db);
}, 180_000);

it('survives a worker killed mid-upload of a parallel backup with one complete backup and no stray upload', async () => {
  const db = uniqueDatabaseName('crash');
  await createDatabase(db);
  // Two large tables: with BACKUP_JOBS=2 one is dumped beside the main dump, into a part of its own.
  await withClient(db, async (c) => {
    for (const name of ['big', 'big_b'])
      await c.query(
        `CREATE TABLE ${name} AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) || md5((g * 7)::text) AS pad FROM generate_series(1, 600000) g`,
      );
  });
  const taskQueue = uniqueTaskQueue('crash');
  const overrides = {
    DATABASE_URL: databaseUrl(db),
    PGWARDEN_TASK_QUEUE: taskQueue,
    BACKUP_COMPRESSION_LEVEL: '9',
    BACKUP_JOBS: '2',
    METRICS_PORT: '0',
  };
  const config = stackConfig(overrides);
  const storage = config.storage!;
  const s3 = createS3Client(storage);
  const prefix = `database-backups/${db}/`;
  const server = await devServer();

  // Worker 1: a separate process group, so it can die the way a machine does.
  const doomed = startDoomedWorker(overrides);
  const handle = await server.client.workflow.start(WorkflowType.backup, {
    taskQueue,
    workflowId: `backup-${db}-${uniqueSuffix()}`,
    // The default heartbeat timeout: a dead worker's dump must move on within about 30 s.
    args: [{ database: db, reason: 'crash test' }],
  });

  // Wait until a multipart upload of a data object (the main dump or the part) has at least one part stored.
  await doomed.killMidStep(
    handle,
    'a part of a data object stored',
    async () => {
      const { Uploads = [] } = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: `${prefix}data/` }),
      );
      for (const u of Uploads.filter((u) => /\.dump(\.zst)?\.enc$/.test(u.Key!))) {
        const { Parts = [] } = await s3.send(new ListPartsCommand({ Bucket: storage.bucket, Key: u.Key, UploadId: u.UploadId }));
        if (Parts.length > 0) return true;
      }
      return false;
    },
    90,
  );
  const killedAt = Date.now();

  // Worker 2 picks the run up once the dump's heartbeat times out.
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  const summary = (await worker.runUntil(handle.result())) as BackupSummary;
  // 30 s heartbeat timeout + 10 s backoff + the dump again; with the old 120 s it took over two minutes.
  expect(Date.now() - killedAt).toBeLessThan(75_000);

  expect(await highestAttempt(handle)).toBeGreaterThanOrEqual(2);

  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix }));
  expect(Contents.map((o) => o.Key!.slice(prefix.length)).sort()).toEqual([
    `data/${summary.backupId}.dump.zst.enc`,
    `data/${summary.backupId}.globals.sql.zst.enc`,
    `data/${summary.backupId}.part2.dump.zst.enc`,
    `manifests/${summary.backupId}.json`,
  ]);
  const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: prefix }));
  expect(Uploads).toEqual([]);
  const manifest = parseManifest(
    await (await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: summary.manifestKey }))).Body!.transformToString(),
    summary.manifestKey,
  );
  for (const object of dataObjects(manifest)) {
    const stored = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: object.key }))).Body!.transformToByteArray(),
    );
    expect(createHash('sha256').update(stored).digest('hex')).toBe(object.sha256);
  }
  expect(manifest.dataParts!.map((p) => p.tables)).toEqual([[{ schema: 'public', table: 'big_b' }]]);
  expect(manifest.tables).toEqual([
    { schema: 'public', table: 'big', rows: 600000 },
    { schema: 'public', table: 'big_b', rows: 600000 },
  ]);

  s3.destroy();
  await server.close();
  await dropDatabase(db);
}, 240_000);
