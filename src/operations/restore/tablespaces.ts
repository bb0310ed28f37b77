/**
 * Where a restored database and its tables go when the server lacks a tablespace the backup
 * recorded (a staging or replacement server is rarely laid out like production): into
 * pg_default, said in a warning, rather than a restore that fails on `SET default_tablespace`.
 * pg_restore can only keep all tablespaces or none (--no-tablespaces), so one missing
 * tablespace puts every table and index into the database's own. Pure.
 */
export interface TablespacePlan {
  /** The tablespace to create the database in. */
  database: string;
  /** Whether tables and indexes go back into their own tablespaces (else the database's, --no-tablespaces). */
  keepRelationTablespaces: boolean;
  warnings: string[];
}

export function tablespacePlan(
  recorded: { tablespace: string; relationTablespaces?: string[] },
  existing: readonly string[],
): TablespacePlan {
  const here = new Set(existing);
  const warnings: string[] = [];
  const database = here.has(recorded.tablespace) ? recorded.tablespace : 'pg_default';
  if (database !== recorded.tablespace)
    warnings.push(`tablespace ${recorded.tablespace} does not exist on this server: the database was created in pg_default`);
  // Unrecorded (a manifest older than the record): as before, kept.
  const missing = (recorded.relationTablespaces ?? []).filter((t) => !here.has(t));
  if (missing.length)
    warnings.push(
      `${missing.length === 1 ? `tablespace ${missing[0]} does` : `tablespaces ${missing.join(', ')} do`} not exist on this server: every table and index was restored into the database's tablespace (${database})`,
    );
  return { database, keepRelationTablespaces: missing.length === 0, warnings };
}
