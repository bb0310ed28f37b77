/**
 * A database known by its oid, which a rename keeps and a DROP and CREATE under the same name
 * do not: how one attempt of a restore tells the database it made from one another attempt
 * made under the same name, and how a retry finds its predecessor's database after a rename.
 */
import { Client } from 'pg';
import type { DatabaseTarget } from '../config/databases';
import { dropDatabase } from './drop-database';

/** The oid of the database called `name`, as text, or undefined when there is none. */
export async function databaseOid(admin: Client, name: string): Promise<string | undefined> {
  const { rows } = await admin.query<{ oid: string }>('SELECT oid::text AS oid FROM pg_database WHERE datname = $1', [name]);
  return rows[0]?.oid;
}

/** The name and comment the database with this oid has now, or undefined when it is gone. */
export async function databaseWithOid(admin: Client, oid: string): Promise<{ name: string; comment: string | null } | undefined> {
  const { rows } = await admin.query<{ name: string; comment: string | null }>(
    `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE oid = $1::oid`,
    [oid],
  );
  return rows[0];
}

/**
 * Drops the database called `name` if it is still the one with this oid (sessions in it are
 * closed); another one under that name is left alone. Whether it dropped one.
 */
export async function dropDatabaseIfStill(admin: Client, server: DatabaseTarget, name: string, oid: string): Promise<boolean> {
  if ((await databaseOid(admin, name)) !== oid) return false;
  await dropDatabase(admin, server, name);
  return true;
}
