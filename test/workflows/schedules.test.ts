/**
 * Temporal Schedules instead of cron, on the dev server: apply creates, a second apply changes
 * nothing, a changed configuration updates in place (a paused schedule stays paused), prune
 * removes schedules of databases no longer configured, and trigger runs a real backup.
 */
import { Client } from '@temporalio/client';
import { applySchedules } from '../../src/operations/schedules/apply';
import { desiredSchedules } from '../../src/operations/schedules/desired';
import { databaseUrl } from '../support/databases';
import { stackConfig } from '../support/stack-env';
import { workflowSuite } from '../support/workflow-suite';
import { startedBy } from '../../src/infra/temporal/started-by';

describe('schedules (dev server)', () => {
  const suite = workflowSuite('schedules');

  it('applies idempotently, updates in place, prunes, and a trigger runs a real backup', async () => {
    const db = await suite.freshDatabase('sched', 'awkward.sql');
    const other = await suite.freshDatabase('sched');
    const { taskQueue } = await suite.workerFor(db);
    const client: Client = suite.server.client;
    const env = (extra: Record<string, string> = {}) => ({
      DATABASE_URL: databaseUrl(db),
      PGWARDEN_TASK_QUEUE: taskQueue,
      ...extra,
    });
    const both = stackConfig(env({ DATABASE_URL_OTHER: databaseUrl(other) }));
    const apply = (config = both, prune = false) =>
      applySchedules(client, config.temporal.taskQueue, desiredSchedules(config), prune);

    const first = await apply();
    try {
      expect(first.created.sort()).toEqual(
        [
          `pgwarden-backup-${db}`,
          `pgwarden-backup-other`,
          `pgwarden-check-${db}`,
          `pgwarden-check-other`,
          `pgwarden-cleanup-${db}`,
          `pgwarden-cleanup-other`,
          `pgwarden-verify-${db}`,
          `pgwarden-verify-other`,
          `pgwarden-restoreTest-${db}`,
          `pgwarden-restoreTest-other`,
          `pgwarden-drDrill-${db}`,
          `pgwarden-drDrill-other`,
        ].sort(),
      );
      expect(await apply()).toMatchObject({ created: [], updated: [], unchanged: expect.arrayContaining(first.created) });

      const backupId = `pgwarden-backup-${db}`;
      const d = await client.schedule.getHandle(backupId).describe();
      expect(d.spec.calendars?.[0]).toMatchObject({
        hour: [{ start: 2, end: 2, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
      });
      expect(d.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 6 * 3_600_000 });
      expect(d.state.note).toMatch(/^Daily backup of .* replaces backup_database.sh in cron$/);

      await client.schedule.getHandle(backupId).pause('maintenance window');
      const changed = stackConfig(env({ DATABASE_URL_OTHER: databaseUrl(other), SCHEDULE_BACKUP_CRON: '30 1 * * *' }));
      const second = await apply(changed);
      expect(second.updated.sort()).toEqual([backupId, 'pgwarden-backup-other'].sort());
      const after = await client.schedule.getHandle(backupId).describe();
      expect(after.spec.calendars?.[0]).toMatchObject({
        hour: [{ start: 1, end: 1, step: 1 }],
        minute: [{ start: 30, end: 30, step: 1 }],
      });
      expect(after.state).toMatchObject({ paused: true, note: 'maintenance window' });
      await client.schedule.getHandle(backupId).unpause();

      // Another deployment's schedule on the same namespace (another task queue) survives prune.
      const foreign = `pgwarden-backup-foreign-${taskQueue}`;
      await client.schedule.create({
        scheduleId: foreign,
        spec: { cronExpressions: ['0 5 * * *'] },
        action: {
          type: 'startWorkflow',
          workflowType: 'BackupWorkflow',
          args: [{ database: 'x' }],
          taskQueue: `${taskQueue}-elsewhere`,
        },
        state: { paused: true },
      });
      const onlyMine = stackConfig(env({ SCHEDULE_BACKUP_CRON: '30 1 * * *' }));
      const pruned = await apply(onlyMine, true);
      expect(pruned.removed).not.toContain(foreign);
      await client.schedule.getHandle(foreign).delete();
      expect(pruned.removed).toEqual(
        expect.arrayContaining([
          'pgwarden-backup-other',
          'pgwarden-check-other',
          'pgwarden-verify-other',
          'pgwarden-cleanup-other',
          'pgwarden-restoreTest-other',
          'pgwarden-drDrill-other',
        ]),
      );
      expect(pruned.unchanged.sort()).toEqual(
        [
          backupId,
          `pgwarden-check-${db}`,
          `pgwarden-cleanup-${db}`,
          `pgwarden-verify-${db}`,
          `pgwarden-restoreTest-${db}`,
          `pgwarden-drDrill-${db}`,
        ].sort(),
      );

      await client.schedule.getHandle(backupId).trigger();
      let workflowId: string | undefined;
      for (let i = 0; i < 100 && !workflowId; i++) {
        const info = (await client.schedule.getHandle(backupId).describe()).info;
        workflowId = info.recentActions.at(-1)?.action.workflow.workflowId ?? info.runningActions[0]?.workflow.workflowId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 100));
      }
      expect(workflowId).toMatch(new RegExp(`^backup-${db}-\\d{4}-\\d{2}-\\d{2}T`));
      const summary = await client.workflow.getHandle(workflowId!).result();
      expect(summary).toMatchObject({ database: db, tables: 7 });
      // Who started it, as a recovery's evidence would say: the schedule, not the scheduler's identity.
      const { runId } = await client.workflow.getHandle(workflowId!).describe();
      expect(await startedBy(client, { workflowId: workflowId!, runId })).toBe(`schedule ${backupId}`);
    } finally {
      // Schedules outlive the test run on a reused dev server: never leave them firing.
      for (const id of first.created)
        await client.schedule
          .getHandle(id)
          .delete()
          .catch(() => undefined);
    }
  });
});
