/**
 * Restore activities: the strategy's restore_database.sh. A restore always loads into a fresh
 * database under a working name of its own, checks it against the manifest, and only then gives
 * it the target's name: for --new-db the name asked for; in place the live database's, whose old
 * contents are kept renamed (`<db>_before_<backup>`) so a bad restore never destroys the live
 * database. A half-loaded database never carries the target's name.
 */
import { Context, log } from '@temporalio/activity';
import { statfs } from 'node:fs/promises';
import { Client } from 'pg';
import {
  BackupManifest,
  dataBytes,
  dataCompressionBeforeVersion2,
  dataCompressionOf,
  dataObjects,
  TableCount,
} from '../src/operations/backup/manifest';
import type { CompressionAlgorithm } from '../src/infra/compression/compression';
import { loadBackup, loadingTools, LoadProgress } from '../src/operations/restore/load-backup';
import { formatBytes } from '../src/operations/backup/progress';
import { parseBackupId } from '../src/operations/backup/naming';
import {
  earlierAttemptFinished,
  isOwnLeftover,
  keptName,
  type LoadedDatabase,
  restoreMark,
  restoreMarkRun,
  newDatabaseRefusal,
  parseRestoreFile,
  restoreFileRefusal,
  retrievalEstimate,
  stagingName,
  validDatabaseName,
  workDirRoomProblem,
  loadsStreamed,
} from '../src/operations/restore/restore-plan';
import { compareRowCounts, describeDifference } from '../src/operations/verify/verification';
import { RestoreOutcome, restoreNotice } from '../src/operations/restore/notices';
import { tablespacePlan, type TablespacePlan } from '../src/operations/restore/tablespaces';
import { readGlobals } from '../src/operations/restore/globals';
import { parseGlobals, planRoles, type RolesPlan } from '../src/infra/postgres/globals-roles';
import { connectDatabase } from '../src/infra/postgres/client';
import { writesProblem } from '../src/infra/postgres/takes-writes';
import { poolerFullAdviceFor } from '../src/infra/postgres/pooler-limits';
import { localeProblem } from '../src/infra/postgres/locale-probe';
import { dropDatabase } from '../src/infra/postgres/drop-database';
import { extensionsProblem } from '../src/infra/postgres/extensions';
import { superuserNeedsProblem } from '../src/infra/postgres/superuser-objects';
import { requireDatabase, testRestoreServer } from '../src/infra/config/config';
import { DatabaseTarget } from '../src/infra/config/databases';
import {
  BackupError,
  BackupNotFoundError,
  ConfigError,
  DatabaseConnectionError,
  IntegrityError,
  UsageError,
} from '../src/infra/errors/errors';
import { ChannelResult } from '../src/infra/notify/notifier';
import {
  createDatabaseStatement,
  DatabaseProperties,
  databasePropertyStatements,
  readDatabaseProperties,
  RoleDependencies,
} from '../src/infra/postgres/database-properties';
import { countAllTables } from '../src/infra/postgres/tables';
import type { RestoreTools } from '../src/infra/postgres/restore-tools';
import { keptTiesWarnings, replicationTies } from '../src/infra/postgres/replication-ties';
import { ActivityDeps } from './deps';
import { isDead } from './run-state';
import { privateWorkDir, type RunRef } from '../src/operations/restore/work-files';
import { swapDatabases } from '../src/infra/postgres/swap-databases';
import { attemptName, earlierAttemptNames } from '../src/infra/temporal/attempt-names';
import { databaseOid, databaseWithOid, dropDatabaseIfStill } from '../src/infra/postgres/database-identity';
import { deliver } from './notify';
import { legacyKey } from '../src/infra/storage/layout';

export interface RestoreSource {
  kind: 'pgwarden' | 'legacy';
  backupId: string;
  dataKey: string;
  /** The data-only parts of a parallel backup (read, and retrieved from archive, with dataKey). */
  partKeys?: string[];
  format: 'custom' | 'plain-gz';
  /** What to undo after decryption; absent in runs recorded before zstd: none (custom) or gzip (plain). */
  compression?: CompressionAlgorithm;
  keyId?: string;
  takenAt?: string;
  storageClass?: string;
  storedBytes: number;
}

export interface RestoreDatabaseInput {
  database: string;
  source: RestoreSource;
  mode: 'new' | 'existing';
  /** --new-db name, or the configured database's own name in place. */
  targetName: string;
  /** --no-owner: everything restored belongs to the backup user, as pg_restore --no-owner does. */
  noOwner?: boolean;
  workflowId: string;
  runId: string;
  /** A new database on the test-restore server (VERIFY_DATABASE_URL) instead of the database's own. */
  onTestServer?: boolean;
  /** --create-roles: the roles the backup needs and the server lacks are created from its globals first. */
  createRoles?: boolean;
}

