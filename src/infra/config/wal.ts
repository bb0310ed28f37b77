/**
 * Continuous WAL archiving (point-in-time recovery): which servers, and how closely.
 *
 * - `WAL_ARCHIVE=shop,billing`: archive the WAL of the server each named database is on; the
 *   server is known by that id in S3 keys (`<prefix>/<id>/wal/`), workflow ids and the CLI.
 * - `WAL_ARCHIVE_COMMAND_ONLY=billing`: servers of WAL_ARCHIVE whose WAL reaches the bucket only
 *   through their own archive_command (`pgwarden wal push`): nothing streams and no slot is
 *   kept; archiving rounds watch the server's archiver and the bucket instead.
 * - `WAL_PARTIAL_UPLOAD_SECONDS`: how often the segment being written is shipped as it stands;
 *   `WAL_PARTIAL_UPLOAD_KB`: sooner (every second at most) while that much WAL is not in S3 yet.
 * - `WAL_SYNCHRONOUS`: pg_receivewal --synchronous (flush and report every write), for a
 *   synchronous_standby_names quorum that makes commits wait for the archiver.
 * - `WAL_MAX_LAG_SECONDS`, `WAL_MAX_RETAINED_MB`: the watchdog alerts when the archive is further
 *   behind, or the slot holds more WAL on the server's disk, or archiving has not run for longer.
 * - `BASEBACKUP_INCREMENTALS`: incremental base backups after each full one (PostgreSQL 17+ with
 *   summarize_wal on); 0, the default, takes every base backup full.
 * - `BASEBACKUP_SPOOL_MB`: how much of a base backup copied through a spool (a server with
 *   tablespaces, or incrementals on) the worker's disk holds at once; pg_basebackup waits while
 *   the upload catches up.
 * - `TASK_QUEUE_<SERVER>`: the task queue of the worker on that server's host. Work that needs
 *   the host (archiving, base backups, a point-in-time restore and the instance it leaves
 *   running) goes there; everything else stays on PGWARDEN_TASK_QUEUE. Default: that queue.
 * - `PGWARDEN_WORKER_SERVES`: the servers whose host queues this worker polls (default all, or
 *   `none`), so in a fleet each host's worker serves only its own server.
 */
import { EnvReader } from './env-reader';

export interface WalSettings {
  /** Database ids whose servers are archived. */
  servers: string[];
  /** Those of them archived only by their archive_command: no streaming, no slot. */
  archiveCommandOnly: string[];
  partialUploadSeconds: number;
  /** Unshipped WAL that ships the open segment before the interval is up (0: never sooner). */
  partialUploadBytes: number;
  synchronous: boolean;
  maxLagSeconds: number;
  maxRetainedBytes: number;
  /** Incremental base backups (PostgreSQL 17+) after each full one; 0: every base backup is full. */
  baseBackupIncrementals: number;
  /** The spool a base backup is copied through (tablespaces, incrementals) holds at most about this much at once. */
  baseBackupSpoolBytes: number;
  /** The task queue of each server's host (TASK_QUEUE_<SERVER>, else the main queue). */
  hostQueues: Record<string, string>;
  /** Servers whose host queues a worker started with this configuration polls. */
  workerServes: string[];
}

/** How a server's WAL reaches the bucket: streamed by the worker, or sent by its own archive_command alone (WAL_ARCHIVE_COMMAND_ONLY). */
export const walArrivesVia = (wal: WalSettings, server: string): 'streaming' | 'archive_command' =>
  wal.archiveCommandOnly.includes(server) ? 'archive_command' : 'streaming';

/** TASK_QUEUE_SHOP for server "shop", TASK_QUEUE_ORDERS_EU for "orders-eu". */
export const hostQueueVariable = (server: string) => `TASK_QUEUE_${server.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export function readWal(r: EnvReader, databaseIds: string[], mainQueue: string): WalSettings {
  const servers = r.list('WAL_ARCHIVE');
  for (const id of servers)
    if (!databaseIds.includes(id))
      r.problem(
        'WAL_ARCHIVE',
        `"${id}" is not a configured database (${databaseIds.join(', ') || 'none'}); name a database on each server to archive`,
      );
  const hostQueues: Record<string, string> = {};
  for (const id of servers) hostQueues[id] = r.string(hostQueueVariable(id), mainQueue);
  const serves = r.list('PGWARDEN_WORKER_SERVES');
  const workerServes = !r.has('PGWARDEN_WORKER_SERVES') ? servers : serves.join() === 'none' ? [] : serves;
  for (const id of workerServes)
    if (!servers.includes(id))
      r.problem(
        'PGWARDEN_WORKER_SERVES',
        `"${id}" is not in WAL_ARCHIVE (${servers.join(', ') || 'empty'}); name archived servers, or none`,
      );
  const archiveCommandOnly = r.list('WAL_ARCHIVE_COMMAND_ONLY');
  for (const id of archiveCommandOnly)
    if (!servers.includes(id))
      r.problem(
        'WAL_ARCHIVE_COMMAND_ONLY',
        `"${id}" is not in WAL_ARCHIVE (${servers.join(', ') || 'empty'}); name archived servers whose archive_command alone sends their WAL`,
      );
  return {
    servers,
    archiveCommandOnly,
    hostQueues,
    workerServes,
    partialUploadSeconds: r.integer('WAL_PARTIAL_UPLOAD_SECONDS', 5, { min: 1, max: 3600 }),
    partialUploadBytes: r.integer('WAL_PARTIAL_UPLOAD_KB', 64, { min: 0, max: 16 * 1024 }) * 1024,
    synchronous: r.boolean('WAL_SYNCHRONOUS', false),
    maxLagSeconds: r.integer('WAL_MAX_LAG_SECONDS', 60, { min: 1, max: 7 * 86400 }),
    maxRetainedBytes: r.integer('WAL_MAX_RETAINED_MB', 10240, { min: 1, max: 100 * 1024 * 1024 }) * 1048576,
    baseBackupIncrementals: r.integer('BASEBACKUP_INCREMENTALS', 0, { min: 0, max: 1000 }),
    baseBackupSpoolBytes: r.integer('BASEBACKUP_SPOOL_MB', 512, { min: 16, max: 1024 * 1024 }) * 1048576,
  };
}

/**
 * What a run about `server` carries so its host-bound work reaches the server's host: nothing
 * when that is the main queue, so runs and schedules look as they did before host queues.
 */
export function hostQueueInput(
  config: { wal: WalSettings; temporal: { taskQueue: string } },
  server: string,
): { hostQueue?: string } {
  const queue = config.wal.hostQueues[server];
  return queue && queue !== config.temporal.taskQueue ? { hostQueue: queue } : {};
}
