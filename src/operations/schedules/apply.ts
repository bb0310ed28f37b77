/**
 * `pgwarden schedules apply`: makes Temporal's schedules match configuration, idempotently.
 * Missing ones are created, changed ones updated in place (a paused schedule stays paused),
 * matching ones left alone; this deployment's schedules (same task queue) for databases no
 * longer configured are removed with --prune, otherwise reported.
 */
import { Client, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { DatabaseSA, OperationSA } from '../../infra/temporal/search-attributes';
import { DesiredSchedule, SCHEDULE_PREFIX } from './desired';

export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
  /** pgwarden schedules not in the configuration, kept because --prune was not given. */
  unknown: string[];
}

const FINGERPRINT = 'pgwardenSchedule';

function scheduleParts(d: DesiredSchedule, taskQueue: string) {
  return {
    spec: { cronExpressions: [d.cron], timezone: d.timezone },
    action: {
      type: 'startWorkflow' as const,
      workflowType: d.workflowType,
      args: d.args,
      taskQueue,
      // The schedule appends the time of each run: backup-shop-2026-11-24T02:00:00Z.
      workflowId: `${d.idWord ?? d.operation}-${d.database}`,
      memo: { [FINGERPRINT]: d.fingerprint },
      typedSearchAttributes: [
        { key: DatabaseSA, value: d.database },
        { key: OperationSA, value: d.operationLabel ?? d.operation },
      ],
    },
    policies: {
      // A backup (or verify, or cleanup) of a database never overlaps the previous one.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: d.catchupWindowMinutes * 60_000,
      pauseOnFailure: false,
    },
  };
}

export async function applySchedules(
  client: Client,
  taskQueue: string,
  desired: DesiredSchedule[],
  prune: boolean,
): Promise<ApplyResult> {
  const result: ApplyResult = { created: [], updated: [], unchanged: [], removed: [], unknown: [] };
  for (const d of desired) {
    const handle = client.schedule.getHandle(d.scheduleId);
    const current = await handle.describe().catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
    const parts = scheduleParts(d, taskQueue);
    if (!current) {
      await client.schedule.create({ scheduleId: d.scheduleId, ...parts, state: { note: d.note }, memo: { pgwarden: true } });
      result.created.push(d.scheduleId);
      continue;
    }
    const fingerprint = (current.action as { memo?: Record<string, unknown> }).memo?.[FINGERPRINT];
    if (fingerprint === d.fingerprint) {
      result.unchanged.push(d.scheduleId);
      continue;
    }
    await handle.update((prev) => ({
      ...prev,
      ...parts,
      state: { ...prev.state, note: prev.state.paused ? prev.state.note : d.note },
    }));
    result.updated.push(d.scheduleId);
  }
  const wanted = new Set(desired.map((d) => d.scheduleId));
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(SCHEDULE_PREFIX) || wanted.has(s.scheduleId)) continue;
    // Only this deployment's schedules (its task queue): another pgwarden on the namespace keeps its own.
    const described = await client.schedule.getHandle(s.scheduleId).describe();
    if ((described.action as { taskQueue?: string }).taskQueue !== taskQueue) continue;
    if (prune) {
      await client.schedule.getHandle(s.scheduleId).delete();
      result.removed.push(s.scheduleId);
    } else result.unknown.push(s.scheduleId);
  }
  return result;
}
