/**
 * The backup's main activity: in one REPEATABLE READ snapshot, count every table's rows and
 * run `pg_dump --snapshot`, streaming its output through compression and encryption into an
 * S3 multipart upload while hashing the stored bytes; the cluster's globals upload alongside.
 * Heartbeats carry the phase and byte counts; cancellation, or a failure of any part, kills
 * pg_dump and pg_dumpall and aborts their uploads.
 */
import { Context, log } from '@temporalio/activity';
import { BackupManifest, DataPart, dataBytes, StoredObject, TableCount } from '../src/operations/backup/manifest';
import { mainDumpArgs, partDumpArgs, planDumpParts } from '../src/operations/backup/dump-parts';
import { compressionSuffix, pgDumpCompressArg, streamCompression } from '../src/infra/compression/compression';
import { compressionMajor } from '../src/infra/postgres/dump-compression';
import { parseToolMajor } from '../src/infra/postgres/versions';
import { dumpToolsFit } from '../src/infra/postgres/dump-tools';
import { dumpGlobalsAgainIfTablespaceDropped } from '../src/operations/backup/globals-dump';
import { streamProgramToS3 } from '../src/operations/backup/program-to-s3';
import { BackupError, DatabaseConnectionError } from '../src/infra/errors/errors';
import { droppedOnStandbyProblem } from '../src/infra/postgres/standby';
import { BackupProgress, progress, StallWatch } from '../src/operations/backup/progress';
import { lockWaitsOf } from '../src/infra/postgres/lock-waits';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { requireDatabase } from '../src/infra/config/config';
import { EncryptionFacts, encryptorFor } from '../src/infra/crypto/encryptor';
import { pgProgram } from '../src/infra/postgres/binaries';
import {
  DatabaseProperties,
  readDatabaseProperties,
  readRoleDependencies,
  RoleDependencies,
} from '../src/infra/postgres/database-properties';
import { ExtensionUse, readExtensions } from '../src/infra/postgres/extensions';
import { readSuperuserObjects } from '../src/infra/postgres/superuser-objects';
import { countRows, listTables, listTableSizes } from '../src/infra/postgres/tables';
import { runCommand } from '../src/infra/process/run-command';
import { ActivityDeps } from './deps';
import { clearEarlierAttempts } from './earlier-attempts';
import { ATTEMPT_METADATA, foundObject, stillOwnObject } from '../src/operations/backup/commit-check';
import { BackupKeys, backupKeys, claimKey, dataFolder, dataPartKey, manifestKey } from '../src/infra/storage/layout';

export interface DumpInput {
  database: string;
  backupId: string;
  workflowId: string;
  runId: string;
}

/**
 * What the dump stored: the manifest's facts about it (writeManifest writes them), with the keys and
 * the encryption used. databaseProperties, roles, extensions and superuserObjects stay optional: results in older histories lack them.
 */
export interface DumpResult extends Pick<
  BackupManifest,
  | 'backupId'
  | 'database'
  | 'databaseName'
  | 'server'
  | 'pgDump'
  | 'compression'
  | 'data'
  | 'dataParts'
  | 'globals'
  | 'tables'
  | 'databaseProperties'
  | 'roles'
  | 'extensions'
  | 'superuserObjects'
  | 'snapshot'
  | 'storage'
> {
  keys: BackupKeys;
  encryption: EncryptionFacts;
  /** The attempt that stored the objects (their ATTEMPT_METADATA); absent in results recorded before 2026-12-04. */
  attempt?: number;
}

/** How long pg_dump's output stands still before the backup looks for a lock it waits for. */
const LOCK_LOOK_AFTER_MS = 10_000;
/** How often it looks again while the output stands still (the holder may change, or its transaction end). */
const LOCK_LOOK_EVERY_MS = 30_000;

