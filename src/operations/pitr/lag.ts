/**
 * How far the WAL archive is behind, and when that becomes an alert: the RPO you can see.
 *
 * The lag is the age of the oldest WAL the server has written that the bucket does not hold.
 * WAL carries no clock, so the archiver samples the server's write position every few
 * seconds; the lag is "now" minus the last moment the archive held everything sampled until
 * then (an upper bound, off by at most one sampling interval). An idle server has no lag,
 * however old its last commit. When the archiver cannot sample at all (server or worker
 * down), the time since it last could is what counts.
 *
 * The state survives a retried round and the next round (heartbeats, the round's result), so
 * an outage is measured from its start, and alerts once when it starts and once when it ends.
 */
import { formatBytes } from '../backup/progress';
import { ArchiverWatch, type ArchiverWatchState } from './archiver';

export interface PositionSample {
  /** Milliseconds since the epoch. */
  at: number;
  /** The server's WAL write position then, as a decimal string (JSON has no bigint). */
  lsn: string;
}

export interface LagWatchState {
  /** Samples the archive is still behind, oldest first. */
  pending: PositionSample[];
  /** The last moment the archive held all WAL sampled before it. */
  completeAt?: number;
  /** The last moment the archiver was streaming and could sample. */
  runningAt?: number;
  /** An alert went out and no all-clear since. */
  alerting: boolean;
  /** PostgreSQL's own archiver beside streaming, watched alongside (archiver.ts). */
  archiver?: ArchiverWatchState;
}

export interface LagLimits {
  /** WAL_MAX_LAG_SECONDS */
  maxLagSeconds: number;
  /** WAL_MAX_RETAINED_MB, in bytes: WAL the slot holds on the server's disk. */
  maxRetainedBytes: number;
}

export interface LagReading {
  lagSeconds: number;
  /** WAL the server keeps for pgwarden's slot; null when it could not be read. */
  retainedBytes: number | null;
  /** What is over its limit, one phrase each; empty when all is well. */
  problems: string[];
  /** Alert once when a problem starts, say so once when it ends. */
  send?: 'alert' | 'resolved';
}

/** Enough samples to place any archive position within a few seconds, whatever the outage's length. */
const MAX_PENDING = 200;

export class LagWatch {
  private state: Omit<LagWatchState, 'archiver'>;
  /** Carried with the lag's state, so both survive retries and rounds together. */
  readonly archiver: ArchiverWatch;

  constructor(
    private readonly limits: LagLimits,
    carried?: LagWatchState,
  ) {
    const { archiver, ...lag } = carried ?? { pending: [], alerting: false };
    this.state = { ...lag, pending: [...lag.pending] };
    this.archiver = new ArchiverWatch(limits.maxLagSeconds, archiver);
  }

  get snapshot(): LagWatchState {
    // Only once there is something to carry: the state travels in every heartbeat and round.
    return {
      ...this.state,
      pending: [...this.state.pending],
      ...(this.archiver.idle ? {} : { archiver: this.archiver.snapshot }),
    };
  }

  /** The server was at `serverLsn` at `at`; the archive holds WAL up to `archived`. */
  sample(at: number, serverLsn: bigint, archived: bigint, retainedBytes: number | null): LagReading {
    const s = this.state;
    s.pending.push({ at, lsn: serverLsn.toString() });
    const caught = s.pending.filter((p) => BigInt(p.lsn) <= archived);
    s.pending = s.pending.filter((p) => BigInt(p.lsn) > archived);
    if (caught.length) s.completeAt = Math.max(s.completeAt ?? 0, caught[caught.length - 1].at);
    if (s.completeAt === undefined) s.completeAt = at;
    s.runningAt = at;
    s.pending = thin(s.pending);
    const lagSeconds = s.pending.length ? Math.max(0, (at - s.completeAt) / 1000) : 0;
    const problems = [];
    if (lagSeconds > this.limits.maxLagSeconds)
      problems.push(
        `the archive is ${Math.round(lagSeconds)} s behind the server (WAL_MAX_LAG_SECONDS=${this.limits.maxLagSeconds})`,
      );
    if (retainedBytes !== null && retainedBytes > this.limits.maxRetainedBytes)
      problems.push(
        `the replication slot holds ${formatBytes(retainedBytes)} of WAL on the server's disk (WAL_MAX_RETAINED_MB=${Math.round(this.limits.maxRetainedBytes / 1048576)})`,
      );
    return this.step({ lagSeconds, retainedBytes, problems });
  }

