/**
 * The daily check's measure of a server's WAL archive from outside the archiver: the server's
 * WAL position and slot against what the bucket holds and when it last received any (the
 * judgement is dailyLagProblems, a plain function). The watchdog inside the archiver alerts
 * within seconds; this catches what it cannot: an archiver that is not running at all.
 */
import type { Client } from 'pg';
import { requireDatabase } from '../src/infra/config/config';
import { connectDatabase } from '../src/infra/postgres/client';
import { ArchivedWal, archivedUpTo } from '../src/operations/pitr/archive';
import { dailyLagProblems } from '../src/operations/pitr/lag';
import { slotNameFor } from '../src/operations/pitr/spool';
import { parseLsn } from '../src/operations/pitr/wal-names';
import { ActivityDeps } from './deps';

export async function archiveLagProblems(deps: ActivityDeps, server: string, wal: ArchivedWal, now: Date): Promise<string[]> {
  let position: { lsn: bigint | null; retained: number | null; segmentBytes: number };
  try {
    const client = await connectDatabase(requireDatabase(deps.config, server));
    try {
      position = await serverPosition(client, slotNameFor(server));
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    return [`the WAL position of ${server} could not be read to judge the archive's lag: ${(err as Error).message}`];
  }
  return dailyLagProblems({
    server,
    serverLsn: position.lsn,
    archivedLsn: await archivedUpTo(deps.bucket, wal, position.segmentBytes),
    newestStoredAt: wal.newestStoredAt,
    retainedBytes: position.retained,
    now: now.getTime(),
    limits: { maxLagSeconds: deps.config.wal.maxLagSeconds, maxRetainedBytes: deps.config.wal.maxRetainedBytes },
  });
}

async function serverPosition(client: Client, slot: string) {
  const { rows } = await client.query<{ current: string | null; restart: string | null; seg: string }>(
    `SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current,
            (SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1) AS restart,
            (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS seg`,
    [slot],
  );
  const lsn = rows[0].current ? parseLsn(rows[0].current) : null;
  const retained = lsn !== null && rows[0].restart ? Number(lsn - parseLsn(rows[0].restart)) : null;
  return { lsn, retained, segmentBytes: Number(rows[0].seg) };
}
