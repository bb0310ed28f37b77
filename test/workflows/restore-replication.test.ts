/**
 * In-place restores of databases tied to logical replication, on a cluster with
 * wal_level=logical: a publisher with a logical slot a consumer reads (pg_recvlogical) and an
 * idle one, and a subscriber with a running subscription. The live database is renamed aside
 * and these stay with it, not with its name. Before, that happened without a word: the slots
 * went on holding WAL, their consumer could no longer read the database through them, and the
 * kept copy went on receiving the subscription's changes. Now the restore says so, with what
 * to do, in its warnings.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { uniqueDatabaseName } from '../support/databases';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { uniqueSuffix } from '../support/temporal';
import { waitFor } from '../support/wait';
import { workflowSuite } from '../support/workflow-suite';
import type { RestoreResult } from '../../workflows/restore';
import { WorkflowType } from '../../src/infra/temporal/definitions';

const suite = workflowSuite('replication-ties');
let cluster: ScratchCluster;
beforeAll(async () => {
  cluster = await startScratchCluster({ settings: { wal_level: 'logical' } });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const restoreInPlace = (db: string, taskQueue: string, backupId: string): Promise<RestoreResult> =>
  suite.server.client.workflow.execute(WorkflowType.restore, {
    taskQueue,
    workflowId: `restore-${db}-${uniqueSuffix()}`,
    args: [{ database: db, file: backupId, force: true }],
  });

it('says which slots and subscriptions stayed with the kept database, and what to do', async () => {
  const pub = uniqueDatabaseName('publisher');
  const sub = uniqueDatabaseName('subscriber');
  for (const db of [pub, sub]) {
    await cluster.query(`CREATE DATABASE ${db}`);
    await cluster.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)', [], db);
  }
  await cluster.query('CREATE PUBLICATION p FOR TABLE t', [], pub);
  await cluster.query("SELECT pg_create_logical_replication_slot('cdc_idle', 'test_decoding')", [], pub);
  await cluster.query("SELECT pg_create_logical_replication_slot('cdc_live', 'test_decoding')", [], pub);
  // On one cluster the subscription's slot is made beforehand (CREATE SUBSCRIPTION would wait on itself).
  await cluster.query("SELECT pg_create_logical_replication_slot('feed', 'pgoutput')", [], pub);
  await cluster.query(
    `CREATE SUBSCRIPTION feed CONNECTION '${cluster.url(pub).replace(/^postgres:\/\/(\w+):(\w+)@([\d.]+):(\d+)\/(\w+)$/, 'user=$1 password=$2 host=$3 port=$4 dbname=$5')}' PUBLICATION p WITH (create_slot = false, slot_name = 'feed', copy_data = false)`,
    [],
    sub,
  );
  const consumer = spawn(
    join(dirname(pgProgram('pg_dump')), 'pg_recvlogical'),
    ['-d', cluster.url(pub), '-S', 'cdc_live', '--start', '-f', '/dev/null'],
    {
      stdio: 'ignore',
    },
  );
  try {
    await waitFor(
      'the consumer reading cdc_live',
      async () =>
        (
          await cluster.query<{ active: boolean }>(
            "SELECT active FROM pg_replication_slots WHERE slot_name = 'cdc_live'",
            [],
            pub,
          )
        )[0].active,
    );
    for (const [db, said] of [
      [pub, `logical replication slot(s) "cdc_idle", "cdc_live", "feed" stayed with ${pub}_before_`],
      [sub, `subscription(s) "feed" still run in ${sub}_before_`],
    ] as const) {
      const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: cluster.url(db) });
      const backup = await suite.backup(db, taskQueue);
      const restored = await restoreInPlace(db, taskQueue, backup.backupId);
      expect(restored.keptAs).toBe(`${db}_before_${backup.backupId.replace(/^backup_/, '')}`);
      expect(restored.warnings).toEqual([expect.stringContaining(said)]);
      expect(restored.warnings![0]).toContain(restored.keptAs!);
    }
    // What the warnings say is so: the slots are the kept database's, and its subscription runs.
    const slots = await cluster.query<{ slot: string; datname: string }>(
      'SELECT slot_name AS slot, database AS datname FROM pg_replication_slots ORDER BY 1',
    );
    expect(new Set(slots.map((s) => s.datname))).toEqual(new Set([expect.stringMatching(new RegExp(`^${pub}_before_`))]));
    const subs = await cluster.query<{ name: string; enabled: boolean; datname: string }>(
      'SELECT s.subname AS name, s.subenabled AS enabled, d.datname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid ORDER BY 3',
    );
    expect(subs).toEqual([
      { name: 'feed', enabled: false, datname: sub },
      { name: 'feed', enabled: true, datname: expect.stringMatching(new RegExp(`^${sub}_before_`)) },
    ]);
  } finally {
    consumer.kill();
  }
}, 180_000);
