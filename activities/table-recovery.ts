/**
 * One table (or a few) brought back as it was at a point in time, beside the live one: the
 * server is recovered to that point in a temporary instance on this host, the tables are
 * renamed there (with their indexes and sequences, so nothing collides), copied into the
 * target database by `pg_dump | psql` in one transaction, and the instance goes. The target
 * database gets the whole copy or nothing; the live tables are never touched.
 */
import { log } from '@temporalio/activity';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { requireDatabase } from '../src/infra/config/config';
import { BackupError, UsageError } from '../src/infra/errors/errors';
import { pgProgram } from '../src/infra/postgres/binaries';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { countRows } from '../src/infra/postgres/tables';
import {
  canCreateIn,
  ownerOf,
  qualified,
  tableDependents,
  tableKind,
  tablesIn,
  takenNames,
} from '../src/infra/postgres/relations';
import { baseBackups } from '../src/operations/pitr/archive';
import { chooseBaseBackup, describeTarget, RecoveryTarget } from '../src/operations/pitr/target';
import { describeTable, RecoveryName, renamedDependent } from '../src/operations/table-recovery/names';
import { childExit } from '../src/infra/process/spawn-stream';
import { ephemeralPort, isPortFree } from '../src/infra/net/ports';
import { instanceUser, startInstance, stopInstance } from '../src/infra/postgres/instance';
import { readRecoveryMinimums } from '../src/infra/postgres/control-data';
import { ActivityDeps } from './deps';
import { proveReadKey } from './key-proof';
import { whileBeating } from './heartbeat';
import { connectTo, discardInstance, recoverInstance, RecoveredPoint, runFolder } from './recover-instance';

export interface TableRecoveryInput {
  /** The WAL_ARCHIVE server the tables are recovered from (its configured database). */
  server: string;
  /** The configured database the tables come back into. */
  into: string;
  tables: RecoveryName[];
  target: RecoveryTarget;
  workflowId: string;
}

export interface RecoveredTable {
  /** The table as it was, and the name it came back under (schema.table). */
  table: string;
  as: string;
  rows: number;
  /** Its foreign keys at the target, not put on the copy: the rows they point to may have changed since. */
  foreignKeysLeftOut: string[];
}

export interface TableRecoveryResult {
  server: string;
  into: string;
  baseBackupId: string;
  target: string;
  /** The last transaction replayed in the temporary instance. */
  recoveredTo: RecoveredPoint;
  /** For a time target: target minus the last replayed commit. */
  lossSeconds: number | null;
  tables: RecoveredTable[];
  /** Copying into the target and counting there. */
  loadMs: number;
}

/** The temporary instance a table recovery made, with the tables renamed in it. */
export interface RecoveredCopy {
  baseBackupId: string;
  recoveredTo: RecoveredPoint;
  port: number;
  tables: RecoveredTable[];
}

/** Marks a recovered table with the run that made it, so a retry of that run knows its own work. */
const markOf = (workflowId: string) => `recovered by pgwarden run ${workflowId}`;

