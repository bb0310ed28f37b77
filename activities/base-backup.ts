/**
 * A base backup of one server: `pg_basebackup` as one tar stream (PostgreSQL's backup_manifest
 * and the WAL of the copy's own span inside it), compressed by pg_basebackup itself, then
 * encrypted into an S3 multipart upload, with no temporary copy of the cluster (a server with
 * tablespaces besides the main one, or with incrementals on, goes through a bounded spool:
 * base-backup-spool.ts); then a wait
 * until the WAL archive holds the segment the backup ends in (without it the copy cannot be
 * made consistent); then the manifest, last.
 */
import { dirname } from 'node:path';
import { Context, log } from '@temporalio/activity';
import type { Client } from 'pg';
import { requireDatabase } from '../src/infra/config/config';
import { encryptorFor } from '../src/infra/crypto/encryptor';
import { BackupError, ConfigError, UsageError } from '../src/infra/errors/errors';
import { compressionSuffix, pgBasebackupCompressArg } from '../src/infra/compression/compression';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { streamingTool } from '../src/infra/postgres/streaming-tools';
import { parseToolMajor } from '../src/infra/postgres/versions';
import { checkReplicationAccess, checkReplicationServer } from '../src/infra/postgres/replication';
import { baseBackupFolder, baseBackupKeys, baseClaimKey, walFileOf, walFolder } from '../src/infra/storage/layout';
import { SealedUpload, streamProgramToS3 } from '../src/operations/backup/program-to-s3';
import { formatBytes } from '../src/operations/backup/progress';
import {
  BASE_BACKUP_FORMAT_VERSION,
  BASE_BACKUP_INCREMENTAL_VERSION,
  BASE_BACKUP_KIND,
  BASE_BACKUP_WITH_TABLESPACES_VERSION,
  BaseBackupManifest,
  newestBaseBackup,
  nextBaseBackupId,
  parseBaseBackupManifest,
} from '../src/operations/pitr/base-backup';
import { BasebackupOutput } from '../src/operations/pitr/basebackup-output';
import { otherClusterProblem } from '../src/operations/pitr/system-identifier';
import type { BaseBackupRowCounts } from '../src/operations/pitr/base-verification';
import { formatLsn, parseLsn, recordsEndBefore } from '../src/operations/pitr/wal-names';
import { countAllTables } from '../src/infra/postgres/tables';
import type { DatabaseTarget } from '../src/infra/config/databases';
import { PGWARDEN_VERSION } from '../src/app/version';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { DatabaseSA } from '../src/infra/temporal/search-attributes';
import { archivedSystem } from '../src/operations/pitr/archive-system';
import { ActivityDeps, archiveAccess } from './deps';
import { proveActiveKey } from './key-proof';
import { clearEarlierAttempts } from './earlier-attempts';
import { claimFreeId, releaseClaimAt } from './backup-id';
import { requireSpoolRoom, spoolCanStream, spooledCopy, spoolFolder } from './base-backup-spool';
import { otherTablespaces } from '../src/infra/postgres/tablespaces';
import { baseBackups } from '../src/operations/pitr/archive';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { decompressInto } from '../src/infra/compression/decompress-into';
import { openDecryption } from '../src/infra/crypto/decrypt';
import { serverMajor } from '../src/infra/postgres/versions';
import {
  failedWithChains,
  INCREMENTAL_MAJOR,
  nextBaseBackup,
  NextBaseBackup,
  restorable,
} from '../src/operations/pitr/incremental';
import { failedBaseBackups } from './base-verifications';
import { deliver } from './notify';
import { baseBackupNotice, type BaseBackupOutcome } from '../src/operations/pitr/notices';
import type { ChannelResult } from '../src/infra/notify/notifier';

export interface BaseBackupInput {
  server: string;
  backupId: string;
  workflowId: string;
  runId: string;
  /** Full even where an incremental could be taken (BASEBACKUP_INCREMENTALS). */
  full?: boolean;
}

