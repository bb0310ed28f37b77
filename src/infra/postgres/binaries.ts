/** Finds the PostgreSQL client programs (pg_dump, pg_restore, psql) the worker runs. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's (and PGDG's) folder of PostgreSQL versions installed side by side: `<root>/<major>/bin`. */
const VERSIONS_ROOT = '/usr/lib/postgresql';

/** The bin folder of a major version's client tools in Debian's layout, if they are installed. */
export function installedBinDir(major: number): string | undefined {
  const dir = join(VERSIONS_ROOT, String(major), 'bin');
  return existsSync(join(dir, 'pg_dump')) ? dir : undefined;
}

/**
 * Path of a PostgreSQL program: from PG_BIN_DIR when set, else Debian's newest
 * /usr/lib/postgresql/<version>/bin (whose pg_dump can dump every older server), else PATH.
 */
export function pgProgram(
  name:
    | 'pg_dump'
    | 'pg_dumpall'
    | 'pg_restore'
    | 'psql'
    | 'pg_receivewal'
    | 'pg_basebackup'
    | 'pg_verifybackup'
    | 'pg_controldata'
    | 'pg_ctl'
    | 'initdb'
    // Benchmarks and tests only: load on a server.
    | 'pgbench',
  pgBinDir?: string,
): string {
  if (pgBinDir) return join(pgBinDir, name);
  const root = VERSIONS_ROOT;
  if (existsSync(root)) {
    const newest = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', name)))
      .sort((a, b) => Number(b) - Number(a))[0];
    if (newest) return join(root, newest, 'bin', name);
  }
  return name;
}
