/**
 * PostgreSQL's own archiver (an archive_command such as `pgwarden wal push`, beside streaming
 * or alone), judged from pg_stat_archiver. A failing command is retried for ever on the same
 * file, and the server keeps that WAL and all after it on its disk: no slot bounds pg_wal
 * then, so the disk fills. pg_stat_archiver keeps only the last failure and the last success,
 * so a failure newer than the last success means nothing has been archived since.
 *
 * Two readers: the daily check looks once, with the age of the archiver's backlog
 * (archiverProblems); the archiving round's watchdog, streaming or watching, samples every few
 * seconds and alerts once when a failure has lasted WAL_MAX_LAG_SECONDS, and once when the
 * command archives again (ArchiverWatch).
 */
import type { ArchiveBacklog, ArchiverStats } from '../../infra/postgres/archiver-stats';

type Trouble = { kind: 'failing'; wal: string | null; failedAt: number } | { kind: 'unconfigured' };

/** What is wrong with the archiver now, if anything. */
function trouble(s: ArchiverStats): Trouble | undefined {
  if (s.archiveMode === 'off') return undefined;
  if (s.configured === false) return { kind: 'unconfigured' };
  if (s.lastFailedAt === null) return undefined;
  if (s.lastArchivedAt !== null && s.lastArchivedAt >= s.lastFailedAt) return undefined;
  return { kind: 'failing', wal: s.lastFailedWal, failedAt: s.lastFailedAt };
}

const KEEPS_WAL = 'the server keeps that WAL and all after it on its disk until the command succeeds';
const UNCONFIGURED = (server: string) =>
  `archive_mode is on for ${server} but neither archive_command nor archive_library is set: the server keeps every WAL file on its disk; ` +
  `set archive_command (pgwarden wal push %p --server ${server}, see the README); where streaming alone archives the server, archive_mode = off (a restart) ends the keeping`;

/**
 * The daily check's look: one phrase per problem, none when the archiver is well or off. One
 * look cannot tell how long a failure has lasted, so the archiver's backlog does: PostgreSQL
 * retries a failed file within a minute, and a failure mended by then is not worth a problem
 * (the watchdog, sampling, alerts on one that lasts WAL_MAX_LAG_SECONDS). Without the backlog
 * (the role may not list it) every failure since the last success is named.
 */
export function archiverProblems(
  input: ArchiverStats & { server: string; backlog: ArchiveBacklog | undefined; limitSeconds: number },
): string[] {
  const t = trouble(input);
  if (!t) return [];
  if (t.kind === 'unconfigured') return [UNCONFIGURED(input.server)];
  const { backlog, limitSeconds } = input;
  const waited = backlog?.oldestSeconds;
  // Nothing waits (the server keeps nothing for it), or not for long (PostgreSQL still retries).
  if (backlog && (waited === null || waited === undefined || waited <= limitSeconds)) return [];
  const failed = `PostgreSQL's archive_command on ${input.server} failed on ${t.wal ?? 'a WAL file'} at ${new Date(t.failedAt).toISOString()} and has archived nothing since`;
  if (!backlog)
    return [
      `${failed}; ${KEEPS_WAL}: the server's log says why (grant pg_monitor to the backup user and this check names only failures that last past WAL_MAX_LAG_SECONDS)`,
    ];
  return [
    `${failed}, with ${backlog.files} WAL file${backlog.files === 1 ? '' : 's'} waiting, the oldest for ${Math.round(waited ?? 0)} s ` +
      `(WAL_MAX_LAG_SECONDS=${limitSeconds}); ${KEEPS_WAL}: the server's log says why`,
  ];
}

export interface ArchiverWatchState {
  /** When the watchdog first saw the current trouble, by the worker's clock. */
  troubleSince?: number;
  /** pg_stat_archiver's last success then: a newer one ends the trouble, even if another failure follows. */
  archivedAt?: number | null;
  /** An alert went out and no all-clear since. */
  alerting: boolean;
}

export interface ArchiverReading {
  /** Set when the trouble has lasted longer than the limit. */
  problem?: string;
  /** The file PostgreSQL keeps failing on, when known. */
  wal?: string;
  troubleSeconds: number;
  /** Alert once when the trouble has lasted the limit, say so once when it ends. */
  send?: 'alert' | 'resolved';
}

export class ArchiverWatch {
  private state: ArchiverWatchState;

  constructor(
    /** WAL_MAX_LAG_SECONDS: a failure the archiver's own retries mend sooner is not worth a page. */
    private readonly limitSeconds: number,
    carried?: ArchiverWatchState,
  ) {
    this.state = carried ? { ...carried } : { alerting: false };
  }

  get snapshot(): ArchiverWatchState {
    return { ...this.state };
  }

  /** Nothing to carry to the next round: no trouble seen and no alert out. */
  get idle(): boolean {
    return this.state.troubleSince === undefined && !this.state.alerting;
  }

  /**
   * pg_stat_archiver read at `at` (the worker's clock). Durations are measured by the worker's
   * clock alone: the server's timestamps only tell whether anything was archived since.
   */
  sample(at: number, stats: ArchiverStats, server: string): ArchiverReading {
    const s = this.state;
    const t = trouble(stats);
    if (!t) {
      const send = s.alerting ? 'resolved' : undefined;
      this.state = { alerting: false };
      return { troubleSeconds: 0, send };
    }
    // A success since the trouble was first seen: the command works, this is a new failure.
    if (s.troubleSince === undefined || stats.lastArchivedAt !== s.archivedAt) {
      s.troubleSince = at;
      s.archivedAt = stats.lastArchivedAt;
    }
    const troubleSeconds = Math.max(0, (at - s.troubleSince) / 1000);
    const wal = t.kind === 'failing' ? (t.wal ?? undefined) : undefined;
    if (troubleSeconds <= this.limitSeconds) return { troubleSeconds, wal };
    const problem =
      t.kind === 'unconfigured'
        ? UNCONFIGURED(server)
        : `PostgreSQL's archive_command on ${server} has been failing on ${t.wal ?? 'a WAL file'} for ${Math.round(troubleSeconds)} s ` +
          `(WAL_MAX_LAG_SECONDS=${this.limitSeconds}); ${KEEPS_WAL}`;
    const send = s.alerting ? undefined : 'alert';
    s.alerting = true;
    return { troubleSeconds, wal, problem, send };
  }
}

/**
 * With archive_command alone, the segment being written reaches the bucket only when it
 * completes or archive_timeout forces a switch: on a quiet server archive_timeout is the RPO,
 * and the watchdog alerts once it passes WAL_MAX_LAG_SECONDS. Said where it would, not refused:
 * a busy server fills its segments sooner anyway.
 */
export function archiveTimeoutNote(archiveTimeoutSeconds: number, maxLagSeconds: number): string | undefined {
  const advice = `set archive_timeout to at most half of WAL_MAX_LAG_SECONDS=${maxLagSeconds} (each forced switch stores one more segment, mostly empty and compressed), or raise both`;
  if (archiveTimeoutSeconds === 0)
    return `archive_timeout is off: on a quiet server the newest WAL waits in pg_wal until its segment fills, and the watchdog alerts after WAL_MAX_LAG_SECONDS; ${advice}`;
  if (archiveTimeoutSeconds * 2 > maxLagSeconds)
    return `archive_timeout (${archiveTimeoutSeconds} s) leaves a quiet server's archive up to that far behind, close to or past WAL_MAX_LAG_SECONDS, where the watchdog alerts; ${advice}`;
  return undefined;
}
