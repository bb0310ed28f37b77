/**
 * The daily check's measure of a server's WAL archive from outside the archiver: the server's
 * WAL position and slot against what the bucket holds and when it last received any (the
 * judgement is dailyLagProblems, a plain function). The watchdog inside the archiver alerts
 * within seconds; this catches what it cannot: an archiver that is not running at all.
 */
import type { Client } from 'pg';
import { requireDatabase } from '../src/infra/config/config';
import { connectDatabase } from '../src/infra/postgres/client';
import type { ArchivedWal } from '../src/operations/pitr/archive';
import { dailyLagProblems } from '../src/operations/pitr/lag';
import { slotNameFor } from '../src/operations/pitr/spool';
import { WAL_WRITTEN_LSN } from '../src/operations/pitr/wal-object';
import { parseLsn, parseSegmentName, segmentStart } from '../src/operations/pitr/wal-names';
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
    archivedLsn: await archivedUpTo(deps, wal, position.segmentBytes),
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

/** The newest completed segment's end, or further: what the newest open segment's copy holds. */
async function archivedUpTo(deps: ActivityDeps, wal: ArchivedWal, segmentBytes: number): Promise<bigint | null> {
  let upTo: bigint | null = null;
  for (const name of wal.segments.keys()) {
    const s = parseSegmentName(name, segmentBytes);
    if (s && (upTo === null || segmentStart(s.segno + 1n, segmentBytes) > upTo)) upTo = segmentStart(s.segno + 1n, segmentBytes);
  }
  const newestPartial = [...wal.partials.keys()]
    .map((name) => ({ name, s: parseSegmentName(name, segmentBytes) }))
    .filter((p) => p.s)
    .sort((a, b) => (a.s!.segno === b.s!.segno ? 0 : a.s!.segno < b.s!.segno ? 1 : -1))[0];
  if (newestPartial) {
    const written = (await deps.bucket.head(wal.partials.get(newestPartial.name)!))?.Metadata?.[WAL_WRITTEN_LSN];
    if (written && (upTo === null || parseLsn(written) > upTo)) upTo = parseLsn(written);
  }
  return upTo;
}