export interface RestoreDatabaseResult {
  restoredInto: string;
  keptAs: string | null;
  restoreMs: number;
  tables: number;
  rowCountsChecked: boolean;
  /** What was not given back as the backup had it (a missing tablespace, a role's setting), one line each. */
  warnings?: string[];
  /** Roles created from the backup's globals (--create-roles). */
  rolesCreated?: string[];
}

/** What restoreDatabase heartbeats: its progress, and from the moment it exists the database it made. */
interface RestoreHeartbeat {
  step: string;
  summary?: string;
  storedBytes?: number;
  of?: number;
  elapsedSeconds?: number;
  /** Read by the next attempt: the database this one made, by name and oid. */
  loadedInto?: LoadedDatabase;
}

/**
 * The first role a restore cannot give objects to (missing, or not one the backup user may act
 * as), as one line with its fix; referenced roles (grants, policies) must exist. undefined when
 * all is well.
 */
export async function roleProblem(
  admin: Client,
  roles: RoleDependencies,
  backupId: string,
  where: string,
  willCreate: ReadonlySet<string> = new Set(),
  testServer = false,
): Promise<string | undefined> {
  const { rows } = await admin.query<{ role: string; owner: boolean; present: boolean; member: boolean | null; me: string }>(
    `SELECT r.role, r.owner, p.rolname IS NOT NULL AS present,
            CASE WHEN p.rolname IS NOT NULL THEN pg_has_role(current_user, p.oid, 'MEMBER') END AS member, current_user AS me
       FROM unnest($1::text[], $2::boolean[]) AS r(role, owner) LEFT JOIN pg_roles p ON p.rolname = r.role
      ORDER BY r.owner DESC, r.role`,
    [
      [...roles.owners, ...roles.referenced],
      [...roles.owners.map(() => true), ...roles.referenced.map(() => false)],
    ],
  );
  for (const r of rows) {
    if (willCreate.has(r.role)) continue;
    if (!r.present) {
      const what = r.owner ? 'owns objects' : 'is granted privileges';
      // The monthly test restores owners and grants as a restore would, and has no options to give.
      const fix = testServer
        ? "create it on the test-restore server (VERIFY_DATABASE_URL) first, or set RESTORE_TEST_CREATE_ROLES=true to create it there from the backup's globals"
        : `restore with --create-roles (from the backup's globals), or create it first${r.owner ? ', or restore with --no-owner' : ''}`;
      return `role "${r.role}" ${what} in ${backupId} but does not exist on ${where}: ${fix}`;
    }
    if (r.owner && !r.member) {
      return `the backup user "${r.me}" cannot act as role "${r.role}", which owns objects in ${backupId}: run GRANT "${r.role}" TO "${r.me}"; and restore again, or restore with --no-owner`;
    }
  }
  return undefined;
}

/** The roles a restore creates (--create-roles, RESTORE_TEST_CREATE_ROLES), and the user that would create them. */
interface RoleCreation {
  plan: RolesPlan;
  creator: { name: string; superuser: boolean; createRole: boolean };
}

/** Those the backup needs that the server lacks, with the roles they are members of. */
async function rolesPlanFor(admin: Client, globals: string, manifest: BackupManifest): Promise<RoleCreation> {
  const parsed = parseGlobals(globals);
  // A manifest from before roles were recorded: every role of the globals.
  const needed = manifest.roles ? [...manifest.roles.owners, ...manifest.roles.referenced] : [...parsed.roles.keys()];
  const existing = (await admin.query<{ r: string }>('SELECT rolname AS r FROM pg_roles')).rows.map((x) => x.r);
  const creator = (
    await admin.query<RoleCreation['creator']>(
      `SELECT current_user AS name, rolsuper AS superuser, rolcreaterole OR rolsuper AS "createRole"
         FROM pg_roles WHERE rolname = current_user`,
    )
  ).rows[0];
  return { plan: planRoles(parsed, needed, new Set(existing), { superuser: creator.superuser }), creator };
}

/**
 * Refuses to create roles before anything starts when it cannot succeed; the roles it will
 * create. `asked`: what asked for it (--create-roles, or the monthly test's setting).
 */
