/** PostgreSQL's own archiver as pg_stat_archiver and the settings show it. */
import type { Client } from 'pg';

export interface ArchiverStats {
  archiveMode: string;
  /**
   * Whether archive_command or archive_library is set; null when it could not be read. With
   * archive_mode on and neither set, PostgreSQL counts no failure, only logs a warning, and
   * keeps every WAL file.
   */
  configured: boolean | null;
  lastFailedWal: string | null;
  /** ms since the epoch, by the server's clock; null: never. */
  lastFailedAt: number | null;
  lastArchivedAt: number | null;
}

export async function readArchiverStats(client: Client): Promise<ArchiverStats> {
  const { rows } = await client.query<{
    mode: string;
    command: string | null;
    library: string | null;
    wal: string | null;
    failed: string | null;
    archived: string | null;
  }>(
    // From pg_settings: a setting the role may not see is a missing row, not an error;
    // archive_library is new in PostgreSQL 15.
    `SELECT current_setting('archive_mode') AS mode,
            (SELECT setting FROM pg_settings WHERE name = 'archive_command') AS command,
            (SELECT setting FROM pg_settings WHERE name = 'archive_library') AS library,
            last_failed_wal AS wal,
            (extract(epoch FROM last_failed_time) * 1000)::bigint::text AS failed,
            (extract(epoch FROM last_archived_time) * 1000)::bigint::text AS archived
       FROM pg_stat_archiver`,
  );
  const ms = (v: string | null) => (v === null ? null : Number(v));
  const r = rows[0];
  return {
    archiveMode: r.mode,
    configured: r.command === null ? null : r.command !== '' || (r.library ?? '') !== '',
    lastFailedWal: r.wal,
    lastFailedAt: ms(r.failed),
    lastArchivedAt: ms(r.archived),
  };
}

/** archive_timeout in seconds (0: off). */
export async function readArchiveTimeout(client: Client): Promise<number> {
  const { rows } = await client.query<{ s: string }>(`SELECT setting AS s FROM pg_settings WHERE name = 'archive_timeout'`);
  return Number(rows[0]?.s ?? 0);
}

/** WAL files waiting for the archiver (`.ready` in pg_wal/archive_status). */
export interface ArchiveBacklog {
  files: number;
  /** How long the oldest has waited, by the server's clock; null when none waits. */
  oldestSeconds: number | null;
}

/**
 * The archiver's backlog, or undefined when the role may not list the folder
 * (pg_ls_archive_statusdir needs pg_monitor or a superuser). A `.ready` file is written when
 * its segment completes and removed once archived, so the oldest one's age is how long the
 * archiver has been behind: what tells a failure PostgreSQL is still retrying from one that lasts.
 */
export async function readArchiveBacklog(client: Client): Promise<ArchiveBacklog | undefined> {
  try {
    const { rows } = await client.query<{ files: string; oldest: string | null }>(
      `SELECT count(*)::text AS files, extract(epoch FROM now() - min(modification))::text AS oldest
         FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'`,
    );
    const oldest = rows[0].oldest;
    return { files: Number(rows[0].files), oldestSeconds: oldest === null ? null : Math.max(0, Number(oldest)) };
  } catch (err) {
    if ((err as { code?: string }).code === '42501') return undefined; // insufficient_privilege
    throw err;
  }
}
