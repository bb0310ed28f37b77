/**
 * Names in a table recovery, as plain functions: the tables a person named (`shop.orders`,
 * `"Mixed Case".t`, `orders` for `public.orders`), the name each comes back under, and the new
 * names of what comes with it (indexes, constraint indexes, owned sequences), so that nothing
 * collides with the live table it sits beside.
 */

export interface TableName {
  schema: string;
  table: string;
}

export interface RecoveryName {
  /** The table as it was at the target. */
  from: TableName;
  /** Where it comes back: same schema, a new name (with --replace, only until the swap). */
  as: TableName;
  /** With --replace: the name the live table's rows are kept under once the copy takes its place. */
  keptAs?: TableName;
}

/** The name the recovered rows end under: the table's own with --replace, else the new one. */
export const finalName = (n: RecoveryName): TableName => (n.keptAs ? n.from : n.as);

/** Bytes in UTF-8 (TextEncoder: this module also runs in the workflow sandbox, which has no Buffer). */
const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
const MAX_IDENTIFIER_BYTES = 63;

/** The suffix a recovered table gets when no --as is given. */
export const DEFAULT_SUFFIX = '_recovered';

/** With --replace, the name the copy lands under until it takes the table's place. */
export const STAGING_SUFFIX = '_recovering';

/** With --replace, the suffix the live table's rows are kept under. */
export const REPLACED_SUFFIX = '_replaced';

/** `schema.table` as PostgreSQL reads it: unquoted parts fold to lower case, quoted ones stay. */
export function parseTableName(text: string): TableName | { problem: string } {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    if (s[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        if (i >= s.length) return { problem: `--table ${text}: a quoted name is not closed` };
        if (s[i] === '"' && s[i + 1] === '"') ((part += '"'), (i += 2));
        else if (s[i] === '"') break;
        else part += s[i++];
      }
      i++;
      parts.push(part);
    } else {
      const end = s.indexOf('.', i) === -1 ? s.length : s.indexOf('.', i);
      const part = s.slice(i, end);
      if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(part))
        return { problem: `--table ${text}: expected schema.table (quote names with other characters: '"My Table"')` };
      parts.push(part.toLowerCase());
      i = end;
    }
    if (i >= s.length) break;
    if (s[i] !== '.') return { problem: `--table ${text}: expected schema.table` };
    i++;
  }
  if (parts.length === 1) return { schema: 'public', table: parts[0] };
  if (parts.length === 2) return { schema: parts[0], table: parts[1] };
  return { problem: `--table ${text}: expected schema.table, not ${parts.length} parts` };
}

export const describeTable = (t: TableName) => `${quoteIfNeeded(t.schema)}.${quoteIfNeeded(t.table)}`;

function quoteIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * The tables to recover and the names they come back under: `--as` for a single table, else
 * each table's name with `_recovered`; with --replace, the copy lands as `<table>_recovering`,
 * then takes the table's own, and the live rows are kept as `<table>_replaced`. Refuses duplicates
 * and an --as with several tables.
 */
export function planRecoveryNames(tables: string[], as?: string, replace = false): RecoveryName[] | { problem: string } {
  if (!tables.length) return { problem: 'name at least one table: --table schema.table' };
  if (replace && as !== undefined)
    return { problem: "--as and --replace exclude each other: --replace puts the copy under the table's own name" };
  if (as !== undefined && tables.length > 1)
    return { problem: `--as names one table; with ${tables.length} tables each comes back as <table>${DEFAULT_SUFFIX}` };
  const out: RecoveryName[] = [];
  for (const text of tables) {
    const from = parseTableName(text);
    if ('problem' in from) return from;
    if (out.some((n) => n.from.schema === from.schema && n.from.table === from.table))
      return { problem: `--table ${text} is named twice` };
    let table: string;
    if (as !== undefined) {
      const parsed = parseTableName(as);
      if ('problem' in parsed) return { problem: parsed.problem.replace(/^--table/, '--as') };
      if (as.includes('.') && parsed.schema !== from.schema)
        return { problem: `--as ${as}: the recovered table stays in schema ${from.schema}; give only a table name` };
      table = parsed.table;
    } else table = truncate(from.table, replace ? STAGING_SUFFIX : DEFAULT_SUFFIX);
    if (table === from.table) return { problem: `--as ${as}: that is the table's own name; choose a new one` };
    out.push({
      from,
      as: { schema: from.schema, table },
      ...(replace ? { keptAs: { schema: from.schema, table: truncate(from.table, REPLACED_SUFFIX) } } : {}),
    });
  }
  return out;
}

/**
 * The new name of an index, constraint or sequence that belongs to a recovered table: the
 * table's name at its start is replaced by the new name (`orders_pkey` → `orders_recovered_pkey`),
 * else the new name is put in front; cut to PostgreSQL's 63 bytes keeping the end, which says
 * what it is (`_pkey`, `_seq`).
 */
export function renamedDependent(name: string, table: string, as: string): string {
  const rest = name.startsWith(table) ? name.slice(table.length) : `_${name}`;
  return truncate(as, rest);
}

/** `head + tail` within 63 bytes, cutting head (never inside a character); a tail over half of it keeps its end. */
function truncate(head: string, tail: string): string {
  while (utf8Bytes(tail) > 31) tail = [...tail].slice(1).join('');
  const budget = MAX_IDENTIFIER_BYTES - utf8Bytes(tail);
  let cut = head;
  while (utf8Bytes(cut) > budget) cut = [...cut].slice(0, -1).join('');
  return cut + tail;
}
