/**
 * Point-in-time recovery from the CLI: `pgwarden basebackup` takes a base backup of a server
 * in WAL_ARCHIVE; `pgwarden restore --pitr --to ...` brings it back into a new instance on the
 * worker's host; `pgwarden pitr mark NAME` makes a restore point it can go to by name;
 * `pgwarden pitr stop --data-dir DIR` stops an instance a restore left running; `pgwarden pitr
 * list` shows what the archive can reach and `pitr points` the restore points.
 */
import { cliTime, columns } from '../columns';
import type { PitrRestoreResult } from '../../../../activities/pitr';
import { Config } from '../../../infra/config/config';
import { UsageError } from '../../../infra/errors/errors';
import { hostQueueInput } from '../../../infra/config/wal';
import { formatBytes } from '../../../operations/backup/progress';
import { baseBackupIdProblem, baseBackupStoredBytes, type BaseBackupManifest } from '../../../operations/pitr/base-backup';
import { ListedRestorePoint, restorePointNameProblem } from '../../../operations/pitr/restore-points';
import { parseTarget } from '../../../operations/pitr/target';
import type { MarkedRestorePoint } from '../../../../activities/restore-points';
import type { PitrArchiveListing } from '../../../../activities/pitr-archive';
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
  options: { server?: string; reason?: string; full?: boolean; json?: boolean },
): Promise<void> {
  const config = ctx.config();
  const server = pickServer(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'baseBackup',
      operation: 'base-backup',
      database: server,
      args: [
        {
          server,
          reason: options.reason ?? 'manual',
          ...(options.full ? { full: true } : {}),
          ...hostQueueInput(config, server),
        },
      ],
      summary: `Base backup of ${server}`,
    });
    if (!options.json) announce(`taking a base backup of ${server}`, run);
    const m: BaseBackupManifest = await run.handle.result();
    process.stdout.write(options.json ? JSON.stringify(m, null, 2) + '\n' : formatBaseBackup(m));
  });
}

/** What `pgwarden basebackup` says: the copy, and whether it is incremental (on what) or full (and why, when incrementals were asked for). */
export function formatBaseBackup(m: BaseBackupManifest): string {
  const kind = m.incremental
    ? `incremental on ${m.incremental.parent} (chain of ${m.incremental.chain.length + 1} from the full ${m.incremental.chain[0]}), `
    : m.fullBecause
      ? `full (${m.fullBecause}), `
      : '';
  return `${m.backupId}: ${kind}${formatBytes(baseBackupStoredBytes(m))} stored${m.tablespaces?.length ? ` (with ${m.tablespaces.length} tablespace(s) besides the main one)` : ''}, WAL from ${m.start.lsn} (${m.start.walFile}) to ${m.stop.lsn}, in ${(m.durationMs / 1000).toFixed(1)} s\n`;
}

export async function runPitrRestore(
  ctx: CommandContext,
  options: {
    server?: string;
    to?: string;
    toLsn?: string;
    toName?: string;
    base?: string;
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
  const baseProblem = options.base === undefined ? undefined : baseBackupIdProblem(options.base);
  if (baseProblem) throw new UsageError(baseProblem);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'pitrRestore',
      operation: 'pitr-restore',
      database: server,
      args: [
        {
          server,
          target,
          ...(options.base ? { baseBackupId: options.base } : {}),
          port,
          dataDir: options.dataDir,
          stopAfter: options.stopAfter,
          ...hostQueueInput(config, server),
        },
      ],
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
    `unpacked in ${s(p.unpackMs)}${p.combineMs !== undefined ? ` (pg_combinebackup ${s(p.combineMs)} of it)` : ''}`,
    ...(p.walFetchMs !== null ? [`WAL fetched in ${s(p.walFetchMs)} beside it`] : []),
    `recovery to promotion ${s(p.recoveryMs)}`,
  ].join(', ');
}