/** What the copy stored; the manifest adds the times and the reason. */
export type BaseBackupCopy = Omit<
  BaseBackupManifest,
  'kind' | 'formatVersion' | 'startedAt' | 'finishedAt' | 'durationMs' | 'workflow' | 'reason' | 'pgwarden'
> & {
  manifestKey: string;
};

/**
 * Exact row counts of the server's database in one snapshot, with the WAL position read in
 * the same statement: a recovery to just before that position is comparable with them (see
 * src/operations/pitr/base-verification.ts). A transaction the snapshot does not see whose
 * commit record is already before the position would spoil that: one it saw running, or one
 * that began after it (the statement's snapshot is taken before its position is read, and a
 * busy machine can pause between the two); such a snapshot is taken again, a few times at
 * most. Read-only; the rows are counted, not sampled.
 */
const SNAPSHOT_TRIES = 50;

async function countBesideCopy(target: DatabaseTarget): Promise<BaseBackupRowCounts> {
  const client = await connectDatabase(target);
  // The next transaction id once the position is read: ids below it that began after the snapshot are the ones to check.
  const outside = await connectDatabase(target);
  try {
    for (let attempt = 1; ; attempt++) {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const at = (
        await client.query<{ snapshot: string; lsn: string }>(
          'SELECT txid_current_snapshot()::text AS snapshot, pg_current_wal_insert_lsn()::text AS lsn',
        )
      ).rows[0];
      const nextXid = (await outside.query<{ n: string }>('SELECT txid_snapshot_xmax(txid_current_snapshot())::text AS n'))
        .rows[0].n;
      // Each try takes milliseconds; on a busy 2-core machine five, and once twenty, were seen to
      // fall short (the verification then cannot compare the counts), so up to fifty, each after
      // a pause of up to 25 ms: a writer committing at a steady pace is not met in step every time.
      if (attempt < SNAPSHOT_TRIES && (await committedSince(client, at, nextXid))) {
        await client.query('ROLLBACK');
        await new Promise((r) => setTimeout(r, Math.random() * 25));
        continue;
      }
      await closeSegmentAt(target, at.lsn);
      const tables = await countAllTables(client, { inSnapshot: true });
      await client.query('COMMIT');
      return { database: target.database, snapshot: at.snapshot, lsn: formatLsn(parseLsn(at.lsn)), tables };
    }
  } finally {
    await client.end().catch(() => undefined);
    await outside.end().catch(() => undefined);
  }
}

/** Promise.all that waits for every promise and rethrows the first failure in the given order, not in time. */
async function firstFailureInOrder<T extends readonly unknown[] | []>(
  work: T,
): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const results: Array<PromiseSettledResult<unknown>> = await Promise.allSettled(work as readonly unknown[]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}

/**
 * Once the counting point is fixed, before the rows are counted: a record after it, even on an
 * idle server (recovery can only stop at a position some WAL reaches; an empty transaction with
 * an id writes its commit record), then the segment holding the point finished, so that the
 * archive takes it while the rows are counted instead of after (awaitBackupWal waits for it).
 */
