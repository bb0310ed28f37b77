/**
 * Verification activities: the strategy's verify_backup.sh checks, each reporting findings
 * (a failed check is a result, not an error; only infrastructure failures throw and retry).
 *   1. a test restore into a temporary database, dropped whatever happens; its load checks
 *      each data object against the manifest and decrypts all of it as it reads
 *   2. every table's row count against the manifest
 *   3. checksums of the stored objects against the manifest  } one download: the globals,
 *   4. the whole object decrypts with the recorded key        } or every object after a failure
 *   5. the size against earlier backups
 */
import { pipeline as streamPipeline, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressionAlgorithm } from '../src/infra/compression/compression';
import { decompressor } from '../src/infra/compression/streams';
import { Context, log } from '@temporalio/activity';
import { Client } from 'pg';
import {
  BackupManifest,
  dataBytes,
  dataCompressionOf,
  globalsCompressionOf,
  StoredObject,
} from '../src/operations/backup/manifest';
import { formatBytes } from '../src/operations/backup/progress';
import { openStoredObject } from '../src/operations/restore/read-object';
import {
  checkSize,
  compareRowCounts,
  IntegrityFindings,
  RestoreFindings,
  SizeCheck,
  VerificationRecord,
} from '../src/operations/verify/verification';
import { MeasuredObject, objectMismatches } from '../src/operations/verify/object-integrity';
import { removeDeadRunFiles } from '../src/operations/restore/work-files';
import { verificationNotice, verifyRunFailedNotice, type VerifyRunFailed } from '../src/operations/verify/notices';
import { loadBackup, loadingTools } from '../src/operations/restore/load-backup';
import { connectDatabase } from '../src/infra/postgres/client';
import { dropDatabase } from '../src/infra/postgres/drop-database';
import { readServerRecovery } from '../src/infra/postgres/standby';
import { writesProblem } from '../src/infra/postgres/takes-writes';
import { settledLeftovers } from '../src/operations/verify/leftovers';
import { poolerFullAdviceFor } from '../src/infra/postgres/pooler-limits';
import { extensionsProblem } from '../src/infra/postgres/extensions';
import { superuserNeedsProblem } from '../src/infra/postgres/superuser-objects';
import { serverOf, testRestoreServer } from '../src/infra/config/config';
import { DatabaseTarget } from '../src/infra/config/databases';
import { openDecryption } from '../src/infra/crypto/decrypt';
import { Keyring } from '../src/infra/crypto/keyring';
import { BackupNotFoundError, DatabaseConnectionError, IntegrityError } from '../src/infra/errors/errors';
import { ChannelResult } from '../src/infra/notify/notifier';
import { countAllTables } from '../src/infra/postgres/tables';
import { Measure } from '../src/infra/streams/measure';
import { scratchLike, scratchOfEndedRuns, type ScratchRun, type ScratchUse } from '../src/operations/restore/scratch-databases';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { ActivityDeps } from './deps';
import { loadsStreamed } from '../src/operations/restore/restore-plan';
import { whileBeating } from './heartbeat';
import { attemptName, earlierAttemptNames } from '../src/infra/temporal/attempt-names';
import { restoreMarkRun } from '../src/operations/restore/restore-plan';
import { isDead, stateOf } from './run-state';
import { isOverState } from '../src/infra/temporal/run-state';
import { deliver } from './notify';

export interface BackupRef {
  database: string;
  backupId: string;
}

export interface IntegrityInput extends BackupRef {
  /**
   * The test restore loaded the data objects completely, checking each against the manifest
   * (size and SHA-256) and decrypting all of it as it read: only the globals are left to read.
   */
  dataLoaded?: boolean;
}

export interface TestRestoreInput extends BackupRef {
  /** Name of the run's temporary database, made by the workflow; each attempt after the first loads into its own beside it (attemptName). */
  tempDatabase: string;
  workflowId: string;
  runId: string;
}

export const TEMP_DATABASE_PREFIX = 'pgwarden_verify_';
const COMMENT = /^pgwarden verify (\S+) (\S+)$/;

const sink = () => new Writable({ write: (_c, _e, done) => done() });

