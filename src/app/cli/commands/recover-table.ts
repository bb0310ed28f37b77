/**
 * `pgwarden recover-table`: tables as they were at a point in time, back beside the live ones
 * under new names, from the point-in-time archive of their server.
 */
import type { RecoverTableResult } from '../../../../workflows/recover-table';
import { UsageError } from '../../../infra/errors/errors';
import { hostQueueInput } from '../../../infra/config/wal';
import { userInfo } from 'node:os';
import { describeTarget, parseTarget } from '../../../operations/pitr/target';
import { describeTable, planRecoveryNames } from '../../../operations/table-recovery/names';
import { describeRecoveredTable } from '../../../operations/table-recovery/notices';
import { askApproval, followWithApproval } from '../approval';
import { operatorIdentity } from '../operator';
import { CommandContext } from '../context';
import { announce, startRun } from '../start-run';
import { pickServer } from './pitr';

export async function runRecoverTable(
  ctx: CommandContext,
  options: {
    table?: string[];
    as?: string;
    into?: string;
    server?: string;
    to?: string;
    toLsn?: string;
    toName?: string;
    replace?: boolean;
    force?: boolean;
    approvalTimeout?: string;
    /** --from-backup [ID]: true, or a backup id. */
    fromBackup?: string | boolean;
    json?: boolean;
  },
): Promise<void> {
  if (options.force && !options.replace)
    throw new UsageError('--force is for --replace; a recovery beside the live table needs no approval');
  const timeout = options.approvalTimeout === undefined ? 60 : Number(options.approvalTimeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError(`--approval-timeout ${options.approvalTimeout}: expected minutes, e.g. 60`);
  // Who approves at the prompt is recorded: known before the run starts.
  const by =
    options.replace && !options.force && process.stdin.isTTY
      ? operatorIdentity(undefined, ctx.env, userInfo().username)
      : 'the CLI';
  const config = ctx.config();
  // The WAL archive's server; without one (or with --server not archived), any configured database with logical backups.
  const server =
    options.server && !config.wal.servers.includes(options.server)
      ? ctx.pickDatabase(config, options.server)
      : config.wal.servers.length
        ? pickServer(config, options.server)
        : ctx.pickDatabase(config, undefined);
  const target = parseTarget(options);
  if ('problem' in target) throw new UsageError(target.problem);
  const tables = planRecoveryNames(options.table ?? [], options.as, options.replace);
  if ('problem' in tables) throw new UsageError(tables.problem);
  const into = options.into ?? server;
  if (!config.databases.some((d) => d.id === into))
    throw new UsageError(
      `--into ${into}: not a configured database (configured: ${config.databases.map((d) => d.id).join(', ')})`,
    );
  const names = tables.map((t) => describeTable(t.from)).join(', ');
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'recoverTable',
      operation: 'recover-table',
      database: into,
      args: [
        {
          server,
          into,
          tables,
          target,
          ...hostQueueInput(config, server),
          ...(options.fromBackup
            ? { fromBackup: typeof options.fromBackup === 'string' ? { backupId: options.fromBackup } : {} }
            : {}),
          ...(options.replace ? { force: Boolean(options.force), approvalTimeoutMinutes: timeout } : {}),
        },
      ],
      summary: `Table recovery into ${into}`,
    });
    if (!options.json) announce(`recovering ${names} of ${server} into ${into}`, run);
    const { handle } = run;
    const r = await followWithApproval(handle, handle.result() as Promise<RecoverTableResult>, {
      quiet: options.json,
      describe: (status) => status.step,
      ask: (_status, signal) =>
        askApproval(
          handle,
          {
            what: `replace ${names} in ${into} with their copies as of ${describeTarget(target)}`,
            question: `Replace ${names} in the live database "${into}" with the copies as of ${describeTarget(target)}? The live rows are kept as ${tables.map((t) => describeTable(t.keptAs!)).join(', ')}.`,
            expected: tables.map((t) => t.from.table).join(','),
            by,
          },
          signal,
        ),
    });
    process.stdout.write(options.json ? JSON.stringify(r, null, 2) + '\n' : formatTableRecovery(r) + '\n');
  });
}

export function formatTableRecovery(r: RecoverTableResult): string {
  return [
    r.fromBackup
      ? `recovered from the logical backup ${r.baseBackupId}, taken ${r.fromBackup.takenAt} (${r.fromBackup.why}), into ${r.into}, in ${(r.durationMs / 1000).toFixed(1)} s`
      : `recovered from ${r.baseBackupId} as of ${r.target} into ${r.into}, in ${(r.durationMs / 1000).toFixed(1)} s`,
    ...(r.recoveredTo
      ? [`last transaction replayed: ${r.recoveredTo.commitTime ?? 'none after the base backup'} (LSN ${r.recoveredTo.lsn})`]
      : []),
    ...(r.lossSeconds !== null ? [`not recovered before the target: at most ${r.lossSeconds.toFixed(3)} s of commits`] : []),
    ...(r.notes ?? []).map((n) => `note: ${n}`),
    ...(r.approvedBy ? [`approved by ${r.approvedBy}`] : []),
    ...r.tables.map(describeRecoveredTable),
    r.tables.some((t) => t.keptAs === undefined)
      ? 'the live tables were not touched; compare, then copy back the rows you need (INSERT ... SELECT)'
      : "foreign keys, owner and grants are the live table's; its sequences go on after the highest value handed out",
    ...(r.evidence ? [`report: ${r.evidence.markdown} (and .json)`] : []),
  ].join('\n');
}
