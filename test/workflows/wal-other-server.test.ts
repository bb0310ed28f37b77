/**
 * A server replaced by a new cluster (after a disaster, its database restored from a logical
 * backup) under the id an archive already holds: its WAL cannot continue that archive.
 * Archiving stops at once in one line saying why and what to do, instead of retrying
 * "pg_receivewal stopped: disconnected" for ever (seen before the check).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { describeFailure } from '../../src/app/cli/failure';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { pitrFixture } from '../support/pitr-fixture';
import { startScratchCluster } from '../support/scratch-cluster';
import { uniqueSuffix } from '../support/temporal';

const fixture = pitrFixture();

it('stops archiving a new cluster under an id whose archive it cannot continue, saying why and what to do', async () => {
  const { server, cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('walother', ['CREATE TABLE t AS SELECT 1 AS v']);
  const workers = await fixture.hostWorkers('walother', settings);
  await workers.runUntil(async () => {
    const first = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue: workers.taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600, hostQueue: workers.hostQueue }],
    });
    // Some segments into the archive: well past where a new cluster's WAL begins.
    for (let i = 0; i < 4; i++) {
      await cluster.query('INSERT INTO t VALUES (1)', [], db);
      await cluster.query('SELECT pg_switch_wal()');
    }
    await workers.run(WorkflowType.baseBackup, { server: db, reason: 'the old server', hostQueue: workers.hostQueue });
    await first.cancel();
    await first.result().catch(() => undefined);
  });

  // The replacement: a new cluster, the database restored into it, the same id.
  const replacement = await startScratchCluster();
  try {
    await replacement.query(`CREATE DATABASE ${db}`);
    const moved = await fixture.hostWorkers('walother2', { ...settings, DATABASE_URL: replacement.url(db) });
    await moved.runUntil(async () => {
      const started = Date.now();
      const refused = await (
        await server.client.workflow.start(WorkflowType.walArchive, {
          taskQueue: moved.taskQueue,
          workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
          args: [{ server: db, roundSeconds: 600, hostQueue: moved.hostQueue }],
        })
      )
        .result()
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowFailedError);
      const failure = describeFailure(refused);
      expect(failure.exitCode).toBe(1);
      expect(failure.lines.join(' ')).toMatch(
        new RegExp(
          `^${db}: the archive goes on to [0-9A-F]{24} but the server's WAL ends at \\S+ on timeline 1, so it is not the server archived so far \\(a new cluster, or one put back from a backup or a snapshot\\) and its WAL cannot continue this archive; archive it under an id of its own`,
        ),
      );
      expect(Date.now() - started).toBeLessThan(30_000);
    });
  } finally {
    await replacement.stop();
  }
}, 180_000);