export function tableRecoveryActivities(deps: ActivityDeps) {
  const folderOf = (input: { server: string; workflowId: string }) =>
    runFolder(deps.config.verify.workDir, `table-${input.server}`, input.workflowId);

  return {
    /**
     * Everything that can be checked before a recovery that may take hours: both databases
     * configured, a base backup before the target, the key to read it, and in the target the
     * schema there, the right to create in it, and the new names free.
     */
    async checkTableRecovery(input: Omit<TableRecoveryInput, 'workflowId'>): Promise<void> {
      const { config } = deps;
      requireDatabase(config, input.server);
      const into = requireDatabase(config, input.into);
      const chosen = chooseBaseBackup(await baseBackups(deps.bucket, config.storage.prefix, input.server), input.target);
      if ('problem' in chosen) throw new UsageError(`${input.server}: ${chosen.problem}`);
      await proveReadKey(deps.bucket, deps.keyring, chosen.base.encryption.keyId);
      const c = await connectDatabase(into);
      try {
        for (const name of input.tables) await checkTargetFor(c, input.into, name);
      } finally {
        await c.end().catch(() => undefined);
      }
    },

    /**
     * The server recovered to the target in a temporary instance on this host, left running,
     * with the tables renamed in it and their new names checked free in the target. Each
     * attempt starts over; nothing in the target is changed.
     */
    async prepareRecoveredTables(input: TableRecoveryInput): Promise<RecoveredCopy> {
      let summary = 'choosing the base backup';
      const beat = (said: string) => (summary = said);
      // Beats on its own while a step runs long (unpacking, replay), so a dead worker is noticed within the heartbeat timeout.
      return whileBeating(
        () => ({ summary }),
        () => prepare(input, beat),
      );
    },

    /**
     * The renamed tables copied from the temporary instance into the target in one
     * transaction, then counted there. A retry after a worker died finds the instance's data
     * directory and starts it again, or finds the tables already committed by this run.
     */
    async loadRecoveredTables(input: TableRecoveryInput & { copy: RecoveredCopy }): Promise<TableRecoveryResult> {
      return whileBeating(
        () => ({ summary: `copying ${input.copy.tables.map((t) => t.as).join(', ')} into ${input.into}` }),
        () => load(input),
      );
    },

    /** Stops and removes a table recovery's temporary instance, whatever state its run ended in. */
    async discardTableRecovery(input: { server: string; workflowId: string }): Promise<void> {
      await discardInstance(folderOf(input), deps.config.tools.pgBinDir);
    },
  };

  async function prepare(input: TableRecoveryInput, beat: (summary: string) => void): Promise<RecoveredCopy> {
    const { config } = deps;
    const server = requireDatabase(config, input.server);
    const into = requireDatabase(config, input.into);
    const root = folderOf(input);
    // An earlier attempt's instance goes first: a retry starts clean.
    await discardInstance(root, config.tools.pgBinDir);
    const chosen = chooseBaseBackup(await baseBackups(deps.bucket, config.storage.prefix, input.server), input.target);
    if ('problem' in chosen) throw new UsageError(`${input.server}: ${chosen.problem}`);
    const recovered = await recoverInstance(deps, {
      server: input.server,
      base: chosen.base,
      target: input.target,
      root,
      sharedParent: true,
      owner: input.workflowId,
      beat,
    });
    const copy = await connectTo({ ...recovered.instance, database: server.database }).catch((err: Error) => {
      throw new UsageError(
        `database ${server.database} cannot be opened as of ${describeTarget(input.target)} (${err.message}); did it exist then?`,
      );
    });
    const live = await connectDatabase(into);
    try {
      const tables: RecoveredTable[] = [];
      for (const name of input.tables) {
        await requireTableAt(copy, live, name, input.target);
        tables.push(await renameInCopy(copy, name));
      }
      // Every name that comes along, checked free in the target before anything is written there.
      for (const name of input.tables) {
        const taken = await takenNames(live, name.as.schema, await namesOf(copy, name));
        if (taken.length)
          throw new UsageError(
            `${taken.map((n) => `${name.as.schema}.${n}`).join(', ')} already exist in ${input.into}: choose another --as, or drop them first`,
          );
      }
      return { baseBackupId: chosen.base.backupId, recoveredTo: recovered.reached, port: recovered.port, tables };
    } finally {
      await copy.end().catch(() => undefined);
      await live.end().catch(() => undefined);
    }
  }

  async function load(input: TableRecoveryInput & { copy: RecoveredCopy }): Promise<TableRecoveryResult> {
    const { config } = deps;
    const started = Date.now();
    const server = requireDatabase(config, input.server);
    const into = requireDatabase(config, input.into);
    const instance = await ensureRunning(deps, folderOf(input), input.copy.port);
    const live = await connectDatabase(into);
    try {
      if (!(await loadedBy(live, input.tables, input.workflowId)))
        await copyTables({ ...server, host: '127.0.0.1', port: instance.port }, into, input, config.tools.pgBinDir);
      const tables: RecoveredTable[] = [];
      for (const [i, t] of input.copy.tables.entries())
        tables.push({ ...t, rows: (await countRows(live, input.tables[i].as)).rows });
      const reached = input.copy.recoveredTo;
      log.info('tables recovered', { server: input.server, into: input.into, tables: tables.map((t) => t.as) });
      return {
        server: input.server,
        into: input.into,
        baseBackupId: input.copy.baseBackupId,
        target: describeTarget(input.target),
        recoveredTo: reached,
        lossSeconds:
          input.target.kind === 'time' && reached.commitTime
            ? Math.max(0, (Date.parse(input.target.time) - Date.parse(reached.commitTime)) / 1000)
            : null,
        tables,
        loadMs: Date.now() - started,
      };
    } finally {
      await live.end().catch(() => undefined);
    }
  }
}

async function checkTargetFor(c: Client, into: string, name: RecoveryName): Promise<void> {
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
  const taken = await takenNames(c, schema, [name.as.table]);
  if (taken.length)
    throw new UsageError(`${describeTable(name.as)} already exists in ${into}: choose another --as, or drop it first`);
}

/** Whether this run already committed its tables (an attempt whose worker died after the commit). */
async function loadedBy(c: Client, names: RecoveryName[], workflowId: string): Promise<boolean> {
  const { rows } = await c.query<{ d: string | null }>(
    `SELECT obj_description(to_regclass(n), 'pg_class') AS d FROM unnest($1::text[]) n`,
    [names.map((n) => qualified(n.as))],
  );
  return rows.every((r) => r.d?.includes(markOf(workflowId)));
}

/**
 * The temporary instance of this run, running: as the preparing attempt left it, or started
 * again from its data directory (its worker died, and the instance with it).
 */
async function ensureRunning(deps: ActivityDeps, root: string, port: number): Promise<{ port: number }> {
  const dataDir = join(root, 'data');
  if (!existsSync(join(dataDir, 'PG_VERSION')))
    throw new BackupError(`the temporary instance of this table recovery is gone (${dataDir}); start the recovery again`);
  if (existsSync(join(dataDir, 'postmaster.pid')) && !(await isPortFree(port))) return { port };
  const runAs = instanceUser();
  await stopInstance({ dataDir, runAs, pgBinDir: deps.config.tools.pgBinDir }).catch(() => undefined);
  const again = (await isPortFree(port)) ? port : await ephemeralPort();
  await startInstance({
    dataDir,
    port: again,
    runAs,
    pgBinDir: deps.config.tools.pgBinDir,
    settings: { ...(await readRecoveryMinimums(dataDir, deps.config.tools.pgBinDir)), archive_mode: 'off' },
  });
  return { port: again };
}

