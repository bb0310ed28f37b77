/**
 * The cluster's globals dumped again when a tablespace was dropped while pg_dumpall read them.
 * pg_dumpall asks each tablespace's location in the query that lists them; a DROP TABLESPACE
 * in between leaves the row in its snapshot and no link on disk, and the query fails. The next
 * run no longer lists it. Without this the whole attempt failed, and its retry dumped the
 * database again; a run that does not retry (failFast) failed outright.
 */

/** How often the globals are dumped before such a failure is given up on. */
export const GLOBALS_DUMP_RUNS = 3;

/** pg_tablespace_location on a tablespace whose link is gone ("could not stat file", or before PostgreSQL 16 "could not read symbolic link"). */
export const isDroppedTablespace = (message: string): boolean =>
  /could not (stat file|read symbolic link) "pg_tblspc\/\d+"/.test(message);

export async function dumpGlobalsAgainIfTablespaceDropped<T>(dump: () => Promise<T>): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await dump();
    } catch (err) {
      if (run >= GLOBALS_DUMP_RUNS || !(err instanceof Error) || !isDroppedTablespace(err.message)) throw err;
    }
  }
}
