/**
 * Backup ids count seconds (`backup_YYYYMMDD_HHMMSS`, the strategy's naming): a backup whose
 * second another run already took goes to the next free second, on the real S3 and dev server.
 * Before, a second backup started within the same second as one that had finished (a small
 * database backs up in under a second) failed as "already complete (its manifest exists)".
 */
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { backupIdFor, nextBackupId } from '../../src/operations/backup/naming';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { claimKey, dataFolder, failureKey, failurePrefix } from '../../src/infra/storage/layout';
import { dropDatabase } from '../support/databases';
import type { StorageConfig } from '../../src/infra/config/storage';
import type { DumpResult } from '../../activities/dump-and-upload';
import { activityEnvironment } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const suite = workflowSuite('backupid');

it("takes the next free second when other runs hold its own, and never another run's id", async () => {
  const db = await suite.freshDatabase('backupid', 'awkward.sql');
  const { taskQueue, config } = await suite.workerFor(db);
  const storage = config.storage!;
  const s3 = createS3Client(storage);
  const other = randomUUID();
  // Another run's objects under the ids of the seconds around this run's start.
  const now = Date.now();
  const idAt = (s: number) => backupIdFor(new Date(now + s * 1000));
  try {
    for (let s = -1; s <= 5; s++)
      await s3.send(
        new PutObjectCommand({
          Bucket: storage.bucket,
          Key: `${dataFolder(storage.prefix, db)}${idAt(s)}.globals.sql.zst.enc`,
          Body: 'not a backup',
          Metadata: { 'pgwarden-run-id': other },
        }),
      );
  } finally {
    s3.destroy();
  }
  const backup = await suite.backup(db, taskQueue);
  expect(backup.backupId).toBe(idAt(6));
  // Committed: the manifest holds the id now, and the claim is gone.
  expect(await exists(storage, claimKey(storage.prefix, db, backup.backupId))).toBe(false);
  expect(await suite.restoreNew(db, taskQueue, backup.backupId, `${db}_copy`)).toMatchObject({ rowCountsChecked: true });
  suite.track(`${db}_copy`);

  const { chooseBackupId } = createActivities(createActivityDeps(config));
  const choose = (from: string, runId: string) => activityEnvironment().run(chooseBackupId, { database: db, from, runId });
  // A committed backup's second is taken for every other run.
  expect(await choose(backup.backupId, randomUUID())).toBe(idAt(7));
  // A run's own objects (an earlier attempt's) do not take its id from it.
  expect(await choose(idAt(3), other)).toBe(idAt(3));
  // Second 7 is claimed now by the run that chose it above.
  expect(await choose(idAt(3), randomUUID())).toBe(idAt(8));
});

it('two runs choosing at the same instant take different seconds; a retry of one keeps its own', async () => {
  const db = await suite.freshDatabase('backupidrace', 'awkward.sql');
  const { config } = await suite.workerFor(db);
  const storage = config.storage!;
  const activities = createActivities(createActivityDeps(config));
  const choose = (from: string, runId: string) =>
    activityEnvironment().run(activities.chooseBackupId, { database: db, from, runId }) as Promise<string>;
  const from = backupIdFor(new Date());
  const [a, b] = [randomUUID(), randomUUID()];
  // Both find the second free; only one claim can be written there.
  const [idA, idB] = await Promise.all([choose(from, a), choose(from, b)]);
  expect(new Set([idA, idB]).size).toBe(2);
  expect([idA, idB].sort()).toEqual([from, nextBackupId(from)]);
  // An attempt whose reply was lost chooses again: its own claim gives it the same id.
  expect(await choose(from, a)).toBe(idA);
  expect(await choose(from, b)).toBe(idB);

  // The dump keeps its run's claim, refuses another run's, and the manifest ends it.
  const input = (backupId: string, runId: string) => ({ database: db, backupId, workflowId: `backup-${db}`, runId });
  await expect(activityEnvironment().run(activities.dumpAndUpload, input(idB, a))).rejects.toThrow(
    `${claimKey(storage.prefix, db, idB)} already exists from another run`,
  );
  const dump = (await activityEnvironment().run(activities.dumpAndUpload, input(idA, a))) as DumpResult;
  expect(await exists(storage, claimKey(storage.prefix, db, idA))).toBe(true);
  await activityEnvironment().run(activities.writeManifest, {
    dump,
    reason: 'test',
    workflow: { id: `backup-${db}`, runId: a },
    startedAt: new Date().toISOString(),
  });
  expect(await exists(storage, claimKey(storage.prefix, db, idA))).toBe(false);
  // The committed backup holds its second for everyone else from now on.
  expect(await choose(idA, randomUUID())).not.toBe(idA);
});

it('two backups started together both commit, each under its own id', async () => {
  const db = await suite.freshDatabase('backupidpair', 'awkward.sql');
  const { taskQueue } = await suite.workerFor(db);
  // Started together they usually share a start second; before the claim both took it, and one failed on the
  // other's objects ("already exists; pgwarden never overwrites a stored object").
  const [one, two] = await Promise.all([suite.backup(db, taskQueue), suite.backup(db, taskQueue)]);
  expect(one.backupId).not.toBe(two.backupId);
  for (const [b, copy] of [
    [one, `${db}_one`],
    [two, `${db}_two`],
  ] as const) {
    expect(await suite.restoreNew(db, taskQueue, b.backupId, copy)).toMatchObject({ rowCountsChecked: true });
    suite.track(copy);
  }
});

it('a backup whose preflight fails records its failure under the id it chose, and leaves no claim', async () => {
  const db = await suite.freshDatabase('backupidfail', 'awkward.sql');
  const { taskQueue, config } = await suite.workerFor(db);
  const storage = config.storage!;
  const other = randomUUID();
  const now = Date.now();
  const idAt = (s: number) => backupIdFor(new Date(now + s * 1000));
  const occupied = Array.from({ length: 7 }, (_, i) => `${dataFolder(storage.prefix, db)}${idAt(i - 1)}.globals.sql.zst.enc`);
  const s3 = createS3Client(storage);
  try {
    for (const Key of occupied)
      await s3.send(
        new PutObjectCommand({ Bucket: storage.bucket, Key, Body: 'not a backup', Metadata: { 'pgwarden-run-id': other } }),
      );
    await dropDatabase(db); // preflight cannot connect
    await expect(suite.backup(db, taskQueue)).rejects.toThrow();
    const keys = async (prefix: string) =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
    // Not under a second another run holds (the record would have been written over theirs).
    expect(await keys(failurePrefix(storage.prefix, db))).toEqual([failureKey(storage.prefix, db, idAt(6))]);
    expect(await keys(dataFolder(storage.prefix, db))).toEqual(occupied);
  } finally {
    s3.destroy();
  }
});

async function exists(storage: StorageConfig, key: string): Promise<boolean> {
  const s3 = createS3Client(storage);
  try {
    await s3.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'NotFound') return false;
    throw err;
  } finally {
    s3.destroy();
  }
}
