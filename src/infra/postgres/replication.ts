/**
 * What streaming WAL and base backups need of a server: wal_level above minimal, a user with
 * the REPLICATION attribute, a primary (not a standby); and its timeline, segment size and
 * system identifier (which cluster it is).
 */
import { Client } from 'pg';
import type { DatabaseTarget } from '../config/databases';
import { UsageError } from '../errors/errors';
import { connectDatabase } from './client';

/** Each refusal names the setting or right to change; `standby` says what to do instead when the server is one. */
export async function checkReplicationServer(
  client: Client,
  server: string,
  standby = "archive the WAL of the primary (a standby cannot keep pgwarden's slot moving)",
): Promise<{ timeline: number; segmentBytes: number; version: string; versionNum: number; systemIdentifier: string }> {
  const { rows } = await client.query<{
    level: string;
    seg: string;
    repl: boolean;
    walfile: string;
    recovery: boolean;
    v: string;
    n: string;
    sysid: string;
    senders: string;
  }>(`
    SELECT current_setting('wal_level') AS level,
           current_setting('max_wal_senders') AS senders,
           current_setting('server_version') AS v,
           current_setting('server_version_num') AS n,
           current_setting('wal_segment_size') AS seg,
           (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS repl,
           pg_is_in_recovery() AS recovery,
           (SELECT system_identifier FROM pg_control_system())::text AS sysid,
           CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_walfile_name(pg_current_wal_lsn()) END AS walfile`);
  const r = rows[0];
  if (r.level === 'minimal')
    throw new UsageError(`${server}: wal_level is minimal; set wal_level = replica in postgresql.conf and restart PostgreSQL`);
  if (r.senders === '0')
    throw new UsageError(
      `${server}: max_wal_senders is 0, so the server takes no replication connection; set max_wal_senders = 10 (pgwarden's pg_receivewal and each pg_basebackup take one) in postgresql.conf and restart PostgreSQL`,
    );
  if (!r.repl)
    throw new UsageError(
      `${server}: the backup user may not stream WAL; run ALTER ROLE "${await currentUser(client)}" REPLICATION; as a superuser`,
    );
  if (r.recovery) throw new UsageError(`${server}: the server is a standby; ${standby}`);
  return {
    timeline: Number.parseInt(r.walfile.slice(0, 8), 16),
    segmentBytes: parseSize(r.seg),
    version: r.v,
    versionNum: Number(r.n),
    systemIdentifier: r.sysid,
  };
}

/**
 * Proves that the server takes a replication connection from this worker, as pg_receivewal and
 * pg_basebackup make: pg_hba.conf lists replication apart from every database, so a server that
 * lets the backup user in can still refuse it. Refused, the failure names the line to add.
 */
export async function checkReplicationAccess(target: DatabaseTarget): Promise<void> {
  const c = await connectDatabase(target, { replication: true });
  try {
    await c.query('IDENTIFY_SYSTEM');
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function currentUser(client: Client): Promise<string> {
  return (await client.query<{ u: string }>('SELECT current_user AS u')).rows[0].u;
}

/** wal_segment_size as the server shows it ("16MB", "1GB"). */
function parseSize(text: string): number {
  const m = /^(\d+)\s*(kB|MB|GB)$/.exec(text.trim());
  if (!m) throw new Error(`unexpected wal_segment_size "${text}"`);
  return Number(m[1]) * { kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] as 'kB' | 'MB' | 'GB'];
}

/** A timeline's history file as the server has it (TIMELINE_HISTORY on a replication connection). */
export async function timelineHistoryText(
  connect: (options: { replication: true }) => Promise<Client>,
  timeline: number,
): Promise<string> {
  const c = await connect({ replication: true });
  try {
    const { rows } = await c.query<{ content: Buffer | string }>(`TIMELINE_HISTORY ${Math.trunc(timeline)}`);
    const content = rows[0]?.content;
    return Buffer.isBuffer(content) ? content.toString('utf8') : String(content ?? '');
  } finally {
    await c.end().catch(() => undefined);
  }
}