export function formatPitr(r: PitrRestoreResult): string {
  return [
    `recovered ${r.server} from ${r.baseBackupId} to ${r.target}`,
    ...(r.notes ?? []).map((n) => `note: ${n}`),
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

/**
 * Reads the server's point-in-time archive on a worker (PitrListWorkflow) and prints it as
 * `show` says: pitr list, pitr points.
 */
async function showPitrListing(
  ctx: CommandContext,
  options: { server?: string },
  show: (listing: PitrArchiveListing, server: string) => string,
): Promise<void> {
  const config = ctx.config();
  const server = pickServer(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    const { handle } = await startRun(client, config, {
      workflow: 'pitrList',
      operation: 'list',
      database: server,
      args: [{ server }],
      uniqueId: true,
    });
    process.stdout.write(show(await handle.result(), server) + '\n');
  });
}

export function runPitrPoints(ctx: CommandContext, options: { server?: string; json?: boolean }): Promise<void> {
  return showPitrListing(ctx, options, (listing, server) => {
    // Older workers' listings have none.
    const points = listing.restorePoints ?? [];
    return options.json ? JSON.stringify(points, null, 2) : formatPoints(server, points);
  });
}

export function runPitrList(ctx: CommandContext, options: { server?: string; json?: boolean }): Promise<void> {
  return showPitrListing(ctx, options, (listing) =>
    options.json ? JSON.stringify(listing, null, 2) : formatPitrListing(listing),
  );
}

export function formatPoints(server: string, points: ListedRestorePoint[]): string {
  if (!points.length) return `no restore points of ${server} are recorded: make one with pgwarden pitr mark NAME`;
  const rows = points.map((p) => [p.name, cliTime(p.createdAt), p.lsn, p.fromBaseBackup ?? `not reachable: ${p.unreachable}`]);
  return columns(['RESTORE POINT', 'MADE (UTC)', 'LSN', 'RESTORE STARTS FROM'], rows);
}

/** pitr list: the base backups, newest first, then the window and what the daily check would say. */
export function formatPitrListing(l: PitrArchiveListing): string {
  const lines: string[] = [];
  if (l.baseBackups.length)
    lines.push(
      columns(
        ['BASE BACKUP', 'FINISHED (UTC)', 'SIZE', 'TIMELINE', 'WAL FROM', 'VERIFIED', 'RECOVERS UP TO'],
        l.baseBackups.map((b) => [
          b.backupId,
          cliTime(b.finishedAt),
          `${formatBytes(b.storedBytes)}${b.tablespaces ? ` (${b.tablespaces + 1} tablespaces)` : ''}${b.incrementalOn ? ` (incremental on ${b.incrementalOn})` : ''}`,
          String(b.timeline),
          b.startLsn,
          b.verification
            ? `${b.verification.status === 'passed' ? 'passed' : 'FAILED'} ${b.verification.verifiedAt.slice(0, 10)}`
            : 'no',
          b.firstMissing ? `${b.reachesLsn} (${b.firstMissing} is missing)` : 'the newest WAL archived',
        ]),
      ),
    );
  const wal = l.archivedUpTo
    ? `WAL archived up to ${l.archivedUpTo} (${l.walSegments} complete segment${l.walSegments === 1 ? '' : 's'})`
    : 'no WAL archived yet (pgwarden wal start)';
  if (l.window) {
    const to = l.window.to ? cliTime(l.window.to) : `LSN ${l.window.toLsn}`;
    lines.push(`point in time: from ${cliTime(l.window.from)} (${l.window.fromBackup}) to ${to}; ${wal}`);
    lines.push('restore with pgwarden restore --pitr --to TIME, --to-lsn LSN or --to-name POINT (pgwarden pitr points)');
  } else lines.push(wal);
  const points = l.restorePoints ?? [];
  if (points.length)
    lines.push(
      `restore points: ${points.length} recorded, the newest "${points[0].name}" made ${cliTime(points[0].createdAt)} (pgwarden pitr points)`,
    );
  const read = l.walReadBack;
  if (read && l.walSegments)
    lines.push(
      read.upTo
        ? `WAL read back by verify up to ${read.upTo} (${cliTime(read.checkedAt!)})${read.pending ? `; ${read.pending} segment(s) archived since, read by the next pgwarden verify` : ''}${read.lastFullPassAt ? `; every segment read since ${cliTime(read.lastFullPassAt)}` : ''}`
        : `WAL not read back yet: pgwarden verify reads the ${read.pending} archived segment(s) back`,
    );
  if (read?.reread && l.walSegments)
    lines.push(
      `WAL read again: the pass begun ${cliTime(read.reread.startedAt)} has ${read.reread.left} segment(s) left, read by the next pgwarden verify`,
    );
  if (read?.failed?.length)
    lines.push(
      `problem: ${read.failed.length} archived WAL segment(s) failed their read-back (${read.failed.join(', ')}): a recovery through them stops there; pgwarden verify names what is wrong, and reads them again until they pass`,
    );
  const unverified = l.baseBackups.filter((b) => !b.verification).length;
  if (unverified)
    lines.push(
      `${unverified === 1 ? '1 base backup was' : `${unverified} base backups were`} never verified: pgwarden verify --all-unverified (or --base BASE_ID)`,
    );
  for (const p of l.problems) lines.push(`problem: ${p}`);
  for (const n of l.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
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
