/** The server's tablespaces besides the built-in ones, where it keeps them. */
import type { Client } from 'pg';

export interface Tablespace {
  oid: number;
  name: string;
  location: string;
}

/** pg_default and pg_global are left out: they live in the data directory. */
export async function otherTablespaces(client: Client): Promise<Tablespace[]> {
  const { rows } = await client.query<Tablespace>(
    `SELECT oid::int AS oid, spcname AS name, pg_tablespace_location(oid) AS location
       FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid`,
  );
  return rows;
}
