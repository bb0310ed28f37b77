/**
 * A backup records the extensions its database uses, and a restore or a verification onto a
 * server without one of them is stopped before anything is loaded: here a PostgreSQL 15
 * database with old_snapshot (gone from 17) given to the stack's PostgreSQL 18, the upgrade by
 * restore a team would try. Before, pg_restore stopped at CREATE EXTENSION ("could not open
 * extension control file") once the dump was fetched; the same database without it restores.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { parseManifest } from '../../src/operations/backup/manifest';
import { dropDatabase, withClient } from '../support/databases';
import { stackConfig, stackEnv } from '../support/stack-env';
import { versionsFolder } from '../support/versions-folder';
import { workflowSuite } from '../support/workflow-suite';

const env = stackEnv();
const pg18Url = env.PGWARDEN_TEST_PG18_URL!;
const pg18 = stackConfig({ DATABASE_URL: pg18Url }).databases[0];
const onPg18 = (db: string) => pg18Url.replace(/\/postgres$/, `/${db}`);

describe('extensions a backup needs, on the server it is restored onto (dev server, PostgreSQL 15 and 18, S3)', () => {
  const suite = workflowSuite('extensions');
  const versions = versionsFolder();
  const onEighteen: string[] = [];
  afterAll(async () => {
    for (const db of onEighteen) await dropDatabase(db, pg18);
    versions.remove();
  });

  it('refuses a restore and fails a verification onto PostgreSQL 18 for old_snapshot, and restores once it is gone', async () => {
    const db = await suite.freshDatabase('ext');
    await withClient(db, (c) =>
      c.query(`CREATE EXTENSION hstore; CREATE EXTENSION old_snapshot;
               CREATE TABLE items (id int PRIMARY KEY, attrs hstore);
               INSERT INTO items SELECT g, hstore('n', g::text) FROM generate_series(1, 100) g`),
    );
    const fifteen = await suite.workerFor(db, { PG_BIN_DIR: versions.dir, VERIFY_DATABASE_URL: pg18Url });
    const backup = await suite.backup(db, fifteen.taskQueue);
    const bucket = new Bucket(fifteen.config.storage!, createS3Client(fifteen.config.storage!));
    const manifest = parseManifest((await bucket.getText(backup.manifestKey))!, backup.manifestKey);
    expect(manifest.extensions?.map((e) => e.name)).toEqual(['hstore', 'old_snapshot', 'plpgsql']);
    expect(manifest.extensions?.every((e) => /^\d+\.\d+$/.test(e.version))).toBe(true);

    const problem = `the backup's database uses the extension old_snapshot, which ${pg18.host}:${pg18.port} (PostgreSQL 18) does not have: install its package on the server's host (PGDG: postgresql-18-<name>; the contrib ones come with postgresql-18), or restore onto a server that has it`;
    // The test restore on VERIFY_DATABASE_URL (PostgreSQL 18): a finding, stored and notified.
    const verified = await suite.verify(db, fifteen.taskQueue, backup.backupId);
    expect(verified.verified[0].status).toBe('failed');
    expect(verified.verified[0].failures.join('\n')).toContain(problem);

    // A worker whose database is on PostgreSQL 18: the restore is refused before it loads anything.
    const eighteen = await suite.workerFor(db, { DATABASE_URL: onPg18(db), PG_BIN_DIR: versions.dir });
    const copy = `${db}_on18`;
    onEighteen.push(copy);
    const err = await suite.restoreNew(db, eighteen.taskQueue, backup.backupId, copy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(innermostFailure(err as WorkflowFailedError) as ApplicationFailure).toMatchObject({
      type: 'UsageError',
      nonRetryable: true,
      message: problem,
    });
    expect(
      await withClient('postgres', (c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [copy]), pg18),
    ).toMatchObject({
      rowCount: 0,
    });

    // Without it, the same database moves to 18 with its hstore data.
    await withClient(db, (c) => c.query('DROP EXTENSION old_snapshot'));
    const second = await suite.backup(db, fifteen.taskQueue);
    expect((await suite.restoreNew(db, eighteen.taskQueue, second.backupId, copy)).restoredInto).toBe(copy);
    const rows = await withClient(copy, (c) => c.query<{ n: string }>(`SELECT attrs -> 'n' AS n FROM items WHERE id = 42`), pg18);
    expect(rows.rows).toEqual([{ n: '42' }]);
  });
});
