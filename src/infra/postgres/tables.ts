/**
 * Tables whose rows a backup records: ordinary tables (including partitions and unlogged
 * tables) and populated materialized views, outside the system schemas. Partitioned parents
 * are left out because their rows are counted in their partitions.
 */
import { Client } from 'pg';

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
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
     ORDER BY 1, 2`);
  return rows.map(({ schema, table, unreadable }) => (unreadable ? { schema, table, unreadable } : { schema, table }));
}

/** Exact row counts of every table listTables finds, in its order. */
export async function countAllTables(client: Client): Promise<TableCount[]> {
  const counts: TableCount[] = [];
  for (const t of await listTables(client)) counts.push(await countRows(client, t));
  return counts;
}

/**
 * Exact row count; identifiers quoted by the server, so any name is safe. An unlogged table on a
 * standby counts 0 unread: its rows are never replicated, the standby refuses to read it
 * ("cannot access temporary or unlogged relations during recovery"), and pg_dump on a standby
 * writes none of its rows, so 0 is what a backup of the standby holds.
 */
export async function countRows(client: Client, t: ListedTable): Promise<TableCount> {
  if (t.unreadable) return { schema: t.schema, table: t.table, rows: 0 };
  const sql = (
    await client.query<{ q: string }>(`SELECT format('SELECT count(*) AS n FROM %I.%I', $1::text, $2::text) AS q`, [
      t.schema,
      t.table,
    ])
  ).rows[0].q;
  const { rows } = await client.query<{ n: string }>(sql);
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
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY 1, 2`);
  return rows.map((r) => ({ schema: r.schema, table: r.table, bytes: Number(r.bytes) }));
}
