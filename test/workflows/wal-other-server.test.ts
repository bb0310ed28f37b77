/**
 * A server replaced by a new cluster (after a disaster, its database restored from a logical
 * backup), or another server given the id an archive already holds: its WAL cannot continue
 * that archive. Archiving stops at once in one line saying why and what to do, told by the
 * system identifier each segment carries, whether the new cluster's WAL is behind the archive
 * (before: "pg_receivewal stopped: disconnected" retried for ever) or already past its end
 * (before: streamed into the archive after the other cluster's WAL, or called a gap).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { describeFailure } from '../../src/app/cli/failure';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { Bucket } from '../../src/infra/storage/bucket';
import { walFileOf, walFolder } from '../../src/infra/storage/layout';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { WAL_SYSTEM_ID } from '../../src/operations/pitr/system-identifier';
import { WAL_PLAIN_SHA256 } from '../../src/operations/pitr/wal-object';
import { parseLsn } from '../../src/operations/pitr/wal-names';
import { HostWorkers, pitrFixture } from '../support/pitr-fixture';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { uniqueSuffix } from '../support/temporal';
import { waitFor } from '../support/wait';

const fixture = pitrFixture();

const systemOf = async (c: ScratchCluster) =>
  (await c.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()'))[0].id;

/** Archives `db` of the fixture's cluster through `switches` more segments, then stops archiving. */
async function archiveSome(workers: HostWorkers, db: string, switches: number): Promise<void> {
  const { server, cluster } = fixture;
  await workers.runUntil(async () => {
    const run = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue: workers.taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600, hostQueue: workers.hostQueue }],
    });
    for (let i = 0; i < switches; i++) {
      await cluster.query('INSERT INTO t VALUES (1)', [], db);
      await cluster.query('SELECT pg_switch_wal()');
    }
    await workers.run(WorkflowType.baseBackup, { server: db, reason: 'the old server', hostQueue: workers.hostQueue });
    await run.cancel();
    await run.result().catch(() => undefined);
  });
}

/** Starts archiving `db` of the replacement under the same id; the refusal, in the CLI's words, and how long it took. */
async function refusal(db: string, settings: Record<string, string>, replacement: ScratchCluster) {
  const moved = await fixture.hostWorkers(`${db}-moved`, { ...settings, DATABASE_URL: replacement.url(db) });
  return moved.runUntil(async () => {
    const started = Date.now();
    const refused = await (
      await fixture.server.client.workflow.start(WorkflowType.walArchive, {
        taskQueue: moved.taskQueue,
        workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
        args: [{ server: db, roundSeconds: 600, hostQueue: moved.hostQueue }],
      })
    )
      .result()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    return { failure: describeFailure(refused), seconds: (Date.now() - started) / 1000 };
  });
}

const otherCluster = (db: string, archived: string, server: string) =>
  `${db}: the archive holds the WAL of database system ${archived} but the server is database system ${server}, so it is another cluster (a new one after a disaster or a pg_upgrade, or another server given this id) and its WAL cannot continue this archive; archive it under an id of its own (DATABASE_URL_<ID> and WAL_ARCHIVE), or move this server's wal/, basebackups/ and restore-points/ folders in the bucket aside, then start archiving and take a base backup`;

const buckets: Bucket[] = [];
const bucketOf = (workers: HostWorkers) => {
  const bucket = new Bucket(workers.config.storage!, createS3Client(workers.config.storage!));
  buckets.push(bucket);
  return bucket;
};
afterAll(() => buckets.forEach((b) => b.s3.destroy()));

it('stops archiving a new cluster whose WAL is behind the archive, naming both clusters', async () => {
  const { db, settings } = await fixture.archivedDatabase('walother', ['CREATE TABLE t AS SELECT 1 AS v']);
  const workers = await fixture.hostWorkers('walother', settings);
  // Some segments into the archive: well past where a new cluster's WAL begins.
  await archiveSome(workers, db, 4);
  const bucket = bucketOf(workers);
  // Each segment says which cluster it came from.
  const segments = (await bucket.list(walFolder(workers.config.storage!.prefix, db))).filter((o) =>
    /^[0-9A-F]{24}$/.test(walFileOf(o.key)?.fileName ?? ''),
  );
  expect(segments.length).toBeGreaterThanOrEqual(4);
  const archived = await systemOf(fixture.cluster);
  for (const o of segments) expect((await bucket.head(o.key))?.Metadata?.[WAL_SYSTEM_ID]).toBe(archived);

  const replacement = await startScratchCluster();
  try {
    await replacement.query(`CREATE DATABASE ${db}`);
    const { failure, seconds } = await refusal(db, settings, replacement);
    expect(failure.exitCode).toBe(1);
    expect(failure.lines.join(' ')).toBe(otherCluster(db, archived, await systemOf(replacement)));
    expect(seconds).toBeLessThan(30);
  } finally {
    await replacement.stop();
  }
}, 180_000);

