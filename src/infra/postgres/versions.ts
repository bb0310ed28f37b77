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
  return { ok: true };
}
