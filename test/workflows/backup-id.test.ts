/**
 * Backup ids count seconds (`backup_YYYYMMDD_HHMMSS`, the strategy's naming): a backup whose
 * second another run already took goes to the next free second, on the real S3 and dev server.
 * Before, a second backup started within the same second as one that had finished (a small
 * database backs up in under a second) failed as "already complete (its manifest exists)".
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { backupIdFor } from '../../src/operations/backup/naming';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { dataFolder } from '../../src/infra/storage/layout';
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
  expect(await suite.restoreNew(db, taskQueue, backup.backupId, `${db}_copy`)).toMatchObject({ rowCountsChecked: true });
  suite.track(`${db}_copy`);

  const { chooseBackupId } = createActivities(createActivityDeps(config));
  const choose = (from: string, runId: string) => activityEnvironment().run(chooseBackupId, { database: db, from, runId });
  // A committed backup's second is taken for every other run.
  expect(await choose(backup.backupId, randomUUID())).toBe(idAt(7));
  // A run's own objects (an earlier attempt's) do not take its id from it.
  expect(await choose(idAt(3), other)).toBe(idAt(3));
  expect(await choose(idAt(3), randomUUID())).toBe(idAt(7));
});