async function closeSegmentAt(target: DatabaseTarget, lsn: string): Promise<void> {
  const client = await connectDatabase(target);
  try {
    await client.query('SELECT txid_current()');
    const { rows } = await client.query<{ f: string }>('SELECT pg_walfile_name($1::pg_lsn) AS f', [lsn]);
    await finishSegment(client, rows[0].f);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Switches the server to a new WAL segment if it still writes `walFile`, so the archive gets that one now. */
async function finishSegment(client: Client, walFile: string): Promise<void> {
  // The insert position: records not yet written out (synchronous_commit = off) count too.
  const current = (await client.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS f')).rows[0].f;
  if (current === walFile) await client.query('SELECT pg_switch_wal()');
}

/**
 * Whether a transaction the snapshot does not see has committed, once the WAL up to the
 * position is flushed: one it saw running, or one begun after it and before `nextXid` (the
 * same question the verification asks of the recovered copy, which would otherwise not compare).
 */
async function committedSince(client: Client, at: { snapshot: string; lsn: string }, nextXid: string): Promise<boolean> {
  // Up to 5 s: under load the WAL writer can take longer than a second to flush to the
  // position, and a check made before it misses a commit already written there (CI saw one).
  // Only the records before the position must be flushed: on an idle server the position lies
  // past a page header not yet written, which no flush reaches until the next record.
  const sizes = (
    await client.query<{ block: string; segment: string }>(
      `SELECT current_setting('wal_block_size') AS block, (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment`,
    )
  ).rows[0];
  const needed = formatLsn(recordsEndBefore(parseLsn(at.lsn), Number(sizes.block), Number(sizes.segment)));
  for (let i = 0; i < 250; i++) {
    const { rows } = await client.query<{ flushed: boolean }>('SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS flushed', [
      needed,
    ]);
    if (rows[0].flushed) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT txid_snapshot_xip($1::txid_snapshot) AS x
       UNION ALL
       SELECT g FROM generate_series(txid_snapshot_xmax($1::txid_snapshot), $2::bigint - 1) g
     ) t WHERE txid_status(x) = 'committed'`,
    [at.snapshot, nextXid],
  );
  return rows[0].n > 0;
}

export function baseBackupActivities(deps: ActivityDeps) {
  return {
    async copyCluster(input: BaseBackupInput): Promise<BaseBackupCopy> {
      const ctx = Context.current();
      const { config, bucket } = deps;
      const target = requireDatabase(config, input.server);
      const compression = config.backup.compression;
      const encryption = encryptorFor(deps.keyring);
      const { prefix } = config.storage;
      const env = libpqEnvironment(target);
      // Independent checks side by side; a failure is reported in this order, whichever came first.
      const spool = await spoolFolder(config.verify.workDir, { workflowId: input.workflowId, runId: input.runId });
      const [{ server, tablespaces, throughSpool, spoolLimit, next }] = await firstFailureInOrder([
        (async () => {
          const client = await connectDatabase(target);
          try {
            const checked = await checkReplicationServer(client, input.server);
            await checkReplicationAccess(target);
            // One tar stream holds the main tablespace only, and its backup_manifest only inside the
            // compressed tar: a server with other tablespaces, or whose next base backup may be an
            // incremental taken against this one's manifest, is copied through a spool, where
            // pg_basebackup writes each tar and the manifest as files of their own.
            const others = await otherTablespaces(client);
            const spooled = others.length > 0 || keepsBackupManifest(checked.versionNum);
            // Where the spool can be stored as it is written, it holds BASEBACKUP_SPOOL_MB at a time, else the whole copy.
            const limit = spooled && (await spoolCanStream(dirname(spool))) ? config.wal.baseBackupSpoolBytes : undefined;
            if (spooled) {
              const newest = newestBaseBackup(await baseBackups(bucket, config.storage.prefix, input.server));
              await requireSpoolRoom(client, spool, input.server, compression, newest, limit);
            }
            return {
              server: checked,
              tablespaces: others,
              throughSpool: spooled,
              spoolLimit: limit,
              next: await nextKind(client, checked),
            };
          } finally {
            await client.end().catch(() => undefined);
          }
        })(),
        // A copy nobody could decrypt with the original key is worse than none.
        proveActiveKey(bucket, deps.keyring),
      ]);
      const { program, version, problem } = await streamingTool('pg_basebackup', server.versionNum, config.tools.pgBinDir);
      if ((parseToolMajor(version) ?? 0) < 15)
        throw new ConfigError([
          `${version} is too old for base backups (client-side compression needs 15 or newer): install postgresql-client-15 or newer and point PG_BIN_DIR at it`,
        ]);
      if (problem) throw new ConfigError([problem]);
      // A copy of another cluster than the archive's could never replay its WAL.
      const otherCluster = otherClusterProblem(
        await archivedSystem(archiveAccess(deps), input.server, server.segmentBytes),
        server.systemIdentifier,
      );
      if (otherCluster) throw new UsageError(`${input.server}: ${otherCluster}`);
      // Without archiving the copy is useless: said now, not after the copy and ten minutes of waiting for its WAL.
      await requireArchiving(input.server);
      const compressArg = pgBasebackupCompressArg(compression);
      // An incremental is taken against its parent's backup_manifest, fetched to the work folder.
      const parentManifest = `${spool}.parent-backup_manifest`;
      if (next.kind === 'incremental') await fetchBackupManifest(next.parent, parentManifest);
      const holders = (id: string) => ({
        manifestKey: baseBackupKeys(prefix, input.server, id, compression).manifest,
        objectsPrefix: `${baseBackupFolder(prefix, input.server)}${id}.`,
        claimKey: baseClaimKey(prefix, input.server, id),
      });
      // Checked, now the id: the start second, or the next one free (a schedule's run and an operator's in the same
      // second each get their own). Claimed only now, so a refusal leaves nothing in the bucket.
      const backupId = await claimFreeId(deps, {
        from: input.backupId,
        runId: input.runId,
        next: nextBaseBackupId,
        holders,
        what: `base backup ids of ${input.server}`,
      });
      const keys = baseBackupKeys(prefix, input.server, backupId, compression);
      await clearEarlierAttempts(bucket, {
        ...holders(backupId),
        runId: input.runId,
        what: `base backup ${backupId} of ${input.server}`,
      });

      const started = Date.now();
      const said = new BasebackupOutput();
      let storedBytes = 0;
      let uploading: string | undefined;
      let held: number | undefined;
      const doing = () =>
        uploading
          ? `storing ${uploading} as pg_basebackup writes it to ${spool}${held === undefined ? '' : ` (pg_basebackup waits while the upload catches up: ${formatBytes(held)} there)`}`
          : throughSpool
            ? `copying the cluster to ${spool}`
            : 'copying the cluster';
      const beat = () =>
        ctx.heartbeat({
          rawBytes: said.doneBytes,
          storedBytes,
          summary: `${doing()}: ${said.percent}% (${formatBytes(said.doneBytes)} of about ${formatBytes(said.totalBytes)} read), ${formatBytes(storedBytes)} stored (${Math.round((Date.now() - started) / 1000)} s)`,
        });
      const keepAlive = setInterval(beat, 5000);
      const stop = new AbortController();
      const onCancel = () => stop.abort();
      ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      try {
        // The WAL of the copy's span is fetched into it only because that makes pg_basebackup say
        // the span's end (and the archive holds it too); progress gives the heartbeat a percentage.
        const args = [
          '--format=tar',
          '--wal-method=fetch',
          '--checkpoint=fast',
          '--verbose',
          '--progress',
          '--no-password',
          `--label=pgwarden ${backupId}`,
          ...(compressArg ? [compressArg] : []),
          ...(next.kind === 'incremental' ? [`--incremental=${parentManifest}`] : []),
        ];
        // Its messages are parsed: untranslated.
        const programEnv = { ...env, LC_MESSAGES: 'C' };
        // Stored by the objects before the one being uploaded (a spool holds several).
        let storedBefore = 0;
        const upload = (key: string, format: string): SealedUpload => ({
          bucket,
          // Compressed by pg_basebackup (or not at all, for none): stored as it comes.
          compression: { algorithm: 'none', level: 0 },
          encryptor: encryption.create,
          upload: {
            key,
            metadata: {
              'pgwarden-server': input.server,
              'pgwarden-backup-id': backupId,
              'pgwarden-format': format,
              'pgwarden-algorithm': encryption.facts.algorithm,
              'pgwarden-key-id': encryption.facts.keyId,
              'pgwarden-workflow-id': input.workflowId,
              'pgwarden-run-id': input.runId,
            },
            // Not 'data': the lifecycle rule must not move what a point-in-time restore reads at once to an archive class.
            tags: { 'pgwarden-kind': 'basebackup', 'pgwarden-server': input.server },
            storageClass: config.storage.storageClass,
          },
          signal: stop.signal,
          onProgress: (_raw, stored) => {
            storedBytes = storedBefore + stored;
            beat();
          },
        });
        const copied = throughSpool
          ? await spooledCopy({
              program,
              args,
              env: programEnv,
              spool,
              tablespaces,
              compression,
              keys,
              upload,
              onStderrLine: (line) => said.line(line),
              onUploading: (file) => {
                storedBefore = storedBytes;
                uploading = file;
              },
              onPaused: (paused, bytes) => {
                held = paused ? bytes : undefined;
                beat();
              },
              ...(spoolLimit ? { limitBytes: spoolLimit } : {}),
              signal: stop.signal,
            })
          : {
              // One tar on stdout with the backup_manifest injected.
              data: await streamProgramToS3({
                ...upload(keys.data, `pg_basebackup-tar${compressionSuffix(compression.algorithm)}`),
                program,
                programName: 'pg_basebackup',
                args: ['--pgdata=-', ...args],
                env: programEnv,
                onStderrLine: (line) => said.line(line),
              }),
            };
        const backupManifest = 'backupManifest' in copied ? copied.backupManifest : undefined;
        const points = said.points(server.segmentBytes);
        log.info('base backup copied', {
          server: input.server,
          start: points.start.lsn,
          stop: points.stop.lsn,
          storedBytes,
          // Through a spool: the most its tars took on disk at once, and how often pg_basebackup waited for the upload.
          ...('spool' in copied ? { spoolPeakBytes: copied.spool.peakBytes, spoolPauses: copied.spool.pauses } : {}),
        });
        ctx.heartbeat({
          rawBytes: said.doneBytes,
          storedBytes,
          summary: `counting the rows of ${target.database} for verification`,
        });
        const rowCounts = await countBesideCopy(target);
        return {
          backupId,
          server: input.server,
          serverInfo: {
            host: `${target.host}:${target.port}`,
            version: server.version,
            versionNum: server.versionNum,
            segmentBytes: server.segmentBytes,
            systemIdentifier: server.systemIdentifier,
          },
          pgBasebackup: { version, format: 'tar', walMethod: 'fetch' },
          ...points,
          compression: { algorithm: compression.algorithm, level: compression.level, data: compression.algorithm },
          encryption: encryption.facts,
          // The tar's size as pg_basebackup counted it (to the kB; every tablespace's): the worker sees only compressed bytes.
          data: { ...copied.data, rawBytes: said.doneBytes },
          ...('tablespaces' in copied && copied.tablespaces.length ? { tablespaces: copied.tablespaces } : {}),
          ...(backupManifest ? { backupManifest } : {}),
          ...(next.kind === 'incremental' ? { incremental: { parent: next.parent, chain: next.chain } } : {}),
          ...(next.kind === 'full' && next.why ? { fullBecause: next.why, fullReason: next.reason } : {}),
          rowCounts,
          manifestKey: keys.manifest,
        };
      } finally {
        clearInterval(keepAlive);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        await rm(parentManifest, { force: true });
      }

      /** Whether the next base backup may be an incremental taken against this one's backup_manifest (PostgreSQL 17+). */
      function keepsBackupManifest(versionNum: number): boolean {
        return config.wal.baseBackupIncrementals > 0 && serverMajor(versionNum) >= INCREMENTAL_MAJOR;
      }

      /** Full or incremental (BASEBACKUP_INCREMENTALS), from the server's WAL summaries and the newest base backup. */
      async function nextKind(client: Client, checked: { versionNum: number; timeline: number }): Promise<NextBaseBackup> {
        const incrementals = config.wal.baseBackupIncrementals;
        if (incrementals <= 0) return { kind: 'full' } as NextBaseBackup;
        const major = serverMajor(checked.versionNum);
        const summarizing =
          major >= INCREMENTAL_MAJOR
            ? (await client.query<{ on: boolean }>("SELECT current_setting('summarize_wal')::bool AS on")).rows[0].on
            : false;
        const summaries = summarizing
          ? (
              await client.query<{ timeline: number; startLsn: string; endLsn: string }>(
                'SELECT tli::int AS timeline, start_lsn::text AS "startLsn", end_lsn::text AS "endLsn" FROM pg_available_wal_summaries()',
              )
            ).rows
          : [];
        const bases = restorable(await baseBackups(bucket, config.storage.prefix, input.server));
        const newest = newestBaseBackup(bases);
        const failed = newest ? failedWithChains(bases, await failedBaseBackups(deps, input.server, bases)) : new Map();
        return nextBaseBackup({
          incrementals,
          serverMajor: major,
          summarizeWal: summarizing,
          summaries,
          timeline: checked.timeline,
          newest,
          newestFailed: !!newest && failed.has(newest.backupId),
          askedFull: input.full === true,
        });
      }

      /** The parent's backup_manifest, decrypted and decompressed into `file` (private to this run). */
      async function fetchBackupManifest(parentId: string, file: string): Promise<void> {
        const parent = (await baseBackups(bucket, config.storage.prefix, input.server)).find((b) => b.backupId === parentId);
        const body = parent?.backupManifest && (await bucket.open(parent.backupManifest.key));
        if (!parent || !body)
          throw new BackupError(
            `the backup_manifest of base backup ${parentId} is gone; taking the base backup again makes a full one`,
            {
              retryable: true,
            },
          );
        const decrypted = await openDecryption(body, { keyring: deps.keyring, keyId: parent.encryption.keyId });
        await decompressInto(decrypted.plaintext, parent.compression.algorithm, createWriteStream(file, { mode: 0o600 }));
      }
    },

    /**
     * Waits (heartbeating) until the archive holds the segment the backup ended in; the server
     * is asked to finish that segment so the wait is seconds, not until it fills up.
     */
    async awaitBackupWal(input: { server: string; walFile: string; timeoutSeconds: number }): Promise<void> {
      const ctx = Context.current();
      const { config, bucket } = deps;
      // Whatever compression the archiver used for it: the PostgreSQL name decides.
      const archived = async () =>
        (await bucket.list(`${walFolder(config.storage.prefix, input.server)}${input.walFile}.`)).some(
          (o) => walFileOf(o.key)?.fileName === input.walFile,
        );
      const client = await connectDatabase(requireDatabase(config, input.server));
      try {
        await finishSegment(client, input.walFile);
      } finally {
        await client.end().catch(() => undefined);
      }
      const deadline = Date.now() + input.timeoutSeconds * 1000;
      let nextCheck = Date.now() + 10_000;
      let problemSeen: string | null = null;
      for (;;) {
        if (await archived()) return;
        ctx.heartbeat({ summary: `waiting for ${input.walFile} in the WAL archive` });
        // Archiving that stopped or keeps failing will not bring the segment: said within seconds (seen twice,
        // so a round's continue-as-new is not taken for a stop), not after the whole timeout.
        if (Date.now() > nextCheck) {
          nextCheck = Date.now() + 5_000;
          const problem = await archivingProblem(input.server);
          if (problem && problemSeen) throw new BackupError(problem);
          problemSeen = problem;
        }
        if (Date.now() > deadline)
          throw new BackupError(
            `WAL segment ${input.walFile}, which the base backup needs, was not archived within ${input.timeoutSeconds} s: is WAL archiving of ${input.server} running? (pgwarden wal status; pgwarden wal start)`,
          );
        // A listing is cheap, and this wait is on every base backup's path: looked at every 100 ms.
        await new Promise((r) => setTimeout(r, 100));
      }
    },

    /** Tells people a base backup ended; never fails (an unreachable channel is in the result). */
    async notifyBaseBackup(outcome: BaseBackupOutcome): Promise<ChannelResult[]> {
      return deliver(deps, baseBackupNotice(outcome));
    },

    async writeBaseBackupManifest(input: {
      copy: BaseBackupCopy;
      reason: string;
      startedAt: string;
      workflow: { id: string; runId: string };
    }): Promise<BaseBackupManifest> {
      const { manifestKey, ...copy } = input.copy;
      const finishedAt = deps.now();
      const manifest: BaseBackupManifest = {
        kind: BASE_BACKUP_KIND,
        formatVersion: copy.incremental
          ? BASE_BACKUP_INCREMENTAL_VERSION
          : copy.tablespaces?.length
            ? BASE_BACKUP_WITH_TABLESPACES_VERSION
            : BASE_BACKUP_FORMAT_VERSION,
        ...copy,
        startedAt: input.startedAt,
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - new Date(input.startedAt).getTime(),
        workflow: input.workflow,
        reason: input.reason,
        pgwarden: { version: PGWARDEN_VERSION },
      };
      const written = await deps.bucket.putIfAbsent(manifestKey, JSON.stringify(manifest, null, 2) + '\n', {
        contentType: 'application/json',
        storageClass: 'STANDARD',
        metadata: {
          'pgwarden-server': copy.server,
          'pgwarden-backup-id': copy.backupId,
          'pgwarden-run-id': input.workflow.runId,
        },
      });
      const claim = baseClaimKey(deps.config.storage.prefix, copy.server, copy.backupId);
      if (written === 'written') {
        await releaseClaimAt(deps, claim, input.workflow.runId);
        return manifest;
      }
      const stored = parseBaseBackupManifest(written.existing.toString('utf8'), manifestKey);
      if (stored.workflow.runId !== input.workflow.runId)
        throw new BackupError(`base backup manifest ${manifestKey} was already written by run ${stored.workflow.runId}`);
      await releaseClaimAt(deps, claim, input.workflow.runId);
      return stored;
    },
  };
}

/**
 * What stops the server's WAL from reaching the archive, in one line, or null: no archiving run
 * (pgwarden wal start), or its round failing over and over (the archiver's own error). Read from
 * Temporal: the run of WalArchiveWorkflow for the server, and its pending round.
 */
async function archivingProblem(server: string): Promise<string | null> {
  const client = Context.current().client;
  // Database ids are [a-z0-9_-] (config): safe inside the query's quotes.
  const query = `WorkflowType = '${WorkflowType.walArchive}' AND ${DatabaseSA.name} = '${server}' AND ExecutionStatus = 'Running'`;
  for await (const run of client.workflow.list({ query })) {
    const d = await client.workflow.getHandle(run.workflowId, run.runId).describe();
    const pending = d.raw.pendingActivities?.[0];
    if (pending && (pending.attempt ?? 1) > 2 && pending.lastFailure?.message)
      return `WAL archiving of ${server} is failing (attempt ${pending.attempt}: ${pending.lastFailure.message}), so the WAL a base backup needs is not archived; see pgwarden wal status`;
    return null;
  }
  return `WAL archiving of ${server} is not running, so the WAL a base backup needs would never be archived: start it (pgwarden wal start), then take the base backup`;
}

/** Fails when archiving of the server is not running or keeps failing; the list catches up within a moment of `wal start`. */
async function requireArchiving(server: string): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const problem = await archivingProblem(server);
    if (!problem) return;
    if (Date.now() > until) throw new BackupError(problem);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
