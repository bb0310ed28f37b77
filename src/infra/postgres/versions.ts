/** PostgreSQL version facts: what pg_dump reports, and whether it can dump a given server. */

/** Major version from `pg_dump --version` output, e.g. "pg_dump (PostgreSQL) 15.18 (Debian ...)" -> 15. */
export function parseToolMajor(versionOutput: string): number | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(versionOutput);
  return m ? Number(m[1]) : undefined;
}

/** Major version from server_version_num: 150018 -> 15, 90624 -> 9 (9.6 era numbering). */
export function serverMajor(versionNum: number): number {
  return Math.floor(versionNum / 10000);
}

/**
 * pg_dump can dump servers of its own major version and older, never newer ones
 * (and pg_dump 15+ no longer dumps servers older than 9.2).
 */
export function dumpCompatibility(dumpMajor: number, server: number): { ok: true } | { ok: false; reason: string } {
  if (dumpMajor < server) {
    return {
      ok: false,
      reason: `pg_dump ${dumpMajor} cannot dump a PostgreSQL ${server} server; install the PostgreSQL ${server} client tools on the worker (Debian: postgresql-client-${server}) or set PG_BIN_DIR`,
    };
  }
  if (server < 9) return { ok: false, reason: `PostgreSQL ${server} is too old for pg_dump ${dumpMajor}` };
  if (dumpMajor >= SETS_TRANSACTION_TIMEOUT && server < SETS_TRANSACTION_TIMEOUT)
    return {
      ok: false,
      reason: `pg_dump ${dumpMajor} writes dumps that a PostgreSQL ${server} server cannot load (they SET transaction_timeout, new in 17), so neither verify nor a restore could use them; install the PostgreSQL ${server} client tools on the worker (Debian: postgresql-client-${server}) or point PG_BIN_DIR at them`,
    };
  return { ok: true };
}

/**
 * pg_dump and pg_restore 17+ begin every session with `SET transaction_timeout = 0`, a setting
 * older servers reject: their dumps load only into PostgreSQL 17+.
 */
export const SETS_TRANSACTION_TIMEOUT = 17;

/**
 * Why the worker's pg_restore cannot load a backup into a server, or undefined when it can:
 * pg_restore reads only archives of its own major version or older, and from 17 on loads only
 * into servers of 17 or newer. `pgRestoreMajor` is undefined when no pg_restore runs (plain
 * SQL loads through psql), `dumpMajor` when unknown (an old script's backup). Pure.
 */
export function restoreToolProblem(
  pgRestoreMajor: number | undefined,
  dumpMajor: number | undefined,
  server: number,
): string | undefined {
  if (dumpMajor !== undefined && dumpMajor >= SETS_TRANSACTION_TIMEOUT && server < SETS_TRANSACTION_TIMEOUT)
    return `this backup was written by pg_dump ${dumpMajor}, whose dumps a PostgreSQL ${server} server cannot load (they SET transaction_timeout, new in 17); restore it into a PostgreSQL 17 or newer server`;
  if (pgRestoreMajor === undefined) return undefined;
  if (dumpMajor !== undefined && pgRestoreMajor < dumpMajor)
    return `this backup was written by pg_dump ${dumpMajor}, which pg_restore ${pgRestoreMajor} cannot read; install the PostgreSQL ${dumpMajor} client tools on the worker (Debian: postgresql-client-${dumpMajor}) or point PG_BIN_DIR at them`;
  if (pgRestoreMajor >= SETS_TRANSACTION_TIMEOUT && server < SETS_TRANSACTION_TIMEOUT)
    return `pg_restore ${pgRestoreMajor} cannot load into a PostgreSQL ${server} server (it sets transaction_timeout, new in 17); install the PostgreSQL ${Math.max(server, dumpMajor ?? 0)} client tools on the worker or point PG_BIN_DIR at them`;
  return undefined;
}
