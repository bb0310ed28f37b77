/**
 * What a table brings with it when it is copied under a new name beside the original: its
 * indexes (some of them backing a constraint), the sequences it owns (serial and identity
 * columns), and its foreign keys; and which names in a schema are taken. Read from the
 * catalogs; identifiers are passed as parameters, never spliced into SQL.
 */
import { Client, escapeIdentifier } from 'pg';

export interface QualifiedName {
  schema: string;
  table: string;
}

export interface TableDependents {
  /** Indexes of the table; `constraint` when the index backs a primary key, unique or exclusion constraint. */
  indexes: Array<{ name: string; constraint: string | null }>;
  /** Sequences owned by one of its columns (serial, identity). */
  sequences: string[];
  /** Its foreign keys to other tables (or itself). */
  foreignKeys: Array<{ name: string; definition: string }>;
}

export const qualified = (t: QualifiedName) => `${escapeIdentifier(t.schema)}.${escapeIdentifier(t.table)}`;

/** The table's relkind ('r' ordinary, 'p' partitioned), or null when there is no such table. */
export async function tableKind(c: Client, t: QualifiedName): Promise<string | null> {
  const { rows } = await c.query<{ kind: string }>(
    `SELECT c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [t.schema, t.table],
  );
  return rows[0]?.kind ?? null;
}

export async function tableDependents(c: Client, t: QualifiedName): Promise<TableDependents> {
  const oid = `(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2)`;
  const indexes = await c.query<{ name: string; constraint: string | null }>(
    `SELECT i.relname AS name, con.conname AS constraint
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x')
      WHERE x.indrelid = ${oid} ORDER BY 1`,
    [t.schema, t.table],
  );
  const sequences = await c.query<{ name: string }>(
    `SELECT s.relname AS name FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjid = ${oid} AND s.relkind = 'S' AND d.deptype IN ('a', 'i') ORDER BY 1`,
    [t.schema, t.table],
  );
  const foreignKeys = await c.query<{ name: string; definition: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE conrelid = ${oid} AND contype = 'f' ORDER BY 1`,
    [t.schema, t.table],
  );
  return { indexes: indexes.rows, sequences: sequences.rows.map((r) => r.name), foreignKeys: foreignKeys.rows };
}

/** Which of `names` are taken in `schema` (by a table, index, sequence, view or type). */
export async function takenNames(c: Client, schema: string, names: string[]): Promise<string[]> {
  const { rows } = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[])
     UNION
     SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 AND t.typname = ANY($2::text[])
     ORDER BY 1`,
    [schema, names],
  );
  return rows.map((r) => r.name);
}

/** The tables of a schema, for saying what there was instead of a missing one. */
export async function tablesIn(c: Client, schema: string): Promise<string[]> {
  const { rows } = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.name);
}

/** Whether the connected user may create tables in the schema; null when the schema does not exist. */
export async function canCreateIn(c: Client, schema: string): Promise<boolean | null> {
  const { rows } = await c.query<{ ok: boolean | null }>(
    `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)
                 THEN has_schema_privilege($1, 'CREATE') END AS ok`,
    [schema],
  );
  return rows[0].ok;
}

/** The table's owner and whether the connected user has its privileges (ownership checks); null without the table. */
export async function ownerOf(c: Client, t: QualifiedName): Promise<{ owner: string; actsAs: boolean } | null> {
  const { rows } = await c.query<{ owner: string; acts: boolean }>(
    `SELECT pg_get_userbyid(c.relowner) AS owner, pg_has_role(c.relowner, 'USAGE') AS acts
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [t.schema, t.table],
  );
  return rows[0] ? { owner: rows[0].owner, actsAs: rows[0].acts } : null;
}

/**
 * The foreign keys of a table and those that point at it, with definitions read under an
 * empty search_path (every name qualified), so they can be put back after tables are renamed.
 */
export async function foreignKeysAround(
  c: Client,
  t: QualifiedName,
): Promise<{
  outgoing: Array<QualifiedName & { name: string; definition: string }>;
  incoming: Array<QualifiedName & { name: string; definition: string }>;
}> {
  await c.query(`SELECT set_config('search_path', '', false)`);
  try {
    const { rows } = await c.query<{ schema: string; table: string; name: string; definition: string; incoming: boolean }>(
      `SELECT n.nspname AS schema, r.relname AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition,
              con.conrelid <> target.oid AS incoming
         FROM (SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relname = $2) target
         JOIN pg_catalog.pg_constraint con ON con.contype = 'f' AND (con.conrelid = target.oid OR con.confrelid = target.oid)
         JOIN pg_catalog.pg_class r ON r.oid = con.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
        ORDER BY 1, 2, 3`,
      [t.schema, t.table],
    );
    const pick = (incoming: boolean) =>
      rows
        .filter((r) => r.incoming === incoming)
        .map((r) => ({ schema: r.schema, table: r.table, name: r.name, definition: r.definition }));
    return { outgoing: pick(false), incoming: pick(true) };
  } finally {
    await c.query('RESET search_path');
  }
}

/**
 * What would keep pointing at a table's old self if another took its place: views and rules
 * that read it, inheritance and partitions, publications. Foreign keys are not here: they move.
 */
export async function replaceBlockers(c: Client, t: QualifiedName): Promise<string[]> {
  const { rows } = await c.query<{ what: string }>(
    `WITH target AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2)
     SELECT DISTINCT CASE v.relkind WHEN 'm' THEN 'materialized view ' ELSE 'view ' END || v.oid::regclass::text AS what
       FROM target, pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid JOIN pg_class v ON v.oid = rw.ev_class
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = target.oid AND v.oid <> target.oid
     UNION ALL SELECT 'inheriting table ' || i.inhrelid::regclass::text FROM target, pg_inherits i WHERE i.inhparent = target.oid
     UNION ALL SELECT 'parent table ' || i.inhparent::regclass::text FROM target, pg_inherits i WHERE i.inhrelid = target.oid
     UNION ALL SELECT 'publication ' || quote_ident(p.pubname) FROM target, pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
      WHERE pr.prrelid = target.oid
     ORDER BY 1`,
    [t.schema, t.table],
  );
  return rows.map((r) => r.what);
}