export function verifyActivities(deps: ActivityDeps) {
  /** A pgwarden backup (its manifest) or an old script's file of that id; neither is BackupNotFoundError. */
  const backupOf = async (ref: BackupRef): Promise<{ manifest: BackupManifest } | { legacy: { key: string; size: number } }> => {
    const found = await deps.store.manifest(ref.database, ref.backupId);
    if (found) return { manifest: found.manifest };
    const legacy = await deps.store.legacyObject(ref.backupId);
    if (legacy) return { legacy };
    throw new BackupNotFoundError(
      `no complete backup ${ref.backupId} of ${ref.database} (no manifest); list backups with pgwarden restore --list`,
    );
  };
  /** The server test restores run on, and the database to connect to for CREATE/DROP DATABASE. */
  const restoreServer = (database: string): DatabaseTarget => testRestoreServer(deps.config, database);

  /**
   * Reads one stored object once: hashes the stored bytes and decrypts (and gunzips) all of
   * them in the same pass. One chain of streams, no branches: when decryption stops early the
   * download is destroyed and the object is hashed in a pass of its own, so nothing waits on
   * a branch nobody reads. A missing object is a finding, not an error.
   */
  async function checkObject(
    label: string,
    obj: StoredObject,
    compression: CompressionAlgorithm,
    keyring: Keyring,
    keyId: string | undefined,
  ): Promise<{ hash?: MeasuredObject; decrypted?: number; error?: string }> {
    const where = `${label} object (${formatBytes(obj.storedBytes)})`;
    // Without a manifest (an old script's file) the object is read whole once, whatever its length.
    const expectedBytes = obj.sha256 ? obj.storedBytes : undefined;
    const open = async (): Promise<Readable | string> => {
      try {
        return await openStoredObject(deps.bucket, obj.key);
      } catch (err) {
        if (err instanceof IntegrityError) return err.message;
        throw err;
      }
    };
    const first = await open();
    if (typeof first === 'string') return { error: first };
    const stored = new Measure({ hash: true });
    const beat = (step: string, m: Measure) => () => ({
      step,
      key: obj.key,
      bytes: m.bytes,
      of: obj.storedBytes,
      summary: `${step}: ${formatBytes(m.bytes)} of ${formatBytes(obj.storedBytes)}`,
    });
    let decrypted: number | undefined;
    let error: string | undefined;
    await whileBeating(beat(`checking and decrypting the ${where}`, stored), async () => {
      const source = streamPipeline(first, stored, () => undefined);
      try {
        const d = await openDecryption(source, { keyring, keyId });
        const plain = new Measure();
        await pipeline([d.plaintext, ...decompressor(compression), plain, sink()]);
        decrypted = plain.bytes;
      } catch (err) {
        error = (err as Error).message;
      } finally {
        first.destroy();
      }
    });
    if (error === undefined && stored.writableFinished && (expectedBytes === undefined || stored.bytes === expectedBytes))
      return { hash: { bytes: stored.bytes, ...stored.digests() }, decrypted };
    // Decryption stopped early (or left bytes unread): hash the whole object on its own.
    const again = await open();
    if (typeof again === 'string') return { error: again };
    const whole = new Measure({ hash: true });
    await whileBeating(beat(`hashing the ${where}`, whole), () => pipeline(again, whole, sink()));
    return { hash: { bytes: whole.bytes, ...whole.digests() }, decrypted, error };
  }

  return {
    async verifyStoredObjects(ref: IntegrityInput): Promise<IntegrityFindings> {
      const backup = await backupOf(ref);
      const keyring = deps.keyring;
      if ('legacy' in backup) {
        // No manifest to compare with: the hashes found are recorded, and the file must decrypt and gunzip whole.
        const obj: StoredObject = { key: backup.legacy.key, storedBytes: backup.legacy.size, rawBytes: -1, sha256: '', md5: '' };
        const r = await checkObject('data', obj, 'gzip', keyring, undefined);
        const where = `old script's backup s3://${deps.config.storage.bucket}/${obj.key}`;
        return {
          checksums: r.hash
            ? {
                ok: true,
                detail: `${where} has no manifest to compare with; found ${r.hash.bytes} bytes, sha256 ${r.hash.sha256}, md5 ${r.hash.md5}`,
              }
            : { ok: false, detail: r.error! },
          decryption:
            r.hash && !r.error
              ? { ok: true, detail: `decrypted and decompressed completely (${formatBytes(r.decrypted ?? 0)} of SQL)` }
              : { ok: false, detail: `${where}: ${r.error ?? 'not attempted, the object is missing'}` },
        };
      }
      const manifest = backup.manifest;
      const checksumProblems: string[] = [];
      const decryptProblems: string[] = [];
      const data: Array<[string, StoredObject, CompressionAlgorithm]> = [
        ['data', manifest.data, dataCompressionOf(manifest)],
        ...(manifest.dataParts ?? []).map((p, i): [string, StoredObject, CompressionAlgorithm] => [
          `data part ${i + 2}`,
          p,
          dataCompressionOf(manifest),
        ]),
      ];
      const objects = [...(ref.dataLoaded ? [] : data), ['globals', manifest.globals, globalsCompressionOf(manifest)] as const];
      for (const [label, obj, compression] of objects) {
        const r = await checkObject(label, obj, compression, keyring, manifest.encryption.keyId);
        const where = `${label} object s3://${deps.config.storage.bucket}/${obj.key}`;
        if (!r.hash) {
          // Missing: the message names the object already.
          checksumProblems.push(r.error!);
          decryptProblems.push(`${label} object: not attempted, the object is missing`);
          continue;
        }
        checksumProblems.push(...objectMismatches(obj, r.hash).map((p) => `${where}: ${p}`));
        if (r.error) decryptProblems.push(`${where}: ${r.error}`);
        else if (r.decrypted !== obj.rawBytes)
          decryptProblems.push(`${where}: decrypted to ${r.decrypted} bytes, the manifest says ${obj.rawBytes}`);
      }
      const dataSize = `${formatBytes(dataBytes(manifest).storedBytes)}${manifest.dataParts?.length ? ` in ${manifest.dataParts.length + 1} parts` : ''}`;
      return {
        checksums: checksumProblems.length
          ? { ok: false, detail: checksumProblems.join('; ') }
          : {
              ok: true,
              detail: ref.dataLoaded
                ? `size and sha256 match for data (${dataSize}, checked as the test restore read it); size, sha256 and md5 for globals`
                : `sha256 and md5 match for data (${dataSize}) and globals`,
            },
        decryption: decryptProblems.length
          ? { ok: false, detail: decryptProblems.join('; ') }
          : {
              ok: true,
              detail: `decrypted completely with key ${manifest.encryption.keyId} (${manifest.encryption.algorithm})${ref.dataLoaded ? ', the data in the test restore' : ''}`,
            },
      };
    },

    async testRestore(input: TestRestoreInput): Promise<RestoreFindings> {
      const ctx = Context.current();
      const backup = await backupOf(input);
      const manifest = 'manifest' in backup ? backup.manifest : undefined;
      const server = restoreServer(input.database);
      const admin = await connectDatabase(server);
      const database = attemptName(input.tempDatabase, ctx.info.attempt);
      const temp = admin.escapeIdentifier(database);
      const beat = (step: string) => ctx.heartbeat({ step, database });
      const started = Date.now();
      const ticker = setInterval(() => beat(`restoring into ${database} (${Math.round((Date.now() - started) / 1000)}s)`), 5000);
      // Whether this attempt got as far as making its database: a refusal before then (a standby
      // among them, where even DROP DATABASE fails) leaves nothing to drop.
      let making = false;
      try {
        // A server that cannot take the test restore, or tools that cannot load this backup
        // there: the finding says so before any transfer.
        const refused = await writesProblem(admin, server, "a verification's test restore creates a database there", {
          standby: 'set VERIFY_DATABASE_URL to a server that takes writes (a staging server, or the primary)',
          readOnly: 'set VERIFY_DATABASE_URL to a user that writes',
        });
        const tools = await loadingTools(admin, manifest, deps.config.tools.pgBinDir);
        const where = `${server.host}:${server.port}`;
        const problem =
          refused ??
          tools.problem ??
          (await extensionsProblem(admin, manifest?.extensions, where)) ??
          (await superuserNeedsProblem(admin, manifest, where));
        if (problem)
          return {
            restore: { ok: false, detail: problem, restoreMs: Date.now() - started },
            rowCounts: { ok: false, tables: 0, differences: [] },
          };
        beat(`restoring into ${database}`);
        // Not a finding about the backup: the server could not give it a database (retried as the activity).
        let noDatabase: unknown;
        try {
          await loadBackup(deps.bucket, deps.keyring, deps.config, {
            server,
            database,
            dataKey: manifest ? manifest.data.key : 'legacy' in backup ? backup.legacy.key : '',
            expected: manifest?.data,
            parts: manifest?.dataParts?.map((p) => ({ key: p.key, expected: p })),
            keyId: manifest?.encryption.keyId,
            format: manifest?.pgDump.format === 'custom' ? 'custom' : 'plain-gz',
            streamed: manifest ? loadsStreamed(manifest.tables, manifest.dataParts?.length ?? 0) : false,
            compression: manifest ? dataCompressionOf(manifest) : 'gzip',
            // A throw-away copy, perhaps on a server without the application's roles.
            noAcl: true,
            noOwner: true,
            // Nor tablespaces: the test-restore server need not have production's.
            noTablespaces: true,
            // Nor subscriptions: creating one takes a superuser, and a copy must not subscribe.
            noSubscriptions: true,
            signal: ctx.cancellationSignal,
            run: { workflowId: input.workflowId, runId: input.runId },
            tools,
            prepare: async () => {
              making = true;
              try {
                // A retry starts clean: its earlier attempts' databases go (one still loading stops), and
                // its own name in case a reset started the attempts over.
                for (const earlier of [...earlierAttemptNames(input.tempDatabase, ctx.info.attempt), database])
                  await dropDatabase(admin, server, earlier);
                await admin.query(`CREATE DATABASE ${temp}`);
                await admin.query(
                  `COMMENT ON DATABASE ${temp} IS ${admin.escapeLiteral(`pgwarden verify ${input.workflowId} ${input.runId}`)}`,
                );
              } catch (err) {
                noDatabase = err;
                throw err;
              }
            },
          });
        } catch (err) {
          if (ctx.cancellationSignal.aborted || err === noDatabase) throw err;
          // A pooler with no room says nothing of the backup: retried as the activity, never a finding.
          const poolerFull = poolerFullAdviceFor(err);
          if (poolerFull)
            throw new DatabaseConnectionError(`test restore into ${database} failed: ${(err as Error).message}; ${poolerFull}`, {
              retryable: true,
            });
          return {
            restore: { ok: false, detail: (err as Error).message, restoreMs: Date.now() - started },
            rowCounts: { ok: false, tables: 0, differences: [] },
          };
        }
        const restoreMs = Date.now() - started;
        beat('counting rows in the restored database');
        const restored = await connectDatabase(server, { database });
        let actual;
        try {
          actual = await countAllTables(restored);
        } finally {
          await restored.end();
        }
        const restore = {
          ok: true,
          detail: `restored into a temporary database in ${(restoreMs / 1000).toFixed(1)}s`,
          restoreMs,
        };
        // An old script's backup: these are the first counts known of it, recorded with the verification.
        if (!manifest) return { restore, rowCounts: { ok: true, tables: actual.length, differences: [] }, counts: actual };
        const differences = compareRowCounts(manifest.tables, actual);
        return { restore, rowCounts: { ok: differences.length === 0, tables: manifest.tables.length, differences } };
      } finally {
        clearInterval(ticker);
        if (making)
          await dropDatabase(admin, server, database).catch((err: Error) =>
            log.error('could not drop the temporary database; the next verify removes it', {
              database,
              error: err.message,
            }),
          );
        await admin.end();
      }
    },

    async checkBackupSize(ref: BackupRef): Promise<SizeCheck> {
      const backup = await backupOf(ref);
      if ('legacy' in backup) return checkSize(backup.legacy.size, [], deps.config.verify.sizeChangePercent);
      const entries = await deps.store.catalog(ref.database);
      const index = entries.findIndex((e) => e.backupId === ref.backupId);
      if (index < 0)
        throw new BackupNotFoundError(
          `no complete backup ${ref.backupId} of ${ref.database}; list backups with pgwarden restore --list`,
        );
      const previous = entries.slice(index + 1, index + 1 + deps.config.verify.sizeHistory).map((e) => e.storedBytes);
      return checkSize(entries[index].storedBytes, previous, deps.config.verify.sizeChangePercent);
    },

    async recordVerification(record: VerificationRecord): Promise<string> {
      const key = await deps.store.putVerification(record);
      deps.metrics.verificationRecorded(record.database, record.status, record.checks.restore.restoreMs);
      return key;
    },

    /**
     * Removes temporary databases left by verifications that are no longer running (a worker
     * crash, a killed process): each carries the id of the run that made it in its comment.
     */
    async dropOrphanVerifyDatabases(input: { databases: string[] }): Promise<string[]> {
      const client = Context.current().client;
      const dropped: string[] = [];
      const unknown: string[] = [];
      const servers = new Map<string, DatabaseTarget>();
      for (const db of input.databases) {
        // Test restores run on the verify server; restores on the database's own.
        for (const s of [restoreServer(db), serverOf(deps.config, db)])
          if (!servers.has(`${s.host}:${s.port}`)) servers.set(`${s.host}:${s.port}`, s);
      }
      for (const server of servers.values()) {
        const admin: Client = await connectDatabase(server);
        try {
          // A standby holds no leftovers of its own and can drop none.
          if ((await readServerRecovery(admin)).inRecovery) continue;
          const rows = await settledLeftovers(
            async () =>
              (
                await admin.query<{ name: string; comment: string | null }>(
                  `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE $1`,
                  [`${TEMP_DATABASE_PREFIX.replace(/_/g, '\\_')}%`],
                )
              ).rows,
          );
          for (const row of rows) {
            const m = COMMENT.exec(row.comment ?? '');
            const state = m ? await stateOf({ workflowId: m[1], runId: m[2] }) : undefined;
            if (state === 'gone') unknown.push(row.name);
            if (state && !isOverState(state)) continue;
            await dropDatabase(admin, server, row.name);
            dropped.push(row.name);
            log.warn('dropped a temporary database left by an earlier verification', { database: row.name });
          }
          // Databases half loaded by restores whose run died (a complete restore clears its mark).
          const marked = await admin.query<{ name: string; comment: string }>(
            `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE shobj_description(oid, 'pg_database') LIKE 'pgwarden restore %'`,
          );
          for (const row of marked.rows) {
            const run = restoreMarkRun(row.comment);
            if (!run || !(await isDead(run))) continue;
            await dropDatabase(admin, server, row.name);
            dropped.push(row.name);
            log.warn('dropped a database half loaded by a restore that died', { database: row.name, workflowId: run.workflowId });
          }
          // Databases of restore tests, drills and table recoveries whose run is over (terminated before
          // its own clean-up): their names come from their run's id, so the runs this Temporal lists name them.
          const uses: Record<string, ScratchUse> = {
            [WorkflowType.restoreTest]: 'restoretest',
            [WorkflowType.disasterRecovery]: 'drill',
            [WorkflowType.recoverTable]: 'tables',
          };
          const scratch = await admin.query<{ name: string }>(
            `SELECT datname AS name FROM pg_database WHERE ${Object.values(uses)
              .map((_, i) => `datname LIKE $${i + 1}`)
              .join(' OR ')}`,
            Object.values(uses).map(scratchLike),
          );
          if (scratch.rows.length) {
            const runs: ScratchRun[] = [];
            const query = Object.keys(uses)
              .map((t) => `WorkflowType = '${t}'`)
              .join(' OR ');
            for await (const run of client.workflow.list({ query }))
              runs.push({
                use: uses[run.type],
                workflowId: run.workflowId,
                runId: run.runId,
                running: run.status.name === 'RUNNING',
              });
            const found = scratchOfEndedRuns(
              scratch.rows.map((r) => r.name),
              runs,
            );
            unknown.push(...found.unknown);
            for (const name of found.over) {
              await dropDatabase(admin, server, name);
              dropped.push(name);
              log.warn('dropped the temporary database of a restore test, drill or table recovery that is over', {
                database: name,
              });
            }
          }
        } finally {
          await admin.end();
        }
      }
      if (unknown.length)
        log.info(
          "left temporary databases whose runs this Temporal does not know: another deployment's on the same server, a run just started, or one past the namespace's retention (drop one by hand only once it is known to be none of the others)",
          { databases: unknown },
        );
      const files = await removeDeadRunFiles(deps.config.verify.workDir, isDead);
      if (files.length) log.warn('removed decrypted files left by runs that died', { files });
      return dropped;
    },

    async notifyVerification(record: VerificationRecord): Promise<ChannelResult[]> {
      return deliver(deps, verificationNotice(record));
    },

    async notifyVerifyRunFailed(failure: VerifyRunFailed): Promise<ChannelResult[]> {
      return deliver(deps, verifyRunFailedNotice(failure));
    },
  };
}
