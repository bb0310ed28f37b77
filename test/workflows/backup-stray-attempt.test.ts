/**
 * A backup attempt the server gave up on that is still running (its worker cut off from
 * Temporal) beside the retry that replaced it, on the real PostgreSQL and S3: when it fails
 * at last, it removes only objects that are still its own; and a manifest commits only the
 * objects the committing attempt stored.
 */
import {
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { DumpResult } from '../../activities/dump-and-upload';
import { backupIdFor } from '../../src/operations/backup/naming';
import type { BackupManifest } from '../../src/operations/backup/manifest';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { dataFolder, manifestKey } from '../../src/infra/storage/layout';
import { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName, withClient } from '../support/databases';
import { stackConfig } from '../support/stack-env';
import { activityEnvironment, uniqueSuffix } from '../support/temporal';
import { waitFor } from '../support/wait';

const db = uniqueDatabaseName('stray');
const config = stackConfig({ DATABASE_URL: databaseUrl(db) });
const storage = config.storage!;
const s3 = createS3Client(storage);
let backups = 0;

beforeAll(async () => {
  await createDatabase(db);
  await withClient(db, (c) => c.query(`CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g`));
});
afterAll(async () => {
  s3.destroy();
  await dropDatabase(db);
});

/** A run's input; each test its own backup id (ids are per second, so a second apart). */
async function runInput() {
  if (backups++) await new Promise((r) => setTimeout(r, 1100));
  return { database: db, backupId: backupIdFor(new Date()), workflowId: `backup-${db}-${uniqueSuffix()}`, runId: randomUUID() };
}

const objectsOf = async (backupId: string) =>
  (
    (await s3.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: `${dataFolder(storage.prefix, db)}${backupId}.` })))
      .Contents ?? []
  ).map((o) => o.Key!);
const attemptOf = async (key: string) =>
  (await s3.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: key }))).Metadata?.['pgwarden-attempt'];

it("a stray attempt failing after its retry stored the backup leaves the retry's objects alone, and the backup commits", async () => {
  const input = await runInput();
  // The stray: its globals stored, its data's upload held until it fails.
  const strayDeps = createActivityDeps(config);
  let failHeld!: (err: Error) => void;
  const held = new Promise<never>((_, reject) => (failHeld = reject));
  held.catch(() => undefined);
  const send = strayDeps.bucket.s3.send.bind(strayDeps.bucket.s3) as (command: unknown) => Promise<unknown>;
  strayDeps.bucket.s3.send = (async (command: unknown) => {
    const writes = [PutObjectCommand, CreateMultipartUploadCommand, UploadPartCommand].some((c) => command instanceof c);
    const key = (command as { input?: { Key?: string } }).input?.Key ?? '';
    if (writes && !key.includes('.globals.')) await held;
    return send(command);
  }) as typeof strayDeps.bucket.s3.send;
  const strayEnv = activityEnvironment({ attempt: 1 });
  const stray = strayEnv.run(createActivities(strayDeps).dumpAndUpload, input).catch((err: unknown) => err);
  // The stray hears it was given up on, and its held upload fails: it cleans up after itself.
  const strayGivenUp = async () => {
    strayEnv.cancel('NOT_FOUND');
    failHeld(new Error('connection reset'));
    return stray;
  };
  try {
    const globals = await waitFor('the stray attempt stored its globals', async () => {
      const key = (await objectsOf(input.backupId)).find((k) => k.includes('.globals.'));
      return key && (await attemptOf(key)) === '1' && key;
    });

    // The retry starts clean (the stray's globals go) and stores the whole backup.
    const retryDeps = createActivityDeps(config);
    const activities = createActivities(retryDeps);
    const dump = (await activityEnvironment({ attempt: 2 }).run(activities.dumpAndUpload, input)) as DumpResult;
    expect(dump.attempt).toBe(2);
    expect(await attemptOf(globals)).toBe('2');

    // Now the stray is given up on.
    expect(await strayGivenUp()).toBeInstanceOf(Error);
    retryDeps.bucket.s3.destroy();

    expect(await attemptOf(globals)).toBe('2');
    const manifest = (await activityEnvironment().run(createActivities(createActivityDeps(config)).writeManifest, {
      dump,
      reason: 'test',
      workflow: { id: input.workflowId, runId: input.runId },
      startedAt: new Date().toISOString(),
    })) as BackupManifest;
    expect(manifest.backupId).toBe(input.backupId);
  } finally {
    await strayGivenUp(); // also when the test failed early: nothing left running
    strayDeps.bucket.s3.destroy();
  }
});

it('a manifest is not written over objects that are gone or that another attempt wrote since', async () => {
  const input = await runInput();
  const deps = createActivityDeps(config);
  const activities = createActivities(deps);
  const dump = (await activityEnvironment({ attempt: 1 }).run(activities.dumpAndUpload, input)) as DumpResult;
  const commit = () =>
    activityEnvironment().run(activities.writeManifest, {
      dump,
      reason: 'test',
      workflow: { id: input.workflowId, runId: input.runId },
      startedAt: new Date().toISOString(),
    });
  const refused = `backup ${input.backupId} of ${db} was not committed`;
  // Another attempt's globals in their place.
  await s3.send(
    new PutObjectCommand({
      Bucket: storage.bucket,
      Key: dump.globals.key,
      Body: 'not these',
      Metadata: { 'pgwarden-run-id': input.runId, 'pgwarden-attempt': '3' },
    }),
  );
  await expect(commit()).rejects.toThrow(
    `${refused}: ${dump.globals.key} was written by attempt 3 since attempt 1 stored it; the next backup starts afresh, and cleanup removes these objects`,
  );
  // The data object gone.
  await s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: dump.data.key }));
  await expect(commit()).rejects.toThrow(
    `${refused}: ${dump.data.key} is gone; ${dump.globals.key} was written by attempt 3 since attempt 1 stored it;`,
  );
  deps.bucket.s3.destroy();
  expect(await objectsOf(input.backupId)).toEqual([dump.globals.key]); // the globals put in their place
  const manifests = await s3.send(
    new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: manifestKey(storage.prefix, db, input.backupId) }),
  );
  expect(manifests.KeyCount).toBe(0);
});
