/**
 * A backup that waits for a table lock (a session left idle in a transaction after an ALTER or
 * LOCK TABLE) says whose lock it waits for, in the progress the Temporal UI and the CLI show,
 * and goes on when that transaction ends. Before, it showed "0 B dumped" for as long, with no
 * reason.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { Client } from 'pg';
import type { BackupProgress } from '../../src/operations/backup/progress';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BackupSummary } from '../../workflows/backup';
import { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName, withClient } from '../support/databases';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

describe('a backup waiting for a table lock', () => {
  const suite = workflowSuite('lockwait');
  const db = uniqueDatabaseName('lockwait');

  beforeAll(async () => {
    await createDatabase(db);
    await withClient(db, (c) => c.query('CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 5000) g'));
  });
  afterAll(async () => {
    await dropDatabase(db);
  });

  it('names the session holding it, and goes on when it lets go', async () => {
    const holder = new Client({ connectionString: databaseUrl(db), application_name: 'migration' });
    await holder.connect();
    let holding = true;
    try {
      await holder.query('BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

      const { taskQueue } = await suite.workerFor(db);
      const handle = await suite.server.client.workflow.start(WorkflowType.backup, {
        taskQueue,
        workflowId: `backup-${db}-${uniqueSuffix()}`,
        args: [{ database: db, reason: 'lock wait test' }],
      });
      let progress: BackupProgress | undefined;
      for (const deadline = Date.now() + 60_000; !progress?.waitingFor && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 500));
        const { raw } = await handle.describe();
        const payload = raw.pendingActivities?.find((a) => a.activityType?.name === 'dumpAndUpload')?.heartbeatDetails
          ?.payloads?.[0];
        progress = payload ? defaultPayloadConverter.fromPayload<BackupProgress>(payload) : undefined;
      }
      // The dump's sessions (pg_dump's lock, the counts) wait for the same holder: one line.
      expect(progress?.waitingFor).toMatch(
        new RegExp(
          `^waiting for a lock on public\\.orders held by pid ${pid} \\(user \\w+, migration, idle in transaction, transaction open \\d+ s\\): the dump goes on when that transaction ends$`,
        ),
      );
      expect(progress?.rawBytes).toBe(0);
      expect(progress?.summary).toContain(`; ${progress?.waitingFor}`);

      await holder.query('COMMIT');
      holding = false;
      const summary: BackupSummary = await handle.result();
      expect(summary).toMatchObject({ tables: 1, rows: 5000 });
    } finally {
      if (holding) await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }, 120_000);
});
