/**
 * A database of thousands of partitions on a server whose lock table is small (max_connections
 * 20, max_locks_per_transaction 64: about 2700 locks, as pgwarden counts them): pg_dump holds
 * one lock per table until it ends, and the backup's row counts, in the same snapshot, took a
 * second one per table. Before, the backup failed with a bare "out of shared memory" where
 * pg_dump alone succeeded; now preflight warns, the backup is exact, and a lock table really
 * full says which setting to raise.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { Client } from 'pg';
import type { PreflightReport } from '../../activities';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const PARTITIONS = 4000;

describe('a database of thousands of partitions and a small lock table', () => {
  const suite = workflowSuite('manytables');
  const db = `manytables_${uniqueSuffix()}`;
  let server: ScratchCluster;

  beforeAll(async () => {
    server = await startScratchCluster({ settings: { max_connections: '20', max_locks_per_transaction: '64' } });
    await server.query(`CREATE DATABASE ${db}`);
    await server.query('CREATE TABLE events (id int, k int) PARTITION BY LIST (k)', [], db);
    // In batches: one transaction making them all would itself fill the lock table.
    for (let from = 1; from <= PARTITIONS; from += 500) {
      const to = Math.min(PARTITIONS, from + 499);
      await server.query(
        `DO $$ BEGIN FOR i IN ${from}..${to} LOOP
           EXECUTE format('CREATE TABLE events_%s PARTITION OF events FOR VALUES IN (%s)', i, i);
         END LOOP; END $$;
         INSERT INTO events SELECT g, g FROM generate_series(${from}, ${to}) g`,
        [],
        db,
      );
    }
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('preflight warns of the lock table; the backup is exact and verifies', async () => {
    const { taskQueue } = await suite.workerFor(db, {
      DATABASE_URL: server.url(db),
      VERIFY_DATABASE_URL: server.url('postgres'),
    });
    const report: PreflightReport = await suite.server.client.workflow.execute(WorkflowType.preflight, {
      taskQueue,
      workflowId: `preflight-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    // 20 connections + 3 autovacuum workers + the launcher + 8 worker processes + 10 WAL senders.
    expect(report.warnings).toEqual([
      `${db} has ${PARTITIONS + 1} tables and partitions, and pg_dump holds a lock on each until it ends; the server's lock table holds about 2688 locks (max_locks_per_transaction 64 × 42 sessions) for every session together, so a backup may fail with "out of shared memory": raise max_locks_per_transaction to 192 on the server (it takes a restart)`,
    ]);

    const backup = await suite.backup(db, taskQueue);
    expect(backup).toMatchObject({ tables: PARTITIONS, rows: PARTITIONS });
    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified[0]).toMatchObject({ status: 'passed', failures: [] });
  }, 180_000);

  it('a lock table that other sessions fill fails the backup with the setting to raise', async () => {
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: server.url(db) });
    // Another session holding a lock on every partition (a migration's, say): pg_dump's no longer fit beside them.
    const holder = new Client({ connectionString: server.url(db) });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE events IN ACCESS SHARE MODE');
      const err = await suite.backup(db, taskQueue).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = innermostFailure(err as WorkflowFailedError) as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause.type).toBe('BackupError');
      expect(cause.message).toMatch(
        /out of shared memory.*; the server's lock table is full \(pg_dump holds a lock on every table it dumps until it ends, beside every other session's locks; pgwarden check counts the tables\): raise max_locks_per_transaction on the server \(it takes a restart\)$/,
      );
    } finally {
      await holder.end();
    }
  }, 120_000);
});
