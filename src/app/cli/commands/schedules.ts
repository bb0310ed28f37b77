/** `pgwarden schedules apply | list | pause | unpause | trigger | backfill`: Temporal Schedules instead of cron. */
import { Client, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { UsageError } from '../../../infra/errors/errors';
import { applySchedules } from '../../../operations/schedules/apply';
import { desiredSchedules, SCHEDULE_PREFIX } from '../../../operations/schedules/desired';
import { onCallRosterId } from '../../../operations/dr/roster-messages';
import { startRoster } from '../../../operations/dr/roster';
import { CommandContext } from '../context';

/** A Temporal client for `fn`; an unknown schedule id becomes a usage error that says where to look. */
async function withClient<T>(ctx: CommandContext, fn: (client: Client) => Promise<T>): Promise<T> {
  return ctx.withTemporalClient(async (client) => {
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError)
        throw new UsageError(`no schedule "${err.scheduleId}"; see pgwarden schedules list`);
      throw err;
    }
  });
}

export async function runSchedulesApply(ctx: CommandContext, opts: { prune?: boolean; json?: boolean }): Promise<void> {
  const config = ctx.config();
  if (config.databases.length === 0)
    throw new UsageError('no database is configured (DATABASE_URL / BACKUP_DATABASES); nothing to schedule');
  const taskQueue = config.temporal.taskQueue;
  // With a rotation, the on-call roster runs beside the schedules: it tells each handover and holds the stand-ins.
  const rotation = Object.values(config.incident.matrices).some((m) => m.onCall);
  const result = await withClient(ctx, async (client) => ({
    ...(await applySchedules(client, taskQueue, desiredSchedules(config), Boolean(opts.prune))),
    ...(rotation ? { onCallRoster: await startRoster(client, taskQueue) } : {}),
  }));
  if (opts.json) return void process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  const handovers = config.incident.handovers
    ? 'tells each handover, holds the stand-ins'
    : 'holds the stand-ins; ESCALATION_ONCALL_HANDOVERS=false';
  const lines = [
    ...result.created.map((id) => `created   ${id}`),
    ...result.updated.map((id) => `updated   ${id}`),
    ...result.unchanged.map((id) => `unchanged ${id}`),
    ...result.removed.map((id) => `removed   ${id}`),
    ...result.unknown.map((id) => `unknown   ${id} (its database is no longer configured; remove it with --prune)`),
    ...(result.onCallRoster
      ? [`${result.onCallRoster.padEnd(9)} ${onCallRosterId(taskQueue)} (on-call roster: ${handovers})`]
      : []),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

export async function runSchedulesList(ctx: CommandContext, opts: { json?: boolean }): Promise<void> {
  const rows = await withClient(ctx, async (client) => {
    const out = [];
    for await (const s of client.schedule.list()) {
      if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
      const d = await client.schedule.getHandle(s.scheduleId).describe();
      out.push({
        id: s.scheduleId,
        paused: d.state.paused,
        note: d.state.note ?? '',
        next: d.info.nextActionTimes[0]?.toISOString() ?? null,
        last: d.info.recentActions.at(-1)?.action.workflow.workflowId ?? null,
      });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  });
  if (opts.json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  if (rows.length === 0) return void process.stdout.write('no pgwarden schedules; create them with: pgwarden schedules apply\n');
  for (const r of rows)
    process.stdout.write(
      `${r.id.padEnd(36)} ${r.paused ? 'PAUSED ' : 'active '} next ${r.next ?? '-'}  last ${r.last ?? '-'}\n  ${r.note}\n`,
    );
}

export async function runSchedulesAction(
  ctx: CommandContext,
  action: 'pause' | 'unpause' | 'trigger' | 'backfill',
  id: string,
  opts: { note?: string; from?: string; to?: string },
): Promise<void> {
  if (!id.startsWith(SCHEDULE_PREFIX))
    throw new UsageError(
      `"${id}" is not a pgwarden schedule id (they start with ${SCHEDULE_PREFIX}); see pgwarden schedules list`,
    );
  await withClient(ctx, async (client) => {
    const handle = client.schedule.getHandle(id);
    if (action === 'pause') await handle.pause(opts.note ?? 'paused with pgwarden schedules pause');
    else if (action === 'unpause') await handle.unpause(opts.note ?? 'unpaused with pgwarden schedules unpause');
    else if (action === 'trigger') await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    else {
      const start = new Date(opts.from ?? '');
      const end = new Date(opts.to ?? '');
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start)
        throw new UsageError(
          'backfill needs --from and --to as ISO times, --from before --to (e.g. --from 2026-11-20T00:00Z --to 2026-11-23T00:00Z)',
        );
      await handle.backfill([{ start, end, overlap: ScheduleOverlapPolicy.BUFFER_ALL }]);
    }
    process.stdout.write(`${action === 'trigger' ? 'triggered' : action === 'backfill' ? 'backfilled' : `${action}d`} ${id}\n`);
  });
}