function checkRoleCreation({ plan, creator }: RoleCreation, backupId: string, asked: string): ReadonlySet<string> {
  if (plan.unknown.length)
    throw new UsageError(
      `${plan.unknown.length === 1 ? `role "${plan.unknown[0]}" is` : `roles ${plan.unknown.map((r) => `"${r}"`).join(', ')} are`} needed by ${backupId} but not in its globals, so ${asked} cannot create ${plan.unknown.length === 1 ? 'it' : 'them'}: create ${plan.unknown.length === 1 ? 'it' : 'them'} first`,
    );
  if (plan.superusers.length)
    throw new UsageError(
      `${plan.superusers.map((r) => `"${r}"`).join(', ')} ${plan.superusers.length === 1 ? 'is a superuser' : 'are superusers'} in ${backupId}, and ${asked} does not make superusers: create ${plan.superusers.length === 1 ? 'it' : 'them'} yourself, or restore with --no-owner`,
    );
  if (plan.create.length) {
    if (!creator.createRole)
      throw new UsageError(
        `the backup user "${creator.name}" may not create roles, and ${asked} would create ${plan.create.map((r) => `"${r}"`).join(', ')}: run ALTER ROLE "${creator.name}" CREATEROLE; as a superuser, or create them first`,
      );
    if (plan.needSuperuser.length)
      throw new UsageError(
        `${plan.needSuperuser.map((r) => `"${r}"`).join(', ')} ${plan.needSuperuser.length === 1 ? 'has' : 'have'} SUPERUSER, REPLICATION or BYPASSRLS in ${backupId}, which only a superuser can give: create ${plan.needSuperuser.length === 1 ? 'it' : 'them'} first, or restore as a superuser`,
      );
  }
  return new Set(plan.create);
}

/**
 * Creates the roles in one transaction (all or none; a retry finds them and creates nothing),
 * and lets a backup user that is no superuser act as the owners among them, as a restore must.
 * Returns the lines the restore reports.
 */
async function createRoles(admin: Client, { plan, creator }: RoleCreation, owners: readonly string[]): Promise<string[]> {
  if (!plan.create.length) return [];
  const said: string[] = [];
  await admin.query('BEGIN');
  try {
    for (const statement of plan.statements) await admin.query(statement);
    for (const owner of plan.create.filter((r) => owners.includes(r) && !creator.superuser)) {
      await admin.query(`GRANT ${admin.escapeIdentifier(owner)} TO ${admin.escapeIdentifier(creator.name)}`);
      said.push(`the backup user "${creator.name}" was made a member of "${owner}" to give it its objects`);
    }
    await admin.query('COMMIT');
  } catch (err) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw new BackupError(
      `creating the roles ${plan.create.map((r) => `"${r}"`).join(', ')} from the backup's globals failed: ${(err as Error).message}`,
    );
  }
  for (const role of plan.withoutPassword)
    said.push(
      `role "${role}" was created without a password (backups leave passwords out unless BACKUP_GLOBALS_WITH_PASSWORDS): set one before it logs in`,
    );
  log.info("roles created from the backup's globals", { roles: plan.create });
  return said;
}

/** Whether a database exists, and its comment (where restores keep their mark). */
async function databaseComment(admin: Client, name: string): Promise<{ comment: string | null } | undefined> {
  const { rows } = await admin.query<{ c: string | null }>(
    `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`,
    [name],
  );
  return rows.length ? { comment: rows[0].c } : undefined;
}

/** PostgreSQL's error code for a database name already taken. */
const DUPLICATE_DATABASE = '42P04';

const alreadyExists = (name: string) => `database "${name}" already exists; choose another name with --new-db, or drop it first`;