export function dumpAndUploadActivity(deps: ActivityDeps) {
  return async function dumpAndUpload(input: DumpInput): Promise<DumpResult> {
    const ctx = Context.current();
    const { config, bucket } = deps;
    const target = requireDatabase(config, input.database);
    const storage = config.storage;
    const policy = config.backup;
    const encryption = encryptorFor(deps.keyring);
    const compression = policy.compression;
    const started = Date.now();

    let state: Omit<BackupProgress, 'summary' | 'elapsedMs'> = {
      phase: 'connecting',
      rawBytes: 0,
      storedBytes: 0,
      tablesCounted: 0,
      tablesTotal: 0,
    };
    let ended = false;
    const beat = (patch: Partial<typeof state>) => {
      state = { ...state, ...patch };
      if (!ended) ctx.heartbeat(progress({ ...state, elapsedMs: Date.now() - started }));
    };
    beat({});
    // This attempt's sessions (pg_dump's and the counts'), named so that their lock waits can be found.
    const applicationName = `pgwarden ${input.backupId}`;
    // pg_dump writes nothing while it waits for a table's lock: once its output stands still, say whose.
    const stall = new StallWatch(LOCK_LOOK_AFTER_MS);
    let looking = false;
    let lookedAt = 0;
    // Between progress events (connecting, a slow S3 call) the elapsed time still moves.
    const keepAlive = setInterval(() => {
      if (!(state.phase === 'dumping' && stall.observe(state.rawBytes, Date.now()))) {
        beat({ waitingFor: undefined });
        return;
      }
      beat({});
      // A look is a connection: one at a time, and one each LOCK_LOOK_EVERY_MS while the wait lasts.
      if (looking || Date.now() - lookedAt < LOCK_LOOK_EVERY_MS) return;
      looking = true;
      lookedAt = Date.now();
      lockWaitsOf(target, applicationName)
        .then((waitingFor) => beat({ waitingFor }))
        // Only a hint: a server that is gone fails the dump itself, with its own words.
        .catch(() => undefined)
        .finally(() => (looking = false));
    }, 5000);
    try {
      // Whole seconds: S3 keeps retain-until dates at that precision, and the manifest says what S3 has.
      const objectLockUntil = storage.objectLock
        ? new Date(Math.floor((deps.now().getTime() + storage.objectLock.days * 86_400_000) / 1000) * 1000)
        : undefined;
      const metadata = {
        'pgwarden-database': target.id,
        'pgwarden-backup-id': input.backupId,
        'pgwarden-algorithm': encryption.facts.algorithm,
        'pgwarden-key-id': encryption.facts.keyId,
        'pgwarden-workflow-id': input.workflowId,
        'pgwarden-run-id': input.runId,
        [ATTEMPT_METADATA]: String(ctx.info.attempt),
      };
      const upload = (key: string, format: string) => ({
        key,
        metadata: { ...metadata, 'pgwarden-format': format },
        tags: { 'pgwarden-kind': 'data', 'pgwarden-database': target.id },
        storageClass: storage.storageClass,
        objectLockUntil,
      });
      const env = { ...libpqEnvironment(target), PGAPPNAME: applicationName };
      // With versions side by side, the newest whose dumps fit this server (as preflight chose).
      const fits = await dumpToolsFit([target], config.tools.pgBinDir);
      const pgDump = pgProgram('pg_dump', config.tools.pgBinDir, fits);
      // Independent set-up steps run together: each is a round trip, and a backup pays them all.
      const [pgDumpVersion] = await Promise.all([
        runCommand(pgDump, ['--version'], { env, timeoutMs: 10_000 }).then((r) => r.stdout.trim()),
        clearEarlierAttempts(bucket, {
          manifestKey: manifestKey(storage.prefix, target.id, input.backupId),
          objectsPrefix: `${dataFolder(storage.prefix, target.id)}${input.backupId}.`,
          runId: input.runId,
          claimKey: claimKey(storage.prefix, target.id, input.backupId),
          what: `backup ${input.backupId} of ${input.database}`,
        }),
      ]);
      // pg_dump 16+ compresses the custom format with zstd and lz4 itself (if built with them): what is stored, and its name, follow.
      const pgDumpMajor = await compressionMajor(pgDump, parseToolMajor(pgDumpVersion), compression);
      const keys = backupKeys(storage.prefix, target.id, input.backupId, policy.format, compression, pgDumpMajor);
      const dataCompression = streamCompression(policy.format, compression, pgDumpMajor);

      // One stop for everything this attempt runs: cancellation, or the first failure of any part.
      // That first failure is the one reported; the others are only the stop it caused.
      const stop = new AbortController();
      const onCancel = () => stop.abort();
      ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      let firstFailure: unknown;
      const stopOnFailure = <T>(work: Promise<T>) =>
        work.catch((err: unknown) => {
          if (!stop.signal.aborted) firstFailure = err;
          stop.abort();
          throw err;
        });
      // Objects this attempt finished storing: a failed attempt removes them, so it leaves nothing.
      const stored: string[] = [];
      const running: Array<Promise<unknown>> = [];
      const storing = (work: Promise<StoredObject>) => {
        const part = stopOnFailure(work.then((o) => (stored.push(o.key), o)));
        running.push(part.catch(() => undefined));
        return part;
      };
      // The cluster's globals are small and need no snapshot: they upload while the database dumps.
      const uploadingGlobals = storing(
        dumpGlobalsAgainIfTablespaceDropped(() =>
          streamProgramToS3({
            bucket,
            program: pgProgram('pg_dumpall', config.tools.pgBinDir, fits),
            programName: 'pg_dumpall',
            args: [
              '--globals-only',
              '--no-password',
              `--database=${target.database}`,
              ...(policy.globalsWithPasswords ? [] : ['--no-role-passwords']),
            ],
            env,
            compression,
            encryptor: encryption.create,
            upload: upload(keys.globals, `pg_dumpall-globals${compressionSuffix(compression.algorithm)}`),
            signal: stop.signal,
            onProgress: () => undefined,
          }),
        ),
      );

      let data: StoredObject;
      let dataParts: DataPart[];
      const tables: TableCount[] = [];
      let snapshot: { id: string; takenAt: string };
      let server: DumpResult['server'];
      // A standby's recovery may drop the dump's session without pg_dump hearing why.
      let standby = false;
      let databaseProperties: DatabaseProperties;
      let roles: RoleDependencies;
      let extensions: ExtensionUse[];
      let superuserObjects: string[];
      let globals: StoredObject;
      try {
        const client = await connectDatabase(target, { applicationName });
        try {
          // The snapshot both the counts and pg_dump see; it lives as long as this transaction.
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          // The counts run beside pg_dump: one core, no JIT, so they never crowd pg_dump out.
          await client.query('SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off');
          const snap = (
            await client.query<{ id: string; at: Date; v: string; n: string; r: boolean }>(
              "SELECT pg_export_snapshot() AS id, clock_timestamp() AS at, current_setting('server_version') AS v, current_setting('server_version_num') AS n, pg_is_in_recovery() AS r",
            )
          ).rows[0];
          standby = snap.r;
          snapshot = { id: snap.id, takenAt: snap.at.toISOString() };
          server = { host: `${target.host}:${target.port}`, version: snap.v, versionNum: Number(snap.n) };
          const list = await listTables(client);
          databaseProperties = await readDatabaseProperties(client);
          roles = await readRoleDependencies(client);
          extensions = await readExtensions(client);
          superuserObjects = await readSuperuserObjects(client);
          // A parallel backup gives its largest tables to data-only dumps in the same snapshot.
          const plan = policy.jobs > 1 ? planDumpParts(await listTableSizes(client), policy.jobs) : { parts: [], partBytes: [] };
          beat({ phase: 'dumping', tablesTotal: list.length });
          // Counting runs beside pg_dump, in the same snapshot: the counts match the dump exactly,
          // and the backup takes about as long as pg_dump alone. A failed count stops the dump.
          // The custom format compresses inside pg_dump where it can (gzip; zstd and lz4 from pg_dump 16);
          // otherwise zstd and lz4 run after pg_dump, on the core pg_dump and the server leave.
          const formatArgs =
            policy.format === 'custom' ? ['--format=custom', pgDumpCompressArg(compression, pgDumpMajor)] : ['--format=plain'];
          // Byte counts of every dump, summed for the heartbeat.
          const streamed = Array.from({ length: plan.parts.length + 1 }, () => ({ raw: 0, stored: 0 }));
          const dump = (i: number, key: string, args: string[], format: string) =>
            storing(
              streamProgramToS3({
                bucket,
                program: pgDump,
                programName: 'pg_dump',
                args: [`--snapshot=${snapshot.id}`, '--no-password', ...formatArgs, ...args, `--dbname=${target.database}`],
                env,
                compression: { algorithm: dataCompression, level: compression.level },
                encryptor: encryption.create,
                upload: upload(key, `${format}${compressionSuffix(dataCompression)}`),
                signal: stop.signal,
                onProgress: (raw, stored) => {
                  streamed[i] = { raw, stored };
                  beat({
                    rawBytes: streamed.reduce((n, x) => n + x.raw, 0),
                    storedBytes: streamed.reduce((n, x) => n + x.stored, 0),
                  });
                },
              }),
            );
          const dumping = dump(0, keys.data, mainDumpArgs(plan.parts), `pg_dump-${policy.format}`);
          const dumpingParts = plan.parts.map((tables, i) =>
            dump(
              i + 1,
              dataPartKey(storage.prefix, target.id, input.backupId, i + 2, compression, pgDumpMajor),
              partDumpArgs(tables),
              'pg_dump-custom-data-only',
            ).then((o): DataPart => ({ ...o, tables })),
          );
          const counting = stopOnFailure(
            (async () => {
              for (const t of list) {
                stop.signal.throwIfAborted();
                tables.push(await countRows(client, t, { inSnapshot: true }));
                beat({ tablesCounted: tables.length });
              }
            })(),
          );
          [data, dataParts] = await Promise.all([dumping, Promise.all(dumpingParts), counting]);
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
          await client.end().catch(() => undefined);
        }
        beat({ phase: 'uploading globals' });
        globals = await uploadingGlobals;
      } catch (err) {
        // Whatever failed first, nothing of this attempt keeps running: pg_dumpall included.
        stop.abort();
        // pg_dump and pg_dumpall are gone and their uploads aborted or finished before going on.
        await Promise.all(running);
        // What this attempt stored belongs to no backup now: remove it, as a retry would. Only
        // while it is still its own: a later attempt of the run may have stored its object there since.
        for (const key of stored) {
          try {
            const found = foundObject(await bucket.head(key));
            if (!found) continue;
            if (!stillOwnObject(found, ctx.info.attempt)) {
              log.warn("left alone a later attempt's object under a key this failed attempt had stored", { key });
              continue;
            }
            await bucket.delete(key);
          } catch (e) {
            log.warn('an object of a failed attempt was not removed; cleanup removes it', { key, error: (e as Error).message });
          }
        }
        const failure = firstFailure ?? err;
        const dropped = standby && failure instanceof DatabaseConnectionError ? droppedOnStandbyProblem(failure.message) : null;
        throw dropped ? new BackupError(dropped, { retryable: true }) : failure;
      } finally {
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
      }
      beat({ phase: 'uploaded' });
      log.info('backup uploaded', {
        database: target.id,
        key: keys.data,
        parts: dataParts!.length,
        storedBytes: dataBytes({ data, dataParts: dataParts! }).storedBytes,
        tables: tables.length,
      });

      return {
        backupId: input.backupId,
        database: target.id,
        databaseName: target.database,
        keys,
        attempt: ctx.info.attempt,
        server: server!,
        pgDump: { version: pgDumpVersion, format: policy.format },
        compression: {
          algorithm: compression.algorithm,
          level: compression.level,
          data: dataCompression,
          globals: compression.algorithm,
        },
        encryption: encryption.facts,
        data,
        ...(dataParts!.length ? { dataParts: dataParts! } : {}),
        globals: { ...globals, withPasswords: policy.globalsWithPasswords },
        tables,
        databaseProperties: databaseProperties!,
        roles: roles!,
        extensions: extensions!,
        superuserObjects: superuserObjects!,
        snapshot: snapshot!,
        storage: {
          bucket: storage.bucket,
          storageClass: storage.storageClass,
          serverSideEncryption: storage.serverSideEncryption,
          objectLockUntil: objectLockUntil?.toISOString() ?? null,
        },
      };
    } finally {
      ended = true;
      clearInterval(keepAlive);
    }
  };
}
