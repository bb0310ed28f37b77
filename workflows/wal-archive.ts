/**
 * WalArchiveWorkflow: continuous WAL archiving of one server, supervised by Temporal, not
 * carried by it. The WAL never passes through Temporal: each round is one long activity
 * (pg_receivewal into S3, see activities/wal-archive.ts) that heartbeats the newest segment
 * stored. A dead worker's round is retried on another worker within the heartbeat timeout,
 * from the archive and the replication slot, without a gap. After a few rounds the workflow
 * continues as new, so its history stays small however long it runs. Cancelling it (pgwarden
 * wal stop) ends the round cleanly: pg_receivewal stops and the open segment is shipped.
 *
 * The watchdog: the round itself alerts when the archive falls behind or cannot run, and says
 * when it caught up; this workflow alerts when no worker takes a round within
 * WAL_MAX_LAG_SECONDS (the host's worker is down: nobody else can tell), and when archiving
 * stops for good (a gap, or another cluster's WAL under this name).
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import { LagWatch, type LagWatchState } from '../src/operations/pitr/lag';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import { onHost } from './host-queue';
import { tagRun } from './tag-run';

export interface WalArchiveInput {
  /** The database id whose server is archived (WAL_ARCHIVE). */
  server: string;
  /** Seconds per round (default one hour); tests use seconds. */
  roundSeconds?: number;
  /** Rounds before continuing as new (default 6). */
  roundsPerRun?: number;
  /** The task queue of the worker on the server's host (TASK_QUEUE_<SERVER>); default this run's queue. */
  hostQueue?: string;
  /** WAL_MAX_LAG_SECONDS: how long a round may wait for a worker before the watchdog alerts (default 60). */
  maxLagSeconds?: number;
  /** Carried across continue-as-new: where the archive ends. */
  newestArchived?: string;
  /** Carried across continue-as-new: the watchdog's state. */
  watch?: LagWatchState;
  /** wal start --accept-gap: the first round that runs goes on past a gap; later rounds do not. */
  acceptGap?: boolean;
}

const WAL_ARCHIVE_INPUT: InputSpec<WalArchiveInput> = {
  server: 'string',
  roundSeconds: 'number?',
  roundsPerRun: 'number?',
  hostQueue: 'string?',
  maxLagSeconds: 'number?',
  newestArchived: 'string?',
  watch: 'object?',
  acceptGap: 'boolean?',
};

export interface WalArchiveStopped {
  server: string;
  stoppedBy: 'request';
  newestArchived?: string;
}

export async function WalArchiveWorkflow(input: WalArchiveInput): Promise<WalArchiveStopped> {
  checkInput(WorkflowType.walArchive, WAL_ARCHIVE_INPUT, input);
  tagRun(input.server, 'wal-archive');
  const watchdog = patched('wal-watchdog');
  const roundSeconds = input.roundSeconds ?? 3600;
  const maxLagSeconds = input.maxLagSeconds ?? 60;
  const { archiveWal } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: `${roundSeconds + 600} seconds`,
    heartbeatTimeout: '30 seconds',
    // Streaming must go on: a lost connection or S3 outage is retried for ever, a little apart.
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    // A stop waits for the round to ship the open segment.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A round no worker takes in time comes back here, so the watchdog can say so.
    ...(watchdog ? { scheduleToStartTimeout: `${maxLagSeconds} seconds` } : {}),
  });
  const { notifyWalWatch } = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } });
  let newestArchived = input.newestArchived;
  let watch = input.watch;
  let acceptGap = input.acceptGap === true;
  const stopped = (): WalArchiveStopped => ({ server: input.server, stoppedBy: 'request', newestArchived });
  try {
    for (let round = 0; round < (input.roundsPerRun ?? 6); round++) {
      const scheduledAt = Date.now();
      try {
        const result = await archiveWal({
          server: input.server,
          roundSeconds,
          newestArchived,
          ...(watchdog ? { watch } : {}),
          // Only until a round has gone past the gap: later rounds find a slot in step with the archive.
          ...(acceptGap ? { acceptGap } : {}),
        });
        acceptGap = false;
        newestArchived = result.newestArchived ?? newestArchived;
        watch = result.watch ?? watch;
      } catch (err) {
        if (!watchdog || isCancellation(err)) throw err;
        if (!notPickedUp(err)) {
          await notifyWalWatch({ kind: 'stopped', server: input.server, reason: rootCauseMessage(err) });
          throw err;
        }
        // Expected to run since the round was scheduled; the round alerts on everything else itself.
        const lag = new LagWatch(
          { maxLagSeconds, maxRetainedBytes: Number.MAX_SAFE_INTEGER },
          watch ?? { pending: [], alerting: false, runningAt: scheduledAt },
        );
        const queue = input.hostQueue ?? workflowInfo().taskQueue;
        const reading = lag.notRunning(
          Date.now(),
          `no worker took the round from task queue "${queue}": start the worker on the server's host (pgwarden worker)`,
        );
        watch = lag.snapshot;
        if (reading.send === 'alert')
          await notifyWalWatch({
            kind: 'behind',
            server: input.server,
            problems: reading.problems,
            lagSeconds: reading.lagSeconds,
          });
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    return stopped();
  }
  if (CancellationScope.current().consideredCancelled) return stopped();
  return continueAsNew<typeof WalArchiveWorkflow>({
    ...input,
    // Still to do only if no round of this run got to run (none was taken by a worker).
    acceptGap: acceptGap || undefined,
    newestArchived,
    ...(watch ? { watch } : {}),
  });
}

/** The round waited in its task queue longer than allowed: no worker polls it. */
function notPickedUp(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}
