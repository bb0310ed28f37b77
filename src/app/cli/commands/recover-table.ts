/**
 * `pgwarden recover-table`: tables as they were at a point in time, back beside the live ones
 * under new names, from the point-in-time archive of their server.
 */
import type { RecoverTableResult } from '../../../../workflows/recover-table';
import { requireDatabase } from '../../../infra/config/config';
import { UsageError } from '../../../infra/errors/errors';
import { hostQueueInput } from '../../../infra/config/wal';
import { parseTarget } from '../../../operations/pitr/target';
import { planRecoveryNames } from '../../../operations/table-recovery/names';
import { CommandContext } from '../context';
import { announce, startRun } from '../start-run';
import { pickServer } from './pitr';

export async function runRecoverTable(
  ctx: CommandContext,
  options: {
    table: string[];
    as?: string;
    into?: string;
    server?: string;
    to?: string;
    toLsn?: string;
    toName?: string;
    json?: boolean;
  },
): Promise<void> {
  const config = ctx.config();
  const server = pickServer(config, options.server);
  const target = parseTarget(options);
  if ('problem' in target) throw new UsageError(target.problem);
  const tables = planRecoveryNames(options.table, options.as);
  if ('problem' in tables) throw new UsageError(tables.problem);
  const into = options.into ?? server;
  requireDatabase(config, into);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'recoverTable',
      operation: 'recover-table',
      database: into,
      args: [{ server, into, tables, target, ...hostQueueInput(config, server) }],
      summary: `Table recovery into ${into}`,
    });
    if (!options.json) announce(`recovering ${options.table.join(', ')} of ${server} into ${into}`, run);
    const r: RecoverTableResult = await run.handle.result();
    process.stdout.write(options.json ? JSON.stringify(r, null, 2) + '\n' : formatTableRecovery(r) + '\n');
  });
}

export function formatTableRecovery(r: RecoverTableResult): string {
  return [
    `recovered from ${r.baseBackupId} as of ${r.target} into ${r.into}, in ${(r.durationMs / 1000).toFixed(1)} s`,
    `last transaction replayed: ${r.recoveredTo.commitTime ?? 'none after the base backup'} (LSN ${r.recoveredTo.lsn})`,
    ...(r.lossSeconds !== null ? [`not recovered before the target: at most ${r.lossSeconds.toFixed(3)} s of commits`] : []),
    ...r.tables.map(
      (t) =>
        `${t.table} -> ${t.as}: ${t.rows} row(s)${t.foreignKeysLeftOut.length ? `; foreign keys left out: ${t.foreignKeysLeftOut.join(', ')}` : ''}`,
    ),
    'the live tables were not touched; compare, then copy back the rows you need (INSERT ... SELECT)',
  ].join('\n');
}
