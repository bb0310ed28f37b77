/**
 * Point-in-time recovery from the CLI: `pgwarden basebackup` takes a base backup of a server
 * in WAL_ARCHIVE; `pgwarden restore --pitr --to ...` brings it back into a new instance on the
 * worker's host; `pgwarden pitr mark NAME` makes a restore point it can go to by name;
 * `pgwarden pitr stop --data-dir DIR` stops an instance a restore left running.
 */
import { columns } from '../columns';
import type { PitrRestoreResult } from '../../../../activities/pitr';
import { Config } from '../../../infra/config/config';
import { UsageError } from '../../../infra/errors/errors';
import { hostQueueInput } from '../../../infra/config/wal';
import { formatBytes } from '../../../operations/backup/progress';
import type { BaseBackupManifest } from '../../../operations/pitr/base-backup';
import { ListedRestorePoint, restorePointNameProblem } from '../../../operations/pitr/restore-points';
import type { RecoveryOptions } from '../../../../workflows/list-backups';
import { parseTarget } from '../../../operations/pitr/target';
import type { MarkedRestorePoint } from '../../../../activities/restore-points';
import { CommandContext } from '../context';
import { announce, startRun } from '../start-run';
import { walServers } from './wal';
import { shellWord } from '../shell-word';

/** The server of WAL_ARCHIVE a command is about: the one given, or the only one. */
export function pickServer(config: Config, given?: string): string {
  const servers = walServers(config, given);
  if (servers.length > 1) throw new UsageError(`several servers are archived (${servers.join(', ')}); pass --server ID`);
  return servers[0];
}

export async function runBaseBackup(
  ctx: CommandContext,
  options: { server?: string; reason?: string; json?: boolean },
): Promise<void> {
  const config = ctx.config();
  const server = pickServer(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'baseBackup',
      operation: 'base-backup',
      database: server,
      args: [{ server, reason: options.reason ?? 'manual', ...hostQueueInput(config, server) }],
      summary: `Base backup of ${server}`,
    });
    if (!options.json) announce(`taking a base backup of ${server}`, run);
    const m: BaseBackupManifest = await run.handle.result();
    process.stdout.write(
      options.json
        ? JSON.stringify(m, null, 2) + '\n'
        : `${m.backupId}: ${formatBytes(m.data.storedBytes)} stored, WAL from ${m.start.lsn} (${m.start.walFile}) to ${m.stop.lsn}, in ${(m.durationMs / 1000).toFixed(1)} s\n`,
    );
  });
}

export async function runPitrRestore(
  ctx: CommandContext,
  options: {
    server?: string;
    to?: string;
    toLsn?: string;
    toName?: string;
    port?: string;
    dataDir?: string;
    stopAfter?: boolean;
    json?: boolean;
  },
): Promise<void> {
  const config = ctx.config();
  const server = pickServer(config, options.server);
  const target = parseTarget(options);
  if ('problem' in target) throw new UsageError(target.problem);
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    throw new UsageError(`--port ${options.port}: expected a port number from 1 to 65535`);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'pitrRestore',
      operation: 'pitr-restore',
      database: server,
      args: [{ server, target, port, dataDir: options.dataDir, stopAfter: options.stopAfter, ...hostQueueInput(config, server) }],
      summary: `Point-in-time restore of ${server}`,
    });
    if (!options.json) announce(`restoring ${server} to a point in time into a new instance`, run);
    const r: PitrRestoreResult = await run.handle.result();
    process.stdout.write(options.json ? JSON.stringify(r, null, 2) + '\n' : formatPitr(r) + '\n');
  });
}

/** "unpacked in 3.1 s, WAL fetched in 5.2 s beside it, recovery to promotion 6.0 s". */
export function describePhases(p: NonNullable<PitrRestoreResult['phases']>): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `unpacked in ${s(p.unpackMs)}`,
    ...(p.walFetchMs !== null ? [`WAL fetched in ${s(p.walFetchMs)} beside it`] : []),
    `recovery to promotion ${s(p.recoveryMs)}`,
  ].join(', ');
}

export function formatPitr(r: PitrRestoreResult): string {
  return [
    `recovered ${r.server} from ${r.baseBackupId} to ${r.target}`,
    `last transaction replayed: ${r.recoveredTo.commitTime ?? 'none after the base backup'} (LSN ${r.recoveredTo.lsn}); now on timeline ${r.recoveredTo.timeline}`,
    ...(r.lossSeconds !== null ? [`not recovered before the target: at most ${r.lossSeconds.toFixed(3)} s of commits`] : []),
    `WAL replayed from the archive: ${r.walSegments} file(s), ${formatBytes(r.walBytes)}, in ${(r.durationMs / 1000).toFixed(1)} s${r.phases ? ` (${describePhases(r.phases)})` : ''}`,
    r.connection
      ? `running: ${r.connection} (the server's own users and passwords); stop it with pgwarden pitr stop --server ${r.server} --data-dir ${r.dataDir}`
      : `stopped; its data directory: ${r.dataDir}`,
    ...(r.evidence ? [`report: ${r.evidence.markdown} (and .json)`] : []),
  ].join('\n');
}

export async function runPitrMark(
  ctx: CommandContext,
  name: string,
  options: { server?: string; json?: boolean },
): Promise<void> {
  const problem = restorePointNameProblem(name);
  if (problem) throw new UsageError(problem);
  const config = ctx.config();
  const server = pickServer(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'restorePoint',
      operation: 'restore-point',
      database: server,
      uniqueId: true,
      args: [{ server, name }],
      summary: `Restore point ${name} on ${server}`,
    });
    if (!options.json) announce(`making restore point "${name}" on ${server}`, run);
    const p: MarkedRestorePoint = await run.handle.result();
    process.stdout.write(
      options.json
        ? JSON.stringify(p, null, 2) + '\n'
        : `restore point "${p.name}" made on ${p.server} at ${p.createdAt} (LSN ${p.lsn}) and archived; go back to it with pgwarden restore --pitr --to-name ${shellWord(p.name)}\n`,
    );
  });
}

export async function runPitrPoints(ctx: CommandContext, options: { server?: string; json?: boolean }): Promise<void> {
  const config = ctx.config();
  const server = pickServer(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    const { handle } = await startRun(client, config, {
      workflow: 'recoveryOptions',
      operation: 'list',
      database: server,
      args: [{ database: server }],
      uniqueId: true,
    });
    const points = ((await handle.result()) as RecoveryOptions).restorePoints ?? [];
    process.stdout.write(options.json ? JSON.stringify(points, null, 2) + '\n' : formatPoints(server, points) + '\n');
  });
}

export function formatPoints(server: string, points: ListedRestorePoint[]): string {
  if (!points.length) return `no restore points of ${server} are recorded: make one with pgwarden pitr mark NAME`;
  const rows = points.map((p) => [
    p.name,
    p.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    p.lsn,
    p.fromBaseBackup ?? `not reachable: ${p.unreachable}`,
  ]);
  return columns(['RESTORE POINT', 'MADE (UTC)', 'LSN', 'RESTORE STARTS FROM'], rows);
}

export async function runPitrStop(ctx: CommandContext, options: { dataDir: string; server?: string }): Promise<void> {
  const config = ctx.config();
  const server = pickServer(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'pitrStop',
      operation: 'pitr-stop',
      database: server,
      uniqueId: true,
      args: [{ dataDir: options.dataDir, ...hostQueueInput(config, server) }],
    });
    await run.handle.result();
    process.stdout.write(`stopped the instance in ${options.dataDir}; the data directory stays\n`);
  });
}