/** The table exists in the copy as an ordinary table, or the one line that says what there was instead. */
async function requireTableAt(copy: Client, live: Client, name: RecoveryName, target: RecoveryTarget): Promise<void> {
  const at = describeTarget(target);
  const kind = await tableKind(copy, name.from);
  if (kind === 'r') return;
  if (kind === 'p')
    throw new UsageError(`${describeTable(name.from)} is partitioned; recover its partitions by name (--table per partition)`);
  if (kind) throw new UsageError(`${describeTable(name.from)} was not a table as of ${at} (relkind ${kind})`);
  if (await tableKind(live, name.from))
    throw new UsageError(
      `${describeTable(name.from)} did not exist as of ${at}; it exists now, so it was created later: choose a later --to`,
    );
  const there = await tablesIn(copy, name.from.schema);
  throw new UsageError(
    `${describeTable(name.from)} did not exist as of ${at}, nor does it now; tables in ${name.from.schema} then: ${there.slice(0, 10).join(', ') || 'none'}${there.length > 10 ? ', …' : ''}`,
  );
}

/**
 * In the temporary copy only: the table takes its new name, its indexes and owned sequences
 * names that start with it, and its foreign keys go (they would check the recovered rows
 * against today's rows, and refuse the very rows being recovered).
 */
async function renameInCopy(copy: Client, name: RecoveryName): Promise<RecoveredTable> {
  const deps = await tableDependents(copy, name.from);
  const { from, as } = name;
  const table = qualified(from);
  const ident = (s: string) => copy.escapeIdentifier(s);
  try {
    await copy.query('BEGIN');
    for (const fk of deps.foreignKeys) await copy.query(`ALTER TABLE ${table} DROP CONSTRAINT ${ident(fk.name)}`);
    for (const i of deps.indexes)
      await copy.query(
        i.constraint
          ? `ALTER TABLE ${table} RENAME CONSTRAINT ${ident(i.constraint)} TO ${ident(renamedDependent(i.constraint, from.table, as.table))}`
          : `ALTER INDEX ${ident(from.schema)}.${ident(i.name)} RENAME TO ${ident(renamedDependent(i.name, from.table, as.table))}`,
      );
    for (const s of deps.sequences)
      await copy.query(
        `ALTER SEQUENCE ${ident(from.schema)}.${ident(s)} RENAME TO ${ident(renamedDependent(s, from.table, as.table))}`,
      );
    await copy.query(`ALTER TABLE ${table} RENAME TO ${ident(as.table)}`);
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
  return { table: describeTable(from), as: describeTable(as), rows: 0, foreignKeysLeftOut: deps.foreignKeys.map((f) => f.name) };
}

/** Every name the renamed table brings into its schema: itself, its indexes and sequences. */
async function namesOf(copy: Client, name: RecoveryName): Promise<string[]> {
  const deps = await tableDependents(copy, name.as);
  return [name.as.table, ...deps.indexes.map((i) => i.name), ...deps.sequences];
}

/**
 * `pg_dump` of the renamed tables from the copy straight into `psql` on the target, in one
 * transaction with the comment that marks them as this run's: all of it lands, or nothing.
 * Data, owners, grants, defaults, indexes, triggers and policies come along; publications do not.
 */
async function copyTables(
  copy: Parameters<typeof libpqEnvironment>[0],
  into: Parameters<typeof libpqEnvironment>[0],
  input: TableRecoveryInput,
  pgBinDir: string | undefined,
): Promise<void> {
  const dumpArgs = ['--format=plain', '--no-publications', '--no-subscriptions', '--strict-names'];
  for (const n of input.tables) dumpArgs.push('--table', qualified(n.as));
  const comments = input.tables.flatMap((n) => [
    '-c',
    `COMMENT ON TABLE ${qualified(n.as)} IS ${quoteLiteral(`${describeTable(n.from)} as of ${describeTarget(input.target)}, ${markOf(input.workflowId)}`)}`,
  ]);
  const dump = spawn(pgProgram('pg_dump', pgBinDir), dumpArgs, {
    env: libpqEnvironment(copy),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const load = spawn(
    pgProgram('psql', pgBinDir),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', '-', ...comments],
    { env: libpqEnvironment(into), stdio: [dump.stdout, 'ignore', 'pipe'] },
  );
  dump.stdout!.destroy(); // psql has the pipe now; this end held open would keep pg_dump from closing
  const results = await Promise.allSettled([childExit(dump, 'pg_dump'), childExit(load, 'psql')]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed)
    throw new BackupError(
      `copying the recovered tables into ${input.into} failed, nothing was changed there: ${failed.reason.message}`,
    );
}

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
