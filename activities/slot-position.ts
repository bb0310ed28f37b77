/**
 * Where a server's WAL is and how much its archiving slot holds back: what the archiver's
 * watchdog samples every few seconds and the daily check reads once.
 */
import type { Client } from 'pg';
import { parseLsn } from '../src/operations/pitr/wal-names';

export interface SlotPosition {
  /** The server's WAL write position; null on a standby (nothing to archive from there). */
  lsn: bigint | null;
  /** Bytes of WAL the slot keeps on the server's disk; null without the slot. */
  retained: number | null;
  segmentBytes: number;
}

export async function slotPosition(client: Client, slot: string): Promise<SlotPosition> {
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
