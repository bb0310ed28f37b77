/**
 * One table (or a few) brought back as it was at a point in time, beside the live one: the
 * server is recovered to that point in a temporary instance on this host, the tables are
 * renamed there (with their indexes and sequences, so nothing collides), copied into the
 * target database by `pg_dump | psql` in one transaction, and the instance goes. The target
 * database gets the whole copy or nothing; the live tables are never touched.
 */
import { Context, log } from '@temporalio/activity';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { escapeLiteral, type Client } from 'pg';
import { requireDatabase } from '../src/infra/config/config';
import { BackupError, BackupNotFoundError, UsageError } from '../src/infra/errors/errors';
import { connectDatabase } from '../src/infra/postgres/client';
import { writesProblem } from '../src/infra/postgres/takes-writes';
import { countRows } from '../src/infra/postgres/tables';
import { foreignKeysAround, qualified, tableDependents, tableKind, takenNames } from '../src/infra/postgres/relations';
import { describeTarget, RecoveryTarget } from '../src/operations/pitr/target';
import { describeTable, finalName, RecoveryName } from '../src/operations/table-recovery/names';
import { Renamed, swapStatements } from '../src/operations/table-recovery/swap';
import { ephemeralPort, isPortFree } from '../src/infra/net/ports';
import { instanceUser, startInstance, stopInstance } from '../src/infra/postgres/instance';
import { readRecoveryMinimums } from '../src/infra/postgres/control-data';
import { newestFirst } from '../src/operations/catalog/catalog';
import { ActivityDeps } from './deps';
import { chooseBaseFor } from './restore-points';
import {
  checkTargetFor,
  copyTables,
  dependentsOf,
  loadedBy,
  markOf,
  namesOf,
  RecoveredTable,
  renamedEarlier,
  renameInCopy,
  requireTableAt,
} from './table-recovery-copy';
import { dropScratchDatabase } from './scratch-database';
import { proveReadKey } from './key-proof';
import { beatingWithSummary, whileBeating } from './heartbeat';
import { attemptFolder, connectTo, discardInstance, recoverInstance, RecoveredPoint, runFolder } from './recover-instance';
import { isAttemptName } from '../src/infra/temporal/attempt-names';
import { tableRecoveryNotice, type TableRecoveryOutcome } from '../src/operations/table-recovery/notices';
import { deliver } from './notify';

export interface TableRecoveryInput {
  /** The configured database the tables are recovered from: a WAL_ARCHIVE server, or any with logical backups. */
  server: string;
  /** The configured database the tables come back into. */
  into: string;
  tables: RecoveryName[];
  target: RecoveryTarget;
  /** From a logical backup instead of the WAL archive: the newest before the target, or this one. */
  fromBackup?: { backupId?: string };
  workflowId: string;
}

/** Where the tables come from: the WAL archive (a temporary instance), or a logical backup (a temporary database). */
export type TableRecoverySource = { kind: 'pitr' } | { kind: 'backup'; backupId: string; takenAt: string; why: string };

export type { RecoveredTable } from './table-recovery-copy';

export interface TableRecoveryResult {
  server: string;
  into: string;
  /** The base backup recovery started from, or the logical backup restored. */
  baseBackupId: string;
  target: string;
  /** The last transaction replayed in the temporary instance; null from a logical backup. */
  recoveredTo: RecoveredPoint | null;
  /** From a logical backup: its snapshot time, and why it was used. */
  fromBackup?: { takenAt: string; why: string };
  /** For a time target: target minus the last replayed commit (or the backup's snapshot). */
  lossSeconds: number | null;
  tables: RecoveredTable[];
  /** Copying into the target and counting there. */
  loadMs: number;
}

