/**
 * A backup of a database whose locale the restoring host lacks (a new server after a disaster,
 * a slim container image): refused before anything starts, naming the locale and how to
 * install it. Before, CREATE DATABASE failed once the restore ran ("invalid locale name"),
 * retried as if it might pass, and the run ended with PostgreSQL's words alone.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { stackServer, withClient } from '../support/databases';
import { stackConfig } from '../support/stack-env';
import { workflowSuite } from '../support/workflow-suite';

// Not among this machine's locales (locale -a: C, C.utf8, POSIX), as on a host that was never given it.
const ABSENT = 'de_DE.UTF-8';

describe("restoring onto a host without the backup's locale (dev server, real PostgreSQL and S3)", () => {
  const suite = workflowSuite('locale');

  it('is refused before anything starts, naming the locale and how to install it', async () => {
    const db = await suite.freshDatabase('locale');
    await withClient(db, (c) => c.query(`CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10)`));
    const { taskQueue } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);

    // The backup as a server with that locale would have recorded it.
    const storage = stackConfig().storage!;
    const s3 = createS3Client(storage);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: backup.manifestKey }))
    ).Body!.transformToString();
    const manifest = JSON.parse(body);
    expect(manifest.databaseProperties.collate).not.toBe(ABSENT);
    manifest.databaseProperties.collate = ABSENT;
    manifest.databaseProperties.ctype = ABSENT;
    await s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: backup.manifestKey, Body: JSON.stringify(manifest) }));

    const copy = `${db}_copy`;
    suite.track(copy);
    const err = await suite.restoreNew(db, taskQueue, backup.backupId, copy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = innermostFailure(err as WorkflowFailedError) as ApplicationFailure;
    const server = stackServer();
    expect(cause).toMatchObject({
      type: 'UsageError',
      nonRetryable: true,
      message: `the backup's database has the locale ${ABSENT}, which the host of ${server.host}:${server.port} does not have (could not create locale "${ABSENT}": No such file or directory): install it there (Debian: uncomment it in /etc/locale.gen and run locale-gen, or apt-get install locales-all), then restore again`,
    });
    const made = await withClient('postgres', (c) =>
      c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${db}\\_%`]),
    );
    expect(made.rows).toEqual([]);
  });
});