it('stops archiving a new cluster whose WAL is already past the archive, also for segments archived before identifiers were recorded', async () => {
  const { db, settings } = await fixture.archivedDatabase('walahead', ['CREATE TABLE t AS SELECT 1 AS v']);
  const workers = await fixture.hostWorkers('walahead', settings);
  await archiveSome(workers, db, 1);
  const bucket = bucketOf(workers);
  // As an archive from before this check: no identifier recorded, so it is read from the segment itself.
  const folder = walFolder(workers.config.storage!.prefix, db);
  for (const o of await bucket.list(folder)) {
    const head = (await bucket.head(o.key))!;
    await bucket.replace(o.key, (await bucket.getBytes(o.key))!, {
      metadata: { [WAL_PLAIN_SHA256]: head.Metadata![WAL_PLAIN_SHA256] },
    });
  }
  const archiveEnd = parseLsn((await fixture.cluster.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'))[0].l);

  const replacement = await startScratchCluster();
  try {
    await replacement.query(`CREATE DATABASE ${db}`);
    await replacement.query('CREATE TABLE t (v int)', [], db);
    // The new cluster writes until its WAL is a segment past where the archive ends.
    const lsn = async () => parseLsn((await replacement.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'))[0].l);
    while ((await lsn()) < archiveEnd + 32n * 1024n * 1024n) {
      await replacement.query('INSERT INTO t VALUES (1)', [], db);
      await replacement.query('SELECT pg_switch_wal()');
    }
    const { failure } = await refusal(db, settings, replacement);
    expect(failure.exitCode).toBe(1);
    expect(failure.lines.join(' ')).toBe(otherCluster(db, await systemOf(fixture.cluster), await systemOf(replacement)));
    // Nothing of the new cluster joined the archive.
    for (const o of await bucket.list(folder)) expect((await bucket.head(o.key))?.Metadata?.[WAL_SYSTEM_ID]).toBeUndefined();
  } finally {
    await replacement.stop();
  }
}, 180_000);

it("stops archiving another cluster under an id whose archive holds only an open segment's copy so far", async () => {
  const { db, settings } = await fixture.archivedDatabase('walopen', ['CREATE TABLE t AS SELECT 1 AS v']);
  const workers = await fixture.hostWorkers('walopen', settings);
  const bucket = bucketOf(workers);
  const folder = walFolder(workers.config.storage!.prefix, db);
  const archived = await systemOf(fixture.cluster);
  await workers.runUntil(async () => {
    const run = await fixture.server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue: workers.taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600, hostQueue: workers.hostQueue }],
    });
    await fixture.cluster.query('INSERT INTO t VALUES (1)', [], db);
    // Shipped within a second (WAL_PARTIAL_UPLOAD_SECONDS=1), naming its cluster.
    await waitFor("the open segment's copy", async () => {
      for (const o of await bucket.list(folder))
        if ((await bucket.head(o.key))?.Metadata?.[WAL_SYSTEM_ID] === archived) return true;
      return false;
    });
    await run.cancel();
    await run.result().catch(() => undefined);
  });
  // Starting the stream may complete a segment or two; without them the archive is what a
  // first minute of archiving leaves: the open segment's copy alone.
  for (const o of await bucket.list(folder))
    if (/^[0-9A-F]{24}$/.test(walFileOf(o.key)?.fileName ?? '')) await bucket.delete(o.key);
  const names = (await bucket.list(folder)).map((o) => walFileOf(o.key)?.fileName ?? '');
  expect(names.length).toBeGreaterThan(0);
  expect(names.filter((n) => !n.endsWith('.partial'))).toEqual([]);

  const replacement = await startScratchCluster();
  try {
    await replacement.query(`CREATE DATABASE ${db}`);
    const { failure } = await refusal(db, settings, replacement);
    expect(failure.exitCode).toBe(1);
    expect(failure.lines.join(' ')).toBe(otherCluster(db, archived, await systemOf(replacement)));
  } finally {
    await replacement.stop();
  }
}, 180_000);
