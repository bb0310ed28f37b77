/**
 * How a parallel backup (BACKUP_JOBS > 1) splits one database across pg_dump processes that
 * share the backup's snapshot (docs/FORMAT.md, "Parallel backups"). The main dump holds the
 * whole schema and every table's data except the large tables given to the other parts; each
 * other part is a data-only dump of its tables. Pure: sizes in, assignment out.
 */

export interface SizedTable {
  schema: string;
  table: string;
  /** Heap and TOAST bytes (pg_table_size) in the snapshot: what pg_dump reads. */
  bytes: number;
}

export interface QualifiedTable {
  schema: string;
  table: string;
}

/** Tables smaller than this stay in the main dump: a process of their own costs more than it saves. */
export const SEPARATE_TABLE_MIN_BYTES = 16 * 1024 * 1024;

export interface DumpPlan {
  /** Data-only parts, each dumped by its own pg_dump; empty when nothing is worth a process. */
  parts: QualifiedTable[][];
  /** What the main dump is expected to read, for the record. */
  mainBytes: number;
  partBytes: number[];
}

/**
 * Longest-processing-time-first: the largest tables in turn go to the least loaded of `jobs`
 * bins; bin 0 is the main dump, which starts loaded with every small table. Ties go to the
 * lowest bin, so equal inputs give equal plans.
 */
export function planDumpParts(tables: SizedTable[], jobs: number, minBytes = SEPARATE_TABLE_MIN_BYTES): DumpPlan {
  const large = tables
    .filter((t) => t.bytes >= minBytes)
    .sort((a, b) => b.bytes - a.bytes || cmp(a.schema, b.schema) || cmp(a.table, b.table));
  const small = tables.filter((t) => t.bytes < minBytes).reduce((sum, t) => sum + t.bytes, 0);
  const loads = [small, ...Array<number>(Math.max(0, jobs - 1)).fill(0)];
  const bins: QualifiedTable[][] = loads.map(() => []);
  if (jobs > 1) {
    for (const t of large) {
      const i = loads.indexOf(Math.min(...loads));
      loads[i] += t.bytes;
      bins[i].push({ schema: t.schema, table: t.table });
    }
  } else {
    loads[0] += large.reduce((sum, t) => sum + t.bytes, 0);
  }
  const parts = bins.slice(1).filter((b) => b.length > 0);
  const partBytes = loads.slice(1).filter((_, i) => bins[i + 1].length > 0);
  return { parts, mainBytes: loads[0], partBytes };
}

/** A pg_dump -t / --exclude-table-data pattern matching exactly this table: quoted names match literally. */
export function exactTablePattern(t: QualifiedTable): string {
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return `${quote(t.schema)}.${quote(t.table)}`;
}

/** pg_dump arguments of the main dump: everything but the data of the parts' tables. */
export function mainDumpArgs(parts: QualifiedTable[][]): string[] {
  return parts.flat().map((t) => `--exclude-table-data=${exactTablePattern(t)}`);
}

/** pg_dump arguments of one data-only part; --strict-names makes a name that matches nothing an error, not an empty part. */
export function partDumpArgs(part: QualifiedTable[]): string[] {
  return ['--data-only', '--strict-names', ...part.map((t) => `--table=${exactTablePattern(t)}`)];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