/** The temporary instance a table recovery made, with the tables renamed in it. */
export interface RecoveredCopy {
  baseBackupId: string;
  recoveredTo: RecoveredPoint | null;
  /** The temporary instance's port; or, from a logical backup, the temporary database on the source's server. */
  port: number;
  database?: string;
  fromBackup?: { takenAt: string; why: string };
  /** Why the base backup is not the newest before the target (one that failed its verification was passed over). */
  note?: string;
  /** The temporary instance's folder, the preparing attempt's own; absent in results recorded before 2026-12-04 (the run's). */
  folder?: string;
  tables: RecoveredTable[];
  /** Per table, the names its indexes and sequences were given in the copy, with the ones they had (a replace gives them back). */
  renamed: Renamed[][];
}

/** Marks a recovered table with the run that made it, so a retry of that run knows its own work. */

export function tableRecoveryActivities(deps: ActivityDeps) {
  const folderOf = (input: { server: string; workflowId: string }) =>
    runFolder(deps.config.verify.workDir, `table-${input.server}`, input.workflowId);

  return {
    async notifyTableRecovery(outcome: TableRecoveryOutcome) {
      await deliver(deps, tableRecoveryNotice(outcome));
    },

    /**
     * Everything that can be checked before a recovery that may take hours: both databases
     * configured, a base backup before the target, the key to read it, and in the target the
     * schema there, the right to create in it, and the new names free.
     */
    async checkTableRecovery(input: Omit<TableRecoveryInput, 'workflowId'>): Promise<TableRecoverySource> {
      const { config } = deps;
      requireDatabase(config, input.server);
      const into = requireDatabase(config, input.into);
      const c = await connectDatabase(into);
      try {
        // The one thing that rules the target out whatever the source: a server that takes no writes.
        const refused = await writesProblem(c, into, `the recovered tables are written into ${input.into} there`, {
          standby: `point the DATABASE_URL of ${input.into} at the primary, or promote this standby first`,
          readOnly: `point the DATABASE_URL of ${input.into} at a user that writes`,
        });
        if (refused) throw new UsageError(refused);
        const source = await chooseSource(input);
        for (const name of input.tables) await checkTargetFor(c, input.into, name);
        return source;
      } finally {
        await c.end().catch(() => undefined);
      }
    },

    /**
     * From a logical backup already restored into a temporary database (by the restore's own
     * activities): the tables renamed there and their names checked free in the target.
     */
    async prepareTablesFromDatabase(
      input: TableRecoveryInput & { database: string; backupId: string; fromBackup: { takenAt: string; why: string } },
    ): Promise<RecoveredCopy> {
      const server = requireDatabase(deps.config, input.server);
      const copy = await connectDatabase(server, { database: input.database });
      const prepared = await whileBeating(
        () => ({ summary: `renaming the tables in ${input.database}` }),
        () => renameAndCheck(copy, input, `in backup ${input.backupId} (taken ${input.fromBackup.takenAt})`),
      );
      return {
        baseBackupId: input.backupId,
        recoveredTo: null,
        port: 0,
        database: input.database,
        fromBackup: input.fromBackup,
        ...prepared,
      };
    },

    /**
     * The server recovered to the target in a temporary instance on this host, left running,
     * with the tables renamed in it and their new names checked free in the target. Each
     * attempt starts over; nothing in the target is changed.
     */
    async prepareRecoveredTables(input: TableRecoveryInput): Promise<RecoveredCopy> {
      return beatingWithSummary((beat) => prepare(input, beat));
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

    /** Stops and removes a table recovery's temporary instance (or drops its temporary database), whatever state its run ended in. */
    async discardTableRecovery(input: { server: string; workflowId: string; database?: string }): Promise<void> {
      if (input.database) return dropScratchDatabase(deps, input.server, input.database, 'tables');
      // Every attempt's folder: one the server gave up on may still be running.
      const runRoot = folderOf(input);
      const names = await readdir(dirname(runRoot)).catch(() => [] as string[]);
      for (const name of names.filter((n) => isAttemptName(basename(runRoot), n)))
        await discardInstance(join(dirname(runRoot), name), deps.config.tools.pgBinDir);
    },
  };

  /**
   * The WAL archive when it covers the target, else (or when asked) the newest logical backup
   * taken before the target, with the reason said.
   */
  async function chooseSource(input: Omit<TableRecoveryInput, 'workflowId'>): Promise<TableRecoverySource> {
    const { config } = deps;
    let why = 'asked for (--from-backup)';
    if (!input.fromBackup) {
      if (!config.wal.servers.includes(input.server)) why = `${input.server} is not in WAL_ARCHIVE`;
      else {
        const chosen = await chooseBaseFor(deps, input.server, input.target);
        if (!('problem' in chosen)) {
          await proveReadKey(deps.bucket, deps.keyring, chosen.base.encryption.keyId);
          return { kind: 'pitr' };
        }
        why = `the WAL archive does not cover it: ${chosen.problem.replace(/; choose .*$/, '')}`;
      }
    }
    if (input.target.kind !== 'time' && input.target.kind !== 'latest')
      throw new UsageError(`a logical backup is a moment in time: give --to TIME (${why})`);
    const [own, legacy] = await Promise.all([deps.store.catalog(input.server), deps.store.legacyCatalog(input.server)]);
    const backups = newestFirst([...own, ...legacy]);
    const wanted = input.fromBackup?.backupId;
    const at = input.target.kind === 'time' ? Date.parse(input.target.time) : Infinity;
    const backup = wanted ? backups.find((b) => b.backupId === wanted) : backups.find((b) => Date.parse(b.takenAt) <= at);
    if (!backup)
      throw wanted
        ? new BackupNotFoundError(`backup ${wanted} of ${input.server} does not exist; see pgwarden restore --list`)
        : new UsageError(
            `no point-in-time archive covers ${describeTarget(input.target)} (${why}), and no backup of ${input.server} was taken before it`,
          );
    return { kind: 'backup', backupId: backup.backupId, takenAt: backup.takenAt, why };
  }

  async function prepare(input: TableRecoveryInput, beat: (summary: string) => void): Promise<RecoveredCopy> {
    const { config } = deps;
    const server = requireDatabase(config, input.server);
    const root = await attemptFolder(folderOf(input), Context.current().info.attempt, config.tools.pgBinDir);
    const chosen = await chooseBaseFor(deps, input.server, input.target);
    if ('problem' in chosen) throw new UsageError(`${input.server}: ${chosen.problem}`);
    if (chosen.note) {
      log.warn(chosen.note, { server: input.server });
      beat(chosen.note);
    }
    const recovered = await recoverInstance(deps, {
      server: input.server,
      base: chosen.base,
      target: chosen.target,
      root,
      sharedParent: true,
      owner: input.workflowId,
      beat,
      signal: Context.current().cancellationSignal,
    });
    const copy = await connectTo({ ...recovered.instance, database: server.database }).catch((err: Error) => {
      throw new UsageError(
        `database ${server.database} cannot be opened as of ${describeTarget(input.target)} (${err.message}); did it exist then?`,
      );
    });
    const prepared = await renameAndCheck(copy, input, `as of ${describeTarget(input.target)}`);
    return {
      baseBackupId: chosen.base.backupId,
      recoveredTo: recovered.reached,
      port: recovered.port,
      folder: root,
      ...(chosen.note ? { note: chosen.note } : {}),
      ...prepared,
    };
  }

  /** In the copy (an instance or a database), the tables renamed, and every name they bring checked free in the target. */
  async function renameAndCheck(
    copy: Client,
    input: TableRecoveryInput,
    /** When the copy is of, for messages: "as of <target>", "in backup <id> (taken <time>)". */
    at: string,
  ): Promise<Pick<RecoveredCopy, 'tables' | 'renamed'>> {
    const live = await connectDatabase(requireDatabase(deps.config, input.into));
    try {
      const tables: RecoveredTable[] = [];
      const renamed: Renamed[][] = [];
      for (const name of input.tables) {
        // A retry finds what an earlier attempt renamed in the same temporary database.
        const done =
          (await renamedEarlier(copy, name)) ?? (await requireTableAt(copy, live, name, at), await renameInCopy(copy, name));
        tables.push(done.table);
        renamed.push(done.renamed);
      }
      // Every name that comes along, checked free in the target before anything is written there.
      for (const name of input.tables) {
        const taken = await takenNames(live, name.as.schema, await namesOf(copy, name));
        if (taken.length)
          throw new UsageError(
            `${taken.map((n) => `${name.as.schema}.${n}`).join(', ')} already exist in ${input.into}: choose another --as, or drop them first`,
          );
      }
      return { tables, renamed };
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
    const live = await connectDatabase(into);
    try {
      const kept: Array<string | null> = [];
      if (!(await loadedBy(live, input.tables, input.workflowId))) {
        // With --replace, what the live tables are now decides the swap: their names, foreign keys, grants.
        const after: string[] = [];
        for (const [i, name] of input.tables.entries()) {
          const comment = `${describeTable(name.from)} as of ${describeTarget(input.target)}, ${markOf(input.workflowId)}`;
          if (!name.keptAs) {
            after.push(`COMMENT ON TABLE ${qualified(name.as)} IS ${escapeLiteral(comment)}`);
            continue;
          }
          const exists = (await tableKind(live, name.from)) !== null;
          kept.push(exists ? describeTable(name.keptAs) : null);
          const fks = exists ? await foreignKeysAround(live, name.from) : { outgoing: [], incoming: [] };
          after.push(
            ...swapStatements({
              name: name as Required<RecoveryName>,
              live: exists ? dependentsOf(await tableDependents(live, name.from)) : null,
              copy: input.copy.renamed[i],
              outgoing: fks.outgoing.map((f) => ({ table: f, name: f.name, definition: f.definition })),
              incoming: fks.incoming.map((f) => ({
                table: { schema: f.schema, table: f.table },
                name: f.name,
                definition: f.definition,
              })),
              comment: `${comment}; the rows it had: ${describeTable(name.keptAs)}`,
            }),
          );
        }
        const source = input.copy.database
          ? { ...server, database: input.copy.database }
          : {
              ...server,
              host: '127.0.0.1',
              port: (await ensureRunning(deps, input.copy.folder ?? folderOf(input), input.copy.port)).port,
            };
        await copyTables(source, into, input, after, config.tools.pgBinDir);
      } else
        for (const name of input.tables)
          kept.push(name.keptAs && (await tableKind(live, name.keptAs)) ? describeTable(name.keptAs) : null);
      const tables: RecoveredTable[] = [];
      for (const [i, t] of input.copy.tables.entries()) {
        const name = input.tables[i];
        tables.push({
          ...t,
          as: describeTable(finalName(name)),
          rows: (await countRows(live, finalName(name))).rows,
          ...(name.keptAs ? { keptAs: kept[i], foreignKeysLeftOut: [] } : {}),
        });
      }
      const reached = input.copy.recoveredTo;
      const point = reached?.commitTime ?? input.copy.fromBackup?.takenAt;
      log.info('tables recovered', { server: input.server, into: input.into, tables: tables.map((t) => t.as) });
      return {
        server: input.server,
        into: input.into,
        baseBackupId: input.copy.baseBackupId,
        target: describeTarget(input.target),
        recoveredTo: reached,
        ...(input.copy.fromBackup ? { fromBackup: input.copy.fromBackup } : {}),
        lossSeconds:
          input.target.kind === 'time' && point ? Math.max(0, (Date.parse(input.target.time) - Date.parse(point)) / 1000) : null,
        tables,
        loadMs: Date.now() - started,
      };
    } finally {
      await live.end().catch(() => undefined);
    }
  }
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
