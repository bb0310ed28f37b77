/**
 * A table recovery's work in SQL, in the recovered copy (a temporary instance or database) and
 * the target: the target checked for what the recovery needs, the tables renamed in the copy
 * with their indexes and sequences (recorded there for a retry), and the copy loaded into the
 * target by `pg_dump | psql` in one transaction.
 */
import { spawn } from 'node:child_process';
import { escapeLiteral, type Client } from 'pg';
import { BackupError, UsageError } from '../src/infra/errors/errors';
import { pgProgram } from '../src/infra/postgres/binaries';
import { libpqEnvironment } from '../src/infra/postgres/client';
import { dumpToolsFit } from '../src/infra/postgres/dump-tools';
import {
  canCreateIn,
  ownerOf,
  replaceBlockers,
  TableDependents,
  qualified,
  tableDependents,
  tableKind,
  tablesIn,
  takenNames,
} from '../src/infra/postgres/relations';
import { describeTable, finalName, RecoveryName, renamedDependent } from '../src/operations/table-recovery/names';
import { blockedReplace, Dependent, Renamed } from '../src/operations/table-recovery/swap';
import { childExit } from '../src/infra/process/spawn-stream';

export interface RecoveredTable {
  /** The table as it was, and the name it came back under (schema.table). */
  table: string;
  as: string;
  rows: number;
  /** Its foreign keys at the target, not put on the copy: the rows they point to may have changed since. With --replace, the live table's are put on it instead. */
  foreignKeysLeftOut: string[];
  /** With --replace: where the live table's rows are kept (null when there was no live table: it had been dropped). */
  keptAs?: string | null;
}

/** Marks a recovered table as this run's (its comment), so a retry sees its load committed. */
export const markOf = (workflowId: string) => `recovered by pgwarden run ${workflowId}`;

export async function checkTargetFor(c: Client, into: string, name: RecoveryName): Promise<void> {
  const schema = name.as.schema;
  const can = await canCreateIn(c, schema);
  if (can === null) throw new UsageError(`schema ${schema} does not exist in ${into}: create it first`);
  if (!can)
    throw new UsageError(
      `the backup user may not create tables in schema ${schema} of ${into}: GRANT CREATE ON SCHEMA ${schema} TO it`,
    );
  // The copy keeps its owner: the backup user must be able to act as the owner it has now (and, likely, had then).
  const owner = await ownerOf(c, name.from);
  if (owner && !owner.actsAs)
    throw new UsageError(
      `the backup user cannot act as ${owner.owner}, the owner of ${describeTable(name.from)}: GRANT ${owner.owner} TO it`,
    );
  if (name.keptAs) {
    const blocked = blockedReplace(name.from, await replaceBlockers(c, name.from));
    if (blocked) throw new UsageError(blocked);
  }
  for (const t of [name.as, ...(name.keptAs ? [name.keptAs] : [])]) {
    if ((await takenNames(c, schema, [t.table])).length)
      throw new UsageError(
        name.keptAs
          ? `${describeTable(t)} already exists in ${into}: a replace needs that name free (drop or rename it first)`
          : `${describeTable(t)} already exists in ${into}: choose another --as, or drop it first`,
      );
  }
}

/** Whether this run already committed its tables (an attempt whose worker died after the commit). */
export async function loadedBy(c: Client, names: RecoveryName[], workflowId: string): Promise<boolean> {
  const { rows } = await c.query<{ d: string | null }>(
    `SELECT obj_description(to_regclass(n), 'pg_class') AS d FROM unnest($1::text[]) n`,
    [names.map((n) => qualified(finalName(n)))],
  );
  return rows.every((r) => r.d?.includes(markOf(workflowId)));
}

/** The table exists in the copy as an ordinary table, or the one line that says what there was instead. */
export async function requireTableAt(copy: Client, live: Client, name: RecoveryName, at: string): Promise<void> {
  const kind = await tableKind(copy, name.from);
  if (kind === 'r') return;
  if (kind === 'p')
    throw new UsageError(`${describeTable(name.from)} is partitioned; recover its partitions by name (--table per partition)`);
  if (kind) throw new UsageError(`${describeTable(name.from)} was not a table ${at} (relkind ${kind})`);
  if (await tableKind(live, name.from))
    throw new UsageError(
      `${describeTable(name.from)} did not exist ${at}; it exists now, so it was created later: choose a later --to`,
    );
  const there = await tablesIn(copy, name.from.schema);
  throw new UsageError(
    `${describeTable(name.from)} did not exist ${at}, nor does it now; tables in ${name.from.schema} then: ${there.slice(0, 10).join(', ') || 'none'}${there.length > 10 ? ', …' : ''}`,
  );
}

/** In a copy's comment (never loaded: the load sets its own): what renameInCopy did, for a retry. */
const RENAMED_MARK = 'pgwarden renamed: ';

/** What an earlier attempt renamed in this copy, when the table is there only under its new name. */
export async function renamedEarlier(
  copy: Client,
  name: RecoveryName,
): Promise<{ table: RecoveredTable; renamed: Renamed[] } | null> {
  if ((await tableKind(copy, name.from)) !== null || (await tableKind(copy, name.as)) !== 'r') return null;
  const { rows } = await copy.query<{ d: string | null }>(`SELECT obj_description(to_regclass($1), 'pg_class') AS d`, [
    qualified(name.as),
  ]);
  const said = rows[0]?.d;
  if (!said?.startsWith(RENAMED_MARK)) return null;
  const done = JSON.parse(said.slice(RENAMED_MARK.length)) as { renamed: Renamed[]; foreignKeysLeftOut: string[] };
  return {
    table: { table: describeTable(name.from), as: describeTable(name.as), rows: 0, foreignKeysLeftOut: done.foreignKeysLeftOut },
    renamed: done.renamed,
  };
}

