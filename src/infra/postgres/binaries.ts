/** Finds the PostgreSQL client programs (pg_dump, pg_restore, psql) the worker runs. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's (and PGDG's) folder of PostgreSQL versions installed side by side: `<root>/<major>/bin`. */
const VERSIONS_ROOT = '/usr/lib/postgresql';

export type PgProgramName =
  | 'pg_dump'
  | 'pg_dumpall'
  | 'pg_restore'
  | 'psql'
  | 'pg_receivewal'
  | 'pg_basebackup'
  | 'pg_verifybackup'
  | 'pg_combinebackup'
  | 'pg_waldump'
  | 'pg_controldata'
  | 'pg_ctl'
  | 'postgres'
  | 'initdb'
  // Benchmarks and tests only: load on a server.
  | 'pgbench';

/**
 * Where the worker's client tools are: `{ dir }`, one installation (PG_BIN_DIR holding the
 * programs), or `{ root, majors }`, versions side by side (`<root>/<major>/bin`: PG_BIN_DIR
 * pointing at such a folder, else Debian's /usr/lib/postgresql), or neither (PATH).
 */
function toolsLayout(pgBinDir: string | undefined, name: PgProgramName): { dir?: string; root?: string; majors: number[] } {
  if (pgBinDir && (existsSync(join(pgBinDir, name)) || !isVersionsRoot(pgBinDir))) return { dir: pgBinDir, majors: [] };
  const root = pgBinDir ?? VERSIONS_ROOT;
  if (!existsSync(root)) return { majors: [] };
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', name)))
    .map(Number)
    .sort((a, b) => b - a);
  return { root, majors };
}

const isVersionsRoot = (dir: string) => existsSync(dir) && readdirSync(dir).some((v) => /^\d+$/.test(v));

/**
 * Path of a PostgreSQL program: from PG_BIN_DIR when it holds the programs; else, of versions
 * installed side by side, the newest that `fits` (the server's version, the backup's: see
 * chooseToolMajor) or the newest of all; else PATH.
 */
export function pgProgram(name: PgProgramName, pgBinDir?: string, fits: (major: number) => boolean = () => true): string {
  const layout = toolsLayout(pgBinDir, name);
  if (layout.dir) return join(layout.dir, name);
  const major = chooseToolMajor(layout.majors, fits);
  return major === undefined ? name : join(layout.root!, String(major), 'bin', name);
}

/** Whether several versions are installed side by side, so which one runs depends on the server. */
export function toolsVary(pgBinDir?: string): boolean {
  return toolsLayout(pgBinDir, 'pg_dump').majors.length > 1;
}

/** The installed major to run: the newest that fits, else the newest (whose refusal then says why). Pure. */
export function chooseToolMajor(installed: number[], fits: (major: number) => boolean): number | undefined {
  const newestFirst = [...installed].sort((a, b) => b - a);
  return newestFirst.find(fits) ?? newestFirst[0];
}

/** The bin folder of a major version's client tools among versions side by side (PG_BIN_DIR's, else Debian's), if installed. */
export function installedBinDir(major: number, pgBinDir?: string): string | undefined {
  for (const layout of [toolsLayout(pgBinDir, 'pg_dump'), toolsLayout(undefined, 'pg_dump')])
    if (layout.root && layout.majors.includes(major)) return join(layout.root, String(major), 'bin');
  return undefined;
}