  /** The archiver could not stream or sample at `at` (server, S3 or worker unreachable), for `reason`. */
  notRunning(at: number, reason: string): LagReading {
    const s = this.state;
    s.runningAt ??= at;
    s.completeAt ??= at;
    const downSeconds = (at - s.runningAt) / 1000;
    const lagSeconds = Math.max(0, (at - (s.pending.length ? s.completeAt : s.runningAt)) / 1000);
    const problems =
      downSeconds > this.limits.maxLagSeconds
        ? [
            `archiving has been failing for ${Math.round(downSeconds)} s (WAL_MAX_LAG_SECONDS=${this.limits.maxLagSeconds}): ${reason}`,
          ]
        : [];
    // An outage shorter than the limit neither alerts nor ends an alert: nothing is known to be well.
    if (!problems.length) return { lagSeconds, retainedBytes: null, problems };
    return this.step({ lagSeconds, retainedBytes: null, problems });
  }

  private step(r: Omit<LagReading, 'send'>): LagReading {
    if (r.problems.length && !this.state.alerting) {
      this.state.alerting = true;
      return { ...r, send: 'alert' };
    }
    if (!r.problems.length && this.state.alerting) {
      this.state.alerting = false;
      return { ...r, send: 'resolved' };
    }
    return r;
  }
}

/**
 * Keeps about half of the samples, evenly spread in time, when there are too many (samples
 * arrive evenly but the old ones were thinned before). The first and last stay, so the lag
 * stays an upper bound, off by at most the spacing.
 */
function thin(pending: PositionSample[]): PositionSample[] {
  if (pending.length <= MAX_PENDING) return pending;
  const spacing = (pending[pending.length - 1].at - pending[0].at) / (MAX_PENDING / 2);
  const kept = [pending[0]];
  for (const p of pending.slice(1, -1)) if (p.at - kept[kept.length - 1].at >= spacing) kept.push(p);
  kept.push(pending[pending.length - 1]);
  return kept;
}

/**
 * The daily check's look at the archive, from outside the archiver: the server's WAL position
 * against how far the bucket holds WAL, and when the bucket last received any. Behind and
 * unchanged for longer than WAL_MAX_LAG_SECONDS means archiving is not keeping up (or not
 * running); an idle server whose WAL is all stored is fine however old its last file.
 */
export function dailyLagProblems(input: {
  server: string;
  /** The server's WAL write position; null when it could not be read (a standby). */
  serverLsn: bigint | null;
  /** How far the bucket holds WAL: the newest completed segment's end, or the open segment's copy. */
  archivedLsn: bigint | null;
  /** When the newest WAL object was stored, in ms; null for none. */
  newestStoredAt: number | null;
  retainedBytes: number | null;
  now: number;
  limits: LagLimits;
  /** WAL_ARCHIVE_COMMAND_ONLY: the server's archive_command sends the WAL, so that is where to look. */
  archiveCommandOnly?: boolean;
}): string[] {
  const problems: string[] = [];
  const { server, serverLsn, archivedLsn, limits } = input;
  const behind = serverLsn !== null && (archivedLsn === null || serverLsn > archivedLsn);
  const stillFor = input.newestStoredAt === null ? null : Math.max(0, (input.now - input.newestStoredAt) / 1000);
  if (behind && (stillFor === null || stillFor > limits.maxLagSeconds))
    problems.push(
      `the WAL archive of ${server} is ${archivedLsn === null ? 'empty' : `${formatBytes(Number(serverLsn - archivedLsn))} behind the server`}` +
        `${stillFor === null ? '' : ` and has not grown for ${Math.round(stillFor)} s`} (WAL_MAX_LAG_SECONDS=${limits.maxLagSeconds}): ${
          input.archiveCommandOnly
            ? "is the server's archive_command archiving? (pg_stat_archiver and the server's log; on a quiet server, archive_timeout)"
            : 'is archiving running? (pgwarden wal status; pgwarden wal start)'
        }`,
    );
  if (input.retainedBytes !== null && input.retainedBytes > limits.maxRetainedBytes)
    problems.push(
      `the replication slot of ${server} holds ${formatBytes(input.retainedBytes)} of WAL on the server's disk (WAL_MAX_RETAINED_MB=${Math.round(limits.maxRetainedBytes / 1048576)}): the archive is not taking it`,
    );
  return problems;
}