/**
 * In the temporary copy only: the table takes its new name, its indexes and owned sequences
 * names that start with it, and its foreign keys go (they would check the recovered rows
 * against today's rows, and refuse the very rows being recovered).
 */
export async function renameInCopy(copy: Client, name: RecoveryName): Promise<{ table: RecoveredTable; renamed: Renamed[] }> {
  const { from, as } = name;
  const deps = await tableDependents(copy, from);
  const renamed: Renamed[] = dependentsOf(deps).map((d) => ({
    ...d,
    original: d.name,
    name: renamedDependent(d.name, from.table, as.table),
  }));
  const table = qualified(from);
  const ident = (s: string) => copy.escapeIdentifier(s);
  try {
    await copy.query('BEGIN');
    for (const fk of deps.foreignKeys) await copy.query(`ALTER TABLE ${table} DROP CONSTRAINT ${ident(fk.name)}`);
    for (const d of renamed)
      await copy.query(
        d.kind === 'constraint'
          ? `ALTER TABLE ${table} RENAME CONSTRAINT ${ident(d.original)} TO ${ident(d.name)}`
          : `ALTER ${d.kind === 'index' ? 'INDEX' : 'SEQUENCE'} ${ident(from.schema)}.${ident(d.original)} RENAME TO ${ident(d.name)}`,
      );
    await copy.query(`ALTER TABLE ${table} RENAME TO ${ident(as.table)}`);
    const done = { renamed, foreignKeysLeftOut: deps.foreignKeys.map((f) => f.name) };
    await copy.query(`COMMENT ON TABLE ${qualified(as)} IS ${escapeLiteral(RENAMED_MARK + JSON.stringify(done))}`);
    await copy.query('COMMIT');
  } catch (err) {
    await copy.query('ROLLBACK').catch(() => undefined);
    const e = err as { code?: string; message: string };
    if (e.code === '42501')
      throw new UsageError(
        `the backup user cannot change ${describeTable(from)} in the recovered copy (${e.message}): it must be able to act as the table's owner (GRANT <owner> TO it)`,
      );
    throw err;
  }
  return {
    table: {
      table: describeTable(from),
      as: describeTable(as),
      rows: 0,
      foreignKeysLeftOut: deps.foreignKeys.map((f) => f.name),
    },
    renamed,
  };
}

/** A table's indexes (by their constraint when one backs them) and owned sequences, as names to move. */
export function dependentsOf(deps: TableDependents): Dependent[] {
  return [
    ...deps.indexes.map((i): Dependent =>
      i.constraint ? { kind: 'constraint', name: i.constraint } : { kind: 'index', name: i.name },
    ),
    ...deps.sequences.map((name): Dependent => ({ kind: 'sequence', name })),
  ];
}

/** psql's error, kept to what names the conflict: "insert or update on table ... violates foreign key constraint ...". */
function conflictOf(message: string): string {
  const line = message.split('\n').find((l) => /ERROR:/.test(l));
  const detail = message.split('\n').find((l) => /DETAIL:/.test(l));
  return line ? `${line.replace(/^.*ERROR:\s*/, '')}${detail ? ` (${detail.replace(/^.*DETAIL:\s*/, '')})` : ''}` : message;
}

/** Every name the renamed table brings into its schema: itself, its indexes and sequences. */
export async function namesOf(copy: Client, name: RecoveryName): Promise<string[]> {
  const deps = await tableDependents(copy, name.as);
  return [name.as.table, ...deps.indexes.map((i) => i.name), ...deps.sequences];
}

/**
 * `pg_dump` of the renamed tables from the copy straight into `psql` on the target, in one
 * transaction with the comment that marks them as this run's: all of it lands, or nothing.
 * Data, owners, grants, defaults, indexes, triggers and policies come along; publications do not.
 */
export async function copyTables(
  copy: Parameters<typeof libpqEnvironment>[0],
  into: Parameters<typeof libpqEnvironment>[0],
  input: { into: string; tables: RecoveryName[] },
  /** Statements run after the load, in its transaction: the marking comment, or a replace's swap. */
  after: string[],
  pgBinDir: string | undefined,
): Promise<void> {
  const dumpArgs = ['--format=plain', '--no-publications', '--no-subscriptions', '--strict-names'];
  for (const n of input.tables) dumpArgs.push('--table', qualified(n.as));
  // With versions side by side, a pg_dump that fits both: the copy is the server's own major, the target may differ.
  const dump = spawn(pgProgram('pg_dump', pgBinDir, await dumpToolsFit([copy, into], pgBinDir)), dumpArgs, {
    env: libpqEnvironment(copy),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const load = spawn(
    pgProgram('psql', pgBinDir),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', '-', ...after.flatMap((sql) => ['-c', sql])],
    { env: libpqEnvironment(into), stdio: [dump.stdout, 'ignore', 'pipe'] },
  );
  dump.stdout!.destroy(); // psql has the pipe now; this end held open would keep pg_dump from closing
  const results = await Promise.allSettled([childExit(dump, 'pg_dump'), childExit(load, 'psql')]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed)
    throw new BackupError(
      `copying the recovered tables into ${input.into} failed, nothing was changed there: ${conflictOf(failed.reason.message)}`,
    );
}
