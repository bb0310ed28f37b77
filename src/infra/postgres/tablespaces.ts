/** The server's tablespaces besides the built-in ones, where it keeps them. */
import { isAbsolute } from 'node:path';
import type { Client } from 'pg';

export interface Tablespace {
  oid: number;
  name: string;
  location: string;
}

/**
 * The tablespaces kept outside the data directory. pg_default and pg_global live in it, and so
 * does an in-place tablespace (`allow_in_place_tablespaces`, a developer setting: its location
 * is `pg_tblspc/<oid>`), which pg_basebackup copies with the main one and recovery recreates there.
 */
export async function otherTablespaces(client: Client): Promise<Tablespace[]> {
  const { rows } = await client.query<Tablespace>(
    `SELECT oid::int AS oid, spcname AS name, pg_tablespace_location(oid) AS location
       FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid`,
  );
  return outsideDataDirectory(rows);
}

/** Pure: those whose location is an absolute path. */
export const outsideDataDirectory = (rows: Tablespace[]) => rows.filter((t) => isAbsolute(t.location));