export function restoreActivities(deps: ActivityDeps) {
  const target = (database: string): DatabaseTarget => requireDatabase(deps.config, database);
  /** What asks a restore to create the roles it lacks, if anything: the option, or the monthly test's setting. */
  const rolesAskedBy = (input: { createRoles?: boolean; onTestServer?: boolean }): string | undefined =>
    input.createRoles
      ? '--create-roles'
      : input.onTestServer && deps.config.verify.createRoles
        ? 'RESTORE_TEST_CREATE_ROLES'
        : undefined;
  /**
   * The input with the name the restore ends under: in place the configured database's own
   * name, which its id may not be (an alias's DATABASE_URL_<ALIAS>, a name with capitals or
   * spaces); before, such a restore loaded a new database under the id and left the real one
   * as it was. --new-db's name as asked, checked.
   */
  const named = <T extends { database: string; mode: 'new' | 'existing'; targetName: string }>(input: T): T => {
    if (input.mode === 'existing') return { ...input, targetName: target(input.database).database };
    if (!validDatabaseName(input.targetName)) throw new UsageError(newDatabaseRefusal(input.targetName));
    return input;
  };
  /** The server a restore loads into: the database's own, or for a new database on request the test-restore server. */
  const serverFor = (input: { database: string; mode: 'new' | 'existing'; onTestServer?: boolean }): DatabaseTarget =>
    input.onTestServer && input.mode === 'new' ? testRestoreServer(deps.config, input.database) : target(input.database);

  /** Loads the backup into `database`; a failed pg_restore / psql is a BackupError with its own words. */
  async function loadInto(
    server: DatabaseTarget,
    database: string,
    source: RestoreSource,
    manifest: BackupManifest | undefined,
    run: RunRef,
    progress: LoadProgress,
    noOwner: boolean,
    noTablespaces: boolean,
    tools: RestoreTools,
    prepare: () => Promise<void>,
  ): Promise<void> {
    const signal = Context.current().cancellationSignal;
    try {
      await loadBackup(
        deps.bucket,
        deps.keyring,
        deps.config,
        {
          server,
          database,
          dataKey: source.dataKey,
          expected: manifest?.data,
          parts: manifest?.dataParts?.map((p) => ({ key: p.key, expected: p })),
          keyId: source.keyId,
          format: source.format,
          compression: source.compression ?? dataCompressionBeforeVersion2(source.format),
          streamed: manifest ? loadsStreamed(manifest.tables, manifest.dataParts?.length ?? 0) : false,
          signal,
          run,
          noOwner,
          noTablespaces,
          tools,
          prepare,
        },
        progress,
      );
    } catch (err) {
      if (signal.aborted || !(err instanceof Error) || err.name !== 'Error') throw err;
      const text = `restore of ${source.backupId} into ${database} failed: ${err.message}`;
      // A pooler with no room: the pool's size to raise, and a retry may find room.
      const poolerFull = poolerFullAdviceFor(err);
      if (poolerFull) throw new DatabaseConnectionError(`${text}; ${poolerFull}`, { retryable: true });
      throw new BackupError(text);
    }
  }

  async function createFresh(
    admin: Client,
    server: DatabaseTarget,
    name: string,
    run: RunRef,
    props: DatabaseProperties | undefined,
    plan: TablespacePlan,
    noOwner: boolean,
    leftovers: { earlierAttempts: string[]; newTarget?: string },
  ): Promise<LoadedDatabase> {
    // The databases of this run's earlier attempts go first (one still loading stops), so nothing
    // of theirs reaches this attempt's; another run's, marked so, stays. Under a new database's
    // own name only this run's mark says it is ours (attempts of earlier versions loaded there).
    const earlier = [
      ...leftovers.earlierAttempts.map((n) => ({ name: n, staging: true })),
      ...(leftovers.newTarget ? [{ name: leftovers.newTarget, staging: false }] : []),
    ];
    for (const e of earlier) {
      const found = await databaseComment(admin, e.name);
      if (found && isOwnLeftover(found.comment, run, e.staging)) await dropDatabase(admin, server, e.name);
    }
    const existing = await databaseComment(admin, name);
    if (existing) {
      // Our own earlier attempt: start over. Anybody else's database: never touched.
      if (!isOwnLeftover(existing.comment, run, true)) throw new UsageError(alreadyExists(name));
      await dropDatabase(admin, server, name);
    }
    if (!props) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    else {
      const version = Number((await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
      await admin.query(createDatabaseStatement(name, { ...props, tablespace: plan.database }, version, { owner: !noOwner }));
    }
    await admin.query(`COMMENT ON DATABASE ${admin.escapeIdentifier(name)} IS ${admin.escapeLiteral(restoreMark(run))}`);
    const oid = await databaseOid(admin, name);
    if (!oid) throw new BackupError(`database "${name}" vanished right after it was created; restore again`);
    return { name, oid };
  }

  /**
   * The restore as an earlier attempt finished it, when that attempt's report never reached the
   * server: its worker stopped, or the server gave up on it and it went on to the end (its
   * heartbeats said which database it made). Loading again, or swapping in this attempt's copy,
   * would end refused on the copy that attempt put in place, and call a restore that happened a failure.
   */
  async function finishedByEarlierAttempt(
    admin: Client,
    input: RestoreDatabaseInput,
    run: RunRef,
    manifest: BackupManifest | undefined,
  ): Promise<RestoreDatabaseResult | undefined> {
    const previous = Context.current().info.heartbeatDetails as RestoreHeartbeat | undefined;
    if (!previous?.loadedInto) return undefined;
    if (!earlierAttemptFinished(await databaseWithOid(admin, previous.loadedInto.oid), input.targetName, run)) return undefined;
    const kept = input.mode === 'existing' ? keptName(input.targetName, input.source.backupId) : null;
    const keptAs = kept && (await databaseComment(admin, kept)) ? kept : null;
    log.warn('restore finished by an earlier attempt whose report never reached the server', {
      database: input.targetName,
      keptAs,
      backupId: input.source.backupId,
    });
    return {
      restoredInto: input.targetName,
      keptAs,
      restoreMs: Math.round((previous.elapsedSeconds ?? 0) * 1000),
      tables: manifest?.tables.length ?? 0,
      rowCountsChecked: manifest !== undefined,
      warnings: [
        "finished by an earlier attempt, whose report never reached the server; that attempt's own warnings, if any, are in its worker's log",
      ],
    };
  }

  /** Which tablespaces the restored database and its tables go to on this server (known before the load starts). */
  async function tablespacesFor(admin: Client, props: DatabaseProperties | undefined): Promise<TablespacePlan> {
    // Nothing recorded and the source gone: the server's defaults, tablespaces as the dump says.
    if (!props) return { database: 'pg_default', keepRelationTablespaces: true, warnings: [] };
    const here = (await admin.query<{ name: string }>('SELECT spcname AS name FROM pg_tablespace')).rows.map((r) => r.name);
    const plan = tablespacePlan(props, here);
    for (const w of plan.warnings) log.warn(w);
    return plan;
  }

  /** What the restored database should be around its contents: the backup's record, else the source's own now. */
  async function propertiesFor(
    server: DatabaseTarget,
    manifest: BackupManifest | undefined,
  ): Promise<DatabaseProperties | undefined> {
    if (manifest?.databaseProperties) return manifest.databaseProperties;
    const c = await connectDatabase(server).catch(() => undefined);
    if (!c) return undefined; // gone (a disaster): an older backup restores with the server's defaults
    try {
      return await readDatabaseProperties(c);
    } finally {
      await c.end();
    }
  }

  /**
   * Gives the loaded database its privileges and settings, as its owner so grants carry the
   * owner as grantor (its comment replaces the restore's mark when it takes its name). A setting
   * of one role in this database needs the right to alter that role: without it, a warning, not
   * a failed restore.
   */
  async function finalize(
    admin: Client,
    name: string,
    props: DatabaseProperties | undefined,
    noOwner: boolean,
  ): Promise<string[]> {
    if (!props) return [];
    const warnings: string[] = [];
    const statements = databasePropertyStatements(name, props);
    const perRole = (s: string) => s.startsWith('ALTER ROLE ');
    if (!noOwner) await admin.query(`SET ROLE ${admin.escapeIdentifier(props.owner)}`);
    try {
      for (const statement of statements.filter((s) => !perRole(s))) await admin.query(statement);
    } finally {
      if (!noOwner) await admin.query('RESET ROLE');
    }
    // A role's setting in this database is the role's to change: as the backup user itself.
    for (const statement of statements.filter(perRole))
      await admin.query(statement).catch((err: Error) => warnings.push(`not restored: ${statement} (${err.message})`));
    for (const w of warnings) log.warn(w);
    return warnings;
  }

  async function countAll(server: DatabaseTarget, database: string): Promise<TableCount[]> {
    const c = await connectDatabase(server, { database });
    try {
      return await countAllTables(c);
    } finally {
      await c.end();
    }
  }

  return {
    async resolveRestoreSource(input: { database: string; file?: string }): Promise<RestoreSource> {
      const st = deps.config.storage;
      if (!input.file) {
        const [newest] = await deps.store.catalog(input.database);
        if (!newest)
          throw new BackupNotFoundError(`no complete backup of ${input.database} to restore; run pgwarden backup first`);
        return {
          kind: 'pgwarden',
          backupId: newest.backupId,
          dataKey: newest.dataKey,
          ...(newest.partKeys ? { partKeys: newest.partKeys } : {}),
          format: newest.format === 'custom' ? 'custom' : 'plain-gz',
          compression: newest.compression,
          keyId: newest.encryption.keyId,
          takenAt: newest.takenAt,
          storageClass: newest.storageClass,
          storedBytes: newest.storedBytes,
        };
      }
      const refused = restoreFileRefusal(input.file, st.prefix, input.database);
      if (refused) throw new UsageError(refused);
      const ref = parseRestoreFile(input.file, st.prefix);
      if (!ref)
        throw new UsageError(
          `--file ${input.file}: expected a backup id (backup_20240101_120000), a backup's key, or an old script's backup_YYYYMMDD_HHMMSS.sql.gz.enc`,
        );
      const found = ref.legacyKey && ref.explicitPath ? undefined : await deps.store.manifest(input.database, ref.backupId);
      if (found) {
        const m = found.manifest;
        const objects = dataObjects(m);
        const heads = await Promise.all(objects.map((o) => deps.bucket.head(o.key)));
        const missing = objects.find((_, i) => !heads[i]);
        if (missing)
          throw new BackupError(
            `backup ${m.backupId} of ${input.database} has a manifest but its data object ${missing.key} is missing`,
          );
        const h = heads[0]!;
        return {
          kind: 'pgwarden',
          backupId: m.backupId,
          dataKey: m.data.key,
          ...(m.dataParts?.length ? { partKeys: m.dataParts.map((p) => p.key) } : {}),
          format: m.pgDump.format === 'custom' ? 'custom' : 'plain-gz',
          compression: dataCompressionOf(m),
          keyId: m.encryption.keyId,
          takenAt: m.snapshot.takenAt,
          storageClass: h.StorageClass ?? 'STANDARD',
          storedBytes: dataBytes(m).storedBytes,
        };
      }
      // An old script's file: named by its key, or by the id restore --list shows for it. Its name is its time.
      const legacy = ref.legacyKey ?? (ref.explicitPath ? undefined : legacyKey(st.prefix, ref.backupId));
      if (legacy) {
        const h = await deps.bucket.head(legacy);
        const takenAt = parseBackupId(ref.backupId)?.toISOString();
        if (h)
          return {
            kind: 'legacy',
            backupId: ref.backupId,
            dataKey: legacy,
            format: 'plain-gz',
            compression: 'gzip',
            takenAt,
            storageClass: h.StorageClass ?? 'STANDARD',
            storedBytes: h.ContentLength ?? 0,
          };
      }
      throw new BackupNotFoundError(
        `no backup ${input.file} of ${input.database} in s3://${st.bucket}/${st.prefix}; list them with pgwarden restore --list`,
      );
    },

    /** Whether an archived object can be read now. */
    async archiveState(input: { key: string }): Promise<'readable' | 'archived' | 'retrieving'> {
      const h = await deps.bucket.head(input.key);
      if (!h) throw new BackupError(`${deps.bucket.where(input.key)} does not exist`);
      if (h.StorageClass !== 'GLACIER' && h.StorageClass !== 'DEEP_ARCHIVE') return 'readable';
      if (!h.Restore) return 'archived';
      return /ongoing-request="true"/.test(h.Restore) ? 'retrieving' : 'readable';
    },

    /** Asks S3 to bring an archived object back for `days` days (idempotent: S3 accepts repeats). */
    async requestArchiveRetrieval(input: { key: string; storageClass: string; days: number }): Promise<string> {
      const { tier, hours } = retrievalEstimate(input.storageClass);
      await deps.bucket.requestRetrieval(input.key, input.days, tier);
      return `retrieval from ${input.storageClass} requested (${tier} tier, usually ${hours})`;
    },

    /**
     * The checks that need no data, run before an approval is asked, anyone is notified or a
     * byte is loaded: a refused target changes nothing. restoreDatabase checks again (races).
     */
    async checkRestoreTarget(
      asked: Omit<RestoreDatabaseInput, 'source'> & { backupId: string; kind?: RestoreSource['kind'] },
    ): Promise<{ targetName: string }> {
      const input = named(asked);
      // The target by its own name, for the run's status and notices (in place, an alias's id is not its name).
      const checked = { targetName: input.targetName };
      const server = serverFor(input);
      const admin = await connectDatabase(server, { database: 'postgres' });
      try {
        const testServer = input.onTestServer && input.mode === 'new';
        const refused = await writesProblem(
          admin,
          server,
          `${testServer ? 'the restore test' : 'a restore'} creates a database there`,
          {
            standby: testServer
              ? 'set VERIFY_DATABASE_URL to a server that takes writes (a staging server, or the primary)'
              : `restore into the primary (the DATABASE_URL of ${input.database}), or promote this standby first`,
            readOnly: testServer
              ? 'set VERIFY_DATABASE_URL to a user that writes'
              : `restore as a user that writes (the DATABASE_URL of ${input.database})`,
          },
        );
        if (refused) throw new UsageError(refused);
        // Rights first: a restore that would fail on CREATE DATABASE or ALTER ... OWNER TO fails here, before any approval.
        const me = (
          await admin.query<{ u: string; ok: boolean }>(
            `SELECT current_user AS u, rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user`,
          )
        ).rows[0];
        if (!me.ok)
          throw new UsageError(
            `the backup user "${me.u}" may not create databases, and every restore loads into a new one: run ALTER ROLE "${me.u}" CREATEDB; as a superuser`,
          );
        const manifest =
          input.kind === 'legacy' ? undefined : (await deps.store.manifest(input.database, input.backupId))?.manifest;
        // The database is made with the backup's locale and extensions: one this host lacks fails here, not in the load.
        if (manifest?.databaseProperties) {
          const problem = await localeProblem(admin, manifest.databaseProperties, `${server.host}:${server.port}`);
          if (problem) throw new UsageError(problem);
        }
        const missing =
          (await extensionsProblem(admin, manifest?.extensions, `${server.host}:${server.port}`)) ??
          (await superuserNeedsProblem(admin, manifest, `${server.host}:${server.port}`));
        if (missing) throw new UsageError(missing);
        const { problem } = await loadingTools(admin, manifest, deps.config.tools.pgBinDir);
        if (problem) throw new ConfigError([problem]);
        // A custom-format dump is decrypted to a file for the parallel pg_restore (unless it streams): room for it first.
        if (manifest?.pgDump.format === 'custom' && !loadsStreamed(manifest.tables, manifest.dataParts?.length ?? 0)) {
          const dir = await privateWorkDir(deps.config.verify.workDir);
          const fs = await statfs(dir);
          const problem = workDirRoomProblem(fs.bavail * fs.bsize, dataBytes(manifest).rawBytes, dir, input.backupId);
          if (problem) throw new ConfigError([problem]);
        }
        let willCreate: ReadonlySet<string> = new Set();
        const asked = rolesAskedBy(input);
        if (asked) {
          if (!manifest)
            throw new UsageError(
              `${asked} needs a backup with its globals; ${input.backupId} is an old script's backup without them: create the roles first`,
            );
          const creation = await rolesPlanFor(admin, await readGlobals(deps.bucket, deps.keyring, manifest), manifest);
          willCreate = checkRoleCreation(creation, input.backupId, asked);
        }
        if (manifest?.roles && !input.noOwner) {
          const problem = await roleProblem(
            admin,
            manifest.roles,
            input.backupId,
            `${server.host}:${server.port}`,
            willCreate,
            input.onTestServer,
          );
          if (problem) throw new UsageError(problem);
        }
        if (input.mode === 'new') {
          const existing = await databaseComment(admin, input.targetName);
          if (!existing || existing.comment === restoreMark(input)) return checked;
          // Half loaded by a restore whose run died: pgwarden's own leftover, removed.
          const leftBy = restoreMarkRun(existing.comment);
          if (leftBy && (await isDead(leftBy))) {
            await dropDatabase(admin, server, input.targetName);
            log.warn('dropped a database half loaded by a restore that died', {
              database: input.targetName,
              workflowId: leftBy.workflowId,
            });
            return checked;
          }
          throw new UsageError(alreadyExists(input.targetName));
        }
        const kept = keptName(input.targetName, input.backupId);
        if (await databaseComment(admin, kept))
          throw new UsageError(`database "${kept}" (an earlier restore's copy) exists; drop or rename it, then restore again`);
        return checked;
      } finally {
        await admin.end();
      }
    },

    async restoreDatabase(asked: RestoreDatabaseInput): Promise<RestoreDatabaseResult> {
      const ctx = Context.current();
      const input = named(asked);
      const server = serverFor(input);
      const run = { workflowId: input.workflowId, runId: input.runId };
      // Each attempt loads under a working name of its own: an attempt the server gave up on may
      // still be loading, and must not load into the next one's.
      const staging = stagingName(input.targetName, input.runId);
      const loadName = attemptName(staging, ctx.info.attempt);
      // Not the configured database: a server that lost it (a disaster) has none (checkRestoreTarget connects so too).
      const admin = await connectDatabase(server, { database: 'postgres' });
      const started = Date.now();
      const loaded: LoadProgress = { storedBytes: 0 };
      // Only the database this attempt made may ever be dropped or swapped in here, known by its oid:
      // an attempt the server gave up on may still be running while the next makes its own.
      let made: LoadedDatabase | undefined;
      const beat = (details: RestoreHeartbeat) =>
        ctx.heartbeat({
          elapsedSeconds: Math.round((Date.now() - started) / 100) / 10,
          ...details,
          ...(made ? { loadedInto: made } : {}),
        });
      const ticker = setInterval(() => {
        const step = `restoring ${input.source.backupId} into ${loadName}`;
        const read = `${formatBytes(loaded.storedBytes)} of ${formatBytes(input.source.storedBytes)} read`;
        beat({
          step,
          storedBytes: loaded.storedBytes,
          of: input.source.storedBytes,
          summary: `${step}: ${read}`,
        });
      }, 5000);
      let swapped = false;
      try {
        // Our own backups are checked against their manifest while they stream (size and hashes)
        // and after loading (row counts); without a manifest there is nothing to trust.
        let manifest: BackupManifest | undefined;
        if (input.source.kind === 'pgwarden') {
          manifest = (await deps.store.manifest(input.database, input.source.backupId))?.manifest;
          if (!manifest)
            throw new IntegrityError(
              `backup ${input.source.backupId} of ${input.database} has no manifest any more; restore another backup (pgwarden restore --list)`,
            );
        }
        const earlier = await finishedByEarlierAttempt(admin, input, run, manifest);
        if (earlier) return earlier;
        const noOwner = input.noOwner ?? false;
        const tools = await loadingTools(admin, manifest, deps.config.tools.pgBinDir);
        if (tools.problem) throw new ConfigError([tools.problem]);
        const props = await propertiesFor(server, manifest);
        let rolesCreated: string[] = [];
        const rolesSaid: string[] = [];
        const asked = rolesAskedBy(input);
        if (asked && manifest) {
          beat({ step: 'creating the roles the backup needs from its globals' });
          const creation = await rolesPlanFor(admin, await readGlobals(deps.bucket, deps.keyring, manifest), manifest);
          checkRoleCreation(creation, input.source.backupId, asked);
          rolesSaid.push(...(await createRoles(admin, creation, manifest.roles?.owners ?? [])));
          rolesCreated = creation.plan.create;
        }
        const spaces = await tablespacesFor(admin, props);
        beat({ step: `creating ${loadName} and fetching ${input.source.backupId}` });
        await loadInto(
          server,
          loadName,
          input.source,
          manifest,
          run,
          loaded,
          noOwner,
          !spaces.keepRelationTablespaces,
          tools,
          async () => {
            made = await createFresh(admin, server, loadName, run, props, spaces, noOwner, {
              earlierAttempts: earlierAttemptNames(staging, ctx.info.attempt),
              ...(input.mode === 'new' ? { newTarget: input.targetName } : {}),
            });
            beat({ step: `loading ${input.source.backupId} into ${loadName}` });
          },
        );
        const restoreMs = Date.now() - started;

        let tables = 0;
        let checked = false;
        if (manifest) {
          const differences = compareRowCounts(manifest.tables, await countAll(server, loadName));
          if (differences.length) {
            throw new BackupError(
              `the restored data does not match the manifest (${differences.map(describeDifference).join('; ')}); ${input.mode === 'existing' ? 'the existing database was left untouched' : `nothing was restored into ${input.targetName}`}`,
            );
          }
          tables = manifest.tables.length;
          checked = true;
        }
        beat({ step: `giving ${loadName} its owner's privileges and settings` });
        const notRestored = await finalize(admin, loadName, props, noOwner);
        // What differs from the backup on purpose: said in the result, not only in the worker's log.
        const warnings = [...rolesSaid, ...spaces.warnings, ...notRestored];
        const said = { ...(warnings.length ? { warnings } : {}), ...(rolesCreated.length ? { rolesCreated } : {}) };

        // The loaded database takes the target's name; in place the live one is kept under another.
        const kept = input.mode === 'existing' ? keptName(input.targetName, input.source.backupId) : null;
        beat({ step: kept ? `swapping ${loadName} in as ${input.targetName}` : `naming ${loadName} ${input.targetName}` });
        // The attempt this one replaced may have gone on and put its copy in place meanwhile: that
        // is the restore, and this attempt's copy goes.
        const finishedMeanwhile = async () => {
          const earlier = await finishedByEarlierAttempt(admin, input, run, manifest);
          if (earlier) await dropDatabaseIfStill(admin, server, made!.name, made!.oid);
          return earlier;
        };
        const earlierDone = await finishedMeanwhile();
        if (earlierDone) return earlierDone;
        if (kept && (await databaseOid(admin, kept)))
          throw new UsageError(`database "${kept}" (an earlier restore's copy) exists; drop or rename it, then restore again`);
        // A database is renamed only with nobody in it: the target's sessions, and whoever
        // (a monitoring agent) found the restored one.
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()',
          [kept ? [input.targetName, loadName] : [loadName]],
        );
        // None on a new server (a disaster): nothing is kept, and nothing is said to be.
        const keptAs = kept && (await databaseOid(admin, input.targetName)) ? kept : null;
        // What of replication stays with the kept database: said once it is kept.
        const ties = keptAs ? await replicationTies(admin, input.targetName) : undefined;
        const swapFailure = await swapDatabases(admin, {
          live: input.targetName,
          restored: loadName,
          restoredOid: made!.oid,
          keptAs,
          comment: props?.comment ?? null,
          ...(props && !noOwner ? { commentAs: props.owner } : {}),
        }).then(
          () => undefined,
          (err: unknown) => err as Error & { code?: string },
        );
        if (swapFailure?.code === DUPLICATE_DATABASE) {
          // A name taken since the check above: by that earlier attempt, or (a new database) by
          // somebody else, whose database stays while this one goes.
          const earlier = await finishedMeanwhile();
          if (earlier) return earlier;
          if (!kept) throw new UsageError(alreadyExists(input.targetName));
        }
        if (swapFailure) throw swapFailure;
        swapped = true;
        log.info(kept ? 'restored in place' : 'restored into a new database', {
          database: input.targetName,
          keptAs,
          backupId: input.source.backupId,
        });
        const tiesSaid = ties && keptAs ? keptTiesWarnings(ties, input.targetName, keptAs) : [];
        for (const w of tiesSaid) log.warn(w);
        const allSaid = tiesSaid.length ? { ...said, warnings: [...(said.warnings ?? []), ...tiesSaid] } : said;
        return { restoredInto: input.targetName, keptAs, restoreMs, tables, rowCountsChecked: checked, ...allSaid };
      } catch (err) {
        // Never leave a half-loaded database behind; never drop one that was swapped in, or one that is not ours.
        if (made && !swapped) await dropDatabaseIfStill(admin, server, made.name, made.oid).catch(() => undefined);
        throw err;
      } finally {
        clearInterval(ticker);
        await admin.end();
      }
    },

    async notifyRestore(outcome: RestoreOutcome): Promise<ChannelResult[]> {
      return deliver(deps, restoreNotice(outcome));
    },
  };
}
