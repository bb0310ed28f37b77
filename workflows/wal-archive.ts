/**
 * WalArchiveWorkflow: continuous WAL archiving of one server, supervised by Temporal, not
 * carried by it. The WAL never passes through Temporal: each round is one long activity
 * (pg_receivewal into S3, see activities/wal-archive.ts) that heartbeats the newest segment
 * stored. A dead worker's round is retried on another worker within the heartbeat timeout,
 * from the archive and the replication slot, without a gap. After a few rounds the workflow
 * continues as new, so its history stays small however long it runs. Cancelling it (pgwarden
 * wal stop) ends the round cleanly: pg_receivewal stops and the open segment is shipped.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  continueAsNew,
  isCancellation,
  proxyActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DatabaseSA, OperationSA } from '../src/infra/temporal/search-attributes';

export interface WalArchiveInput {
  /** The database id whose server is archived (WAL_ARCHIVE). */
  server: string;
  /** Seconds per round (default one hour); tests use seconds. */
  roundSeconds?: number;
  /** Rounds before continuing as new (default 6). */
  roundsPerRun?: number;
  /** Carried across continue-as-new: where the archive ends. */
  newestArchived?: string;
}

export interface WalArchiveStopped {
  server: string;
  stoppedBy: 'request';
  newestArchived?: string;
}

export async function WalArchiveWorkflow(input: WalArchiveInput): Promise<WalArchiveStopped> {
  upsertSearchAttributes([
    { key: DatabaseSA, value: input.server },
    { key: OperationSA, value: 'wal-archive' },
  ]);
  const roundSeconds = input.roundSeconds ?? 3600;
  const { archiveWal } = proxyActivities<Activities>({
    startToCloseTimeout: `${roundSeconds + 600} seconds`,
    heartbeatTimeout: '30 seconds',
    // Streaming must go on: a lost connection or S3 outage is retried for ever, a little apart.
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    // A stop waits for the round to ship the open segment.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  let newestArchived = input.newestArchived;
  try {
    for (let round = 0; round < (input.roundsPerRun ?? 6); round++) {
      const result = await archiveWal({ server: input.server, roundSeconds, newestArchived });
      newestArchived = result.newestArchived ?? newestArchived;
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    return { server: input.server, stoppedBy: 'request', newestArchived };
  }
  if (CancellationScope.current().consideredCancelled) return { server: input.server, stoppedBy: 'request', newestArchived };
  return continueAsNew<typeof WalArchiveWorkflow>({ ...input, newestArchived });
}
