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

/** Where a major version's client tools are installed on this worker, if they are. */
export type InstalledTools = (major: number) => string | undefined;

/** How to get the client tools of a major version: the folder when they are installed, else the package. */
export function toolsHint(major: number, installed: InstalledTools = () => undefined): string {
  const dir = installed(major);
  return dir
    ? `set PG_BIN_DIR=${dir}, where the PostgreSQL ${major} client tools are installed`
    : `install the PostgreSQL ${major} client tools on the worker (Debian, Ubuntu: postgresql-client-${major}, from apt.postgresql.org where the release lacks it) or point PG_BIN_DIR at them`;
}

/**
 * pg_dump can dump servers of its own major version and older, never newer ones
 * (and pg_dump 15+ no longer dumps servers older than 9.2).
 */
export function dumpCompatibility(
  dumpMajor: number,
  server: number,
  installed?: InstalledTools,
): { ok: true } | { ok: false; reason: string } {
  if (dumpMajor < server) {
    return {
      ok: false,
      reason: `pg_dump ${dumpMajor} cannot dump a PostgreSQL ${server} server; ${toolsHint(server, installed)}`,
    };
  }
  if (server < 9) return { ok: false, reason: `PostgreSQL ${server} is too old for pg_dump ${dumpMajor}` };
  if (dumpMajor >= SETS_TRANSACTION_TIMEOUT && server < SETS_TRANSACTION_TIMEOUT)
    return {
      ok: false,
      reason: `pg_dump ${dumpMajor} writes dumps that a PostgreSQL ${server} server cannot load (they SET transaction_timeout, new in 17), so neither verify nor a restore could use them; ${toolsHint(server, installed)}`,
    };
  return { ok: true };
}

/** Whether a pg_dump major may run for all these servers: each can give and take back its dumps. */
export function dumpFits(servers: number[]): (major: number) => boolean {
  return (major) => servers.every((server) => dumpCompatibility(major, server).ok);
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
  installed?: InstalledTools,
): string | undefined {
  if (dumpMajor !== undefined && dumpMajor >= SETS_TRANSACTION_TIMEOUT && server < SETS_TRANSACTION_TIMEOUT)
    return `this backup was written by pg_dump ${dumpMajor}, whose dumps a PostgreSQL ${server} server cannot load (they SET transaction_timeout, new in 17); restore it into a PostgreSQL 17 or newer server`;
  if (pgRestoreMajor === undefined) return undefined;
  if (dumpMajor !== undefined && pgRestoreMajor < dumpMajor)
    return `this backup was written by pg_dump ${dumpMajor}, which pg_restore ${pgRestoreMajor} cannot read; ${toolsHint(dumpMajor, installed)}`;
  if (pgRestoreMajor >= SETS_TRANSACTION_TIMEOUT && server < SETS_TRANSACTION_TIMEOUT)
    return `pg_restore ${pgRestoreMajor} cannot load into a PostgreSQL ${server} server (it sets transaction_timeout, new in 17); ${toolsHint(Math.max(server, dumpMajor ?? 0), installed)}`;
  return undefined;
}

/**
 * pg_receivewal and pg_basebackup stream from servers of their own major version or older
 * ("incompatible server version" otherwise, with nothing archived or copied). Pure.
 */
export function streamingToolProblem(
  tool: 'pg_receivewal' | 'pg_basebackup',
  toolMajor: number,
  server: number,
  installed?: InstalledTools,
): string | undefined {
  if (toolMajor >= server) return undefined;
  return `${tool} ${toolMajor} cannot stream from a PostgreSQL ${server} server; ${toolsHint(server, installed)}`;
}
