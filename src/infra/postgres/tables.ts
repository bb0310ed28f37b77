/**
 * Tables whose rows a backup records: ordinary tables (including partitions and unlogged
 * tables) and populated materialized views, outside the system schemas. Partitioned parents
 * are left out because their rows are counted in their partitions.
 */
import type { Client, QueryResult } from 'pg';

/** A condition on `n`, the pg_namespace of a relation: not a system, TOAST or temporary schema. */
export const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

/** One table's exact row count. */
export interface TableCount {
  schema: string;
  table: string;
  rows: number;
}

/** A table listTables finds; `unreadable`: an unlogged table on a standby (see countRows). */
export interface ListedTable {
  schema: string;
  table: string;
  unreadable?: true;
}

export async function listTables(client: Client): Promise<ListedTable[]> {
  const { rows } = await client.query<{ schema: string; table: string; unreadable: boolean }>(`
    SELECT n.nspname AS schema, c.relname AS table, c.relpersistence = 'u' AND pg_is_in_recovery() AS unreadable
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))
       AND ${USER_SCHEMA}
     ORDER BY 1, 2`);
  return rows.map(({ schema, table, unreadable }) => (unreadable ? { schema, table, unreadable } : { schema, table }));
}

/**
 * How a count runs. `inSnapshot`: inside a transaction that keeps one snapshot open (a backup's,
 * beside pg_dump). A transaction keeps every lock it takes until it ends, so counting every
 * table there took a second lock per table beside pg_dump's own: a database of a few thousand
 * tables or partitions overflowed the server's lock table ("out of shared memory") where
 * pg_dump alone fitted. Each count then runs in a savepoint rolled back at once, which lets its
 * lock go and keeps the snapshot.
 */
export interface CountOptions {
  inSnapshot?: boolean;
}

/** Exact row counts of every table listTables finds, in its order. */
export async function countAllTables(client: Client, options: CountOptions = {}): Promise<TableCount[]> {
  const counts: TableCount[] = [];
  for (const t of await listTables(client)) counts.push(await countRows(client, t, options));
  return counts;
}

/**
 * Exact row count; identifiers quoted (escapeIdentifier doubles every quote), so any name is
 * safe. An unlogged table on a standby counts 0 unread: its rows are never replicated, the
 * standby refuses to read it ("cannot access temporary or unlogged relations during recovery"),
 * and pg_dump on a standby writes none of its rows, so 0 is what a backup of the standby holds.
 */
export async function countRows(client: Client, t: ListedTable, options: CountOptions = {}): Promise<TableCount> {
  if (t.unreadable) return { schema: t.schema, table: t.table, rows: 0 };
  const count = `SELECT count(*) AS n FROM ${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.table)}`;
  // One round trip either way: the savepoint's statements go as one simple query.
  const rows = options.inSnapshot
    ? (
        (await client.query(
          `SAVEPOINT pgwarden_count; ${count}; ROLLBACK TO SAVEPOINT pgwarden_count`,
        )) as unknown as QueryResult<{ n: string }>[]
      )[1].rows
    : (await client.query<{ n: string }>(count)).rows;
  return { schema: t.schema, table: t.table, rows: Number(rows[0].n) };
}

/**
 * Ordinary tables (and partitions) pg_dump writes data for, with what it reads of each (heap
 * and TOAST): not materialized views (refreshed, not copied) nor an extension's own tables.
 */
export async function listTableSizes(client: Client): Promise<Array<{ schema: string; table: string; bytes: number }>> {
  const { rows } = await client.query<{ schema: string; table: string; bytes: string }>(`
    SELECT n.nspname AS schema, c.relname AS table, pg_table_size(c.oid) AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r'
       AND ${USER_SCHEMA}
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY 1, 2`);
  return rows.map((r) => ({ schema: r.schema, table: r.table, bytes: Number(r.bytes) }));
}
