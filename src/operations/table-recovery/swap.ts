/**
 * The SQL that puts a recovered copy in the place of the live table (`recover-table
 * --replace`), run in the same transaction as the copy's load, so it all happens or nothing
 * does. The live table is kept under another name with its rows; the foreign keys that point
 * at it are moved to the copy and checked again (a row that refers to something the copy lacks
 * fails the transaction: the conflict, reported, nothing changed); the copy gets the live
 * table's own foreign keys, owner and grants, and its sequences never go back below what the
 * live ones handed out.
 */
import { escapeIdentifier, escapeLiteral } from 'pg';
import { qualified } from '../../infra/postgres/relations';
import { describeTable, RecoveryName, renamedDependent, TableName } from './names';

export interface Dependent {
  kind: 'constraint' | 'index' | 'sequence';
  name: string;
}

/** A name the copy's index, constraint or sequence was given beside the live table, and its name at the target time. */
export interface Renamed extends Dependent {
  original: string;
}

export interface ForeignKey {
  /** The table that has it. */
  table: TableName;
  name: string;
  /** pg_get_constraintdef with an empty search_path: every name qualified. */
  definition: string;
}

export interface SwapFacts {
  name: Required<RecoveryName>;
  /** The live table's indexes (constraint-backed ones by their constraint) and owned sequences; null when it is gone (dropped). */
  live: Dependent[] | null;
  /** The copy's, under their names beside the live table. */
  copy: Renamed[];
  /** The live table's own foreign keys, and those of other tables that point at it. */
  outgoing: ForeignKey[];
  incoming: ForeignKey[];
  /** The comment the copy gets (it marks the run that made it). */
  comment: string;
}

const ident = escapeIdentifier;
const literal = escapeLiteral;

function rename(table: TableName, d: Dependent, to: string): string {
  switch (d.kind) {
    case 'constraint':
      return `ALTER TABLE ${qualified(table)} RENAME CONSTRAINT ${ident(d.name)} TO ${ident(to)}`;
    case 'index':
      return `ALTER INDEX ${ident(table.schema)}.${ident(d.name)} RENAME TO ${ident(to)}`;
    case 'sequence':
      return `ALTER SEQUENCE ${ident(table.schema)}.${ident(d.name)} RENAME TO ${ident(to)}`;
  }
}

export function swapStatements(f: SwapFacts): string[] {
  const { from: live, as: copy, keptAs: kept } = f.name;
  const out: string[] = [];
  if (f.live) {
    out.push(`LOCK TABLE ${qualified(live)} IN ACCESS EXCLUSIVE MODE`);
    // Foreign keys of other tables let go of the live table; they come back on the copy.
    for (const fk of f.incoming) out.push(`ALTER TABLE ${qualified(fk.table)} DROP CONSTRAINT ${ident(fk.name)}`);
    // The live table and what belongs to it step aside under the kept name...
    for (const d of f.live) out.push(rename(live, d, renamedDependent(d.name, live.table, kept.table)));
    out.push(`ALTER TABLE ${qualified(live)} RENAME TO ${ident(kept.table)}`);
  }
  // ...and the copy takes the names it had at the target time.
  for (const d of f.copy) if (d.name !== d.original) out.push(rename(copy, d, d.original));
  out.push(`ALTER TABLE ${qualified(copy)} RENAME TO ${ident(live.table)}`);
  if (f.live) {
    for (const fk of f.outgoing) out.push(`ALTER TABLE ${qualified(live)} ADD CONSTRAINT ${ident(fk.name)} ${fk.definition}`);
    for (const fk of f.incoming) out.push(`ALTER TABLE ${qualified(fk.table)} ADD CONSTRAINT ${ident(fk.name)} ${fk.definition}`);
    out.push(copyOwnerAndGrants(kept, live), keepSequencesAhead(kept, live));
  }
  out.push(`COMMENT ON TABLE ${qualified(live)} IS ${literal(f.comment)}`);
  return out;
}

/** The copy gets the live table's owner and exactly its grants (the ones as of the target time go). */
function copyOwnerAndGrants(from: TableName, to: TableName): string {
  const src = literal(qualified(from));
  const dst = literal(qualified(to));
  const who = `CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END`;
  return `DO $pgwarden$ DECLARE r record; BEGIN
  EXECUTE format('ALTER TABLE %s OWNER TO %I', ${literal(qualified(to))}, (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = ${src}::regclass));
  FOR r IN SELECT a.grantee, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = ${dst}::regclass LOOP
    EXECUTE format('REVOKE %s ON %s FROM %s', r.privilege_type, ${literal(qualified(to))}, ${who});
  END LOOP;
  FOR r IN SELECT a.grantee, a.privilege_type, a.is_grantable FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = ${src}::regclass LOOP
    EXECUTE format('GRANT %s ON %s TO %s%s', r.privilege_type, ${literal(qualified(to))}, ${who}, CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
END $pgwarden$`;
}

/** Each serial or identity column's sequence on the copy continues after the larger of the two, so no id is handed out twice. */
function keepSequencesAhead(from: TableName, to: TableName): string {
  return `DO $pgwarden$ DECLARE r record; BEGIN
  FOR r IN SELECT pg_get_serial_sequence(${literal(qualified(from))}, a.attname) AS old, pg_get_serial_sequence(${literal(qualified(to))}, a.attname) AS new
             FROM pg_attribute a WHERE a.attrelid = ${literal(qualified(to))}::regclass AND a.attnum > 0 AND NOT a.attisdropped LOOP
    IF r.old IS NOT NULL AND r.new IS NOT NULL THEN
      EXECUTE format('SELECT setval(%L, greatest((SELECT last_value FROM %s), (SELECT last_value FROM %s)))', r.new, r.old, r.new);
    END IF;
  END LOOP;
END $pgwarden$`;
}

/** One line for a replace that cannot go ahead because of what depends on the live table. */
export function blockedReplace(table: TableName, dependants: string[]): string | null {
  if (!dependants.length) return null;
  return `${describeTable(table)} cannot be replaced: ${dependants.join(', ')} would keep pointing at the old table; recover it beside the live one (without --replace), or drop them first`;
}
