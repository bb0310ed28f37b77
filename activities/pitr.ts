/**
 * Point-in-time restore into a new PostgreSQL instance on this worker's host: the newest base
 * backup before the target is unpacked into a new data directory, every WAL segment from its
 * start to the end of the archive (up to the first gap) is fetched beforehand into a folder
 * PostgreSQL's restore_command copies from (no process of ours per segment), and the instance
 * recovers to the target, is promoted, and says the exact point it reached.
 */
import { Context, log } from '@temporalio/activity';
import { existsSync, readdirSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { isPortFree } from '../src/infra/net/ports';
import { requireDatabase } from '../src/infra/config/config';
import { holdFolder } from '../src/infra/process/folder-holder';
import { BackupError, BackupNotFoundError, BusyError, ConfigError, UsageError } from '../src/infra/errors/errors';
import { clusterFits, instanceUser, stopInstance } from '../src/infra/postgres/instance';
import type { BaseBackupManifest } from '../src/operations/pitr/base-backup';
import { archiveStatus, baseBackups } from '../src/operations/pitr/archive';
import type { PitrStatus } from '../src/operations/pitr/window';
import { chooseBaseBackup, describeTarget, namedBaseBackup, RecoveryTarget } from '../src/operations/pitr/target';
import { parseSegmentName } from '../src/operations/pitr/wal-names';
import { pgProgram } from '../src/infra/postgres/binaries';
import { countAllTables } from '../src/infra/postgres/tables';
import { CommandError, runCommand } from '../src/infra/process/run-command';
import {
  BaseBackupVerification,
  baseVerificationFailures,
  compareBaseCounts,
  CountComparison,
  neverVerifiedBefore,
  storedBaseVerification,
} from '../src/operations/pitr/base-verification';
import { baseVerifications } from './base-verifications';
import { baseVerificationKey } from '../src/infra/storage/layout';
import { baseVerificationNotice } from '../src/operations/pitr/notices';
import { ActivityDeps } from './deps';
import { deliver } from './notify';
import { pitrRestoreNotice, type PitrRestoreOutcome } from '../src/operations/pitr/restore-notices';
import { beatingWithSummary } from './heartbeat';
import { proveReadKey } from './key-proof';
import { chooseBaseFor } from './restore-points';
import {
  attemptFolder,
  connectTo,
  discardInstance,
  discardRecoveryFiles,
  recoverInstance,
  RecoveredPoint,
  RecoveryPhases,
  runFolder,
  RUN_OWNER_FILE,
} from './recover-instance';

export type { RecoveryPhases } from './recover-instance';

/** The restorePointInTime activity's input (PitrRestoreWorkflow's own input is its caller's, in workflows/pitr-restore.ts). */
export interface RestorePointInTimeInput {
  server: string;
  target: RecoveryTarget;
  /** The base backup to start from (--base); default the newest one consistent before the target. */
  baseBackupId?: string;
  /** Where the new data directory goes (must not exist); default under PGWARDEN_WORK_DIR. */
  dataDir?: string;
  /** Port of the new instance; default a free one. */
  port?: number;
  /** Leave the instance running for the operator (default), or stop it and keep the data directory. */
  keepRunning: boolean;
  workflowId: string;
}

export interface PitrRestoreResult {
  server: string;
  baseBackupId: string;
  target: string;
  dataDir: string;
  /** The connection string of the running instance (no password: the original cluster's roles and passwords apply). */
  connection: string | null;
  port: number;
  /** The last transaction replayed: its commit time and the LSN replay reached. */
  recoveredTo: RecoveredPoint;
  /** For a time target: target minus the last replayed commit (what was not recovered, at most). */
  lossSeconds: number | null;
  walSegments: number;
  walBytes: number;
  durationMs: number;
  /** Where the time went: unpacking the base backup, fetching the WAL (beside both), recovery from start to promotion. */
  phases?: RecoveryPhases;
  /** Where the run's evidence report is stored (set by the workflow). */
  evidence?: { json: string; markdown: string } | null;
  /** What to know about the base backup chosen (a newer one passed over for its failed verification). */
  notes?: string[];
}

/**
 * The point-in-time restores running in this process, by data directory. A retry of a run
 * recovers in the same folder (the operator's --data-dir): the attempt it replaces, one the
 * server gave up on while it still ran, is stopped, and its files gone, before the retry takes
 * the folder over; two attempts never write in one folder at once. One in another process of
 * this host is seen by the folder's holder file (holdRestoreFolder).
 */
const restoresByFolder = new Map<string, { stop: AbortController; over: Promise<unknown> }>();

export function pitrActivities(deps: ActivityDeps) {
  /** The folder a run's restore recovers in: the operator's, or the run's own under PGWARDEN_WORK_DIR. */
  const restoreFolder = (input: RestorePointInTimeInput) =>
    resolve(input.dataDir ?? runFolder(deps.config.verify.workDir, input.server, input.workflowId));

  async function restorePointInTime(
    input: RestorePointInTimeInput,
    beat: (summary: string) => void,
    signal: AbortSignal,
  ): Promise<PitrRestoreResult> {
    const { config } = deps;
    const started = Date.now();
    const target = requireDatabase(config, input.server);
    const runAs = instanceUser();

    // 1. The base backup: the newest one that is consistent before the target, or the one named.
    beat('choosing the base backup');
    const chosen = await chooseBaseFor(deps, input.server, input.target, input.baseBackupId);
    if ('problem' in chosen) throw new UsageError(`${input.server}: ${chosen.problem}`);
    const base = chosen.base;
    if (chosen.note) log.warn(chosen.note, { server: input.server });

    // 2. A new data directory, never one in use; what an earlier attempt of this same run left is started over.
    const root = restoreFolder(input);
    const release = await holdRestoreFolder(root, input);
    try {
      const ownerFile = join(root, RUN_OWNER_FILE);
      const inUse = ['data', 'tablespaces'].map((d) => join(root, d)).find((d) => existsSync(d) && readdirSync(d).length);
      if (inUse) {
        const owner = await readFile(ownerFile, 'utf8').catch(() => undefined);
        if (owner?.trim() !== input.workflowId)
          throw new UsageError(`${inUse} exists and is not empty; choose another --data-dir or remove it`);
        beat('an earlier attempt of this restore left its files: starting again');
        await discardRecoveryFiles(root, config.tools.pgBinDir);
      }
      // Before hours of unpacking and replay, not after.
      if (input.port !== undefined && !(await isPortFree(input.port)))
        throw new UsageError(`--port ${input.port} is in use on this host; choose another or leave --port out for a free one`);
      await proveReadKey(deps.bucket, deps.keyring, base.encryption.keyId);

      // 3-5. Unpacked, its WAL fetched, recovered to the target and promoted.
      const recovered = await recoverInstance(deps, {
        server: input.server,
        base,
        target: chosen.target,
        root,
        sharedParent: !input.dataDir,
        port: input.port,
        owner: input.workflowId,
        beat,
        signal,
      });
      const { dataDir, port, reached } = recovered;
      if (!input.keepRunning) await stopInstance({ dataDir, runAs, pgBinDir: config.tools.pgBinDir });
      const lossSeconds =
        input.target.kind === 'time' && reached.commitTime
          ? Math.max(0, (Date.parse(input.target.time) - Date.parse(reached.commitTime)) / 1000)
          : null;
      log.info('point-in-time restore done', { server: input.server, base: base.backupId, lsn: reached.lsn, dataDir });
      return {
        server: input.server,
        baseBackupId: base.backupId,
        target: describeTarget(input.target),
        dataDir,
        connection: input.keepRunning
          ? `postgres://${encodeURIComponent(target.user)}@127.0.0.1:${port}/${encodeURIComponent(target.database)}`
          : null,
        port,
        recoveredTo: reached,
        lossSeconds,
        walSegments: recovered.walSegments,
        walBytes: recovered.walBytes,
        durationMs: Date.now() - started,
        phases: recovered.phases,
        ...(chosen.note ? { notes: [chosen.note] } : {}),
      };
    } finally {
      await release();
    }
  }

  /**
   * Takes the restore's folder for this attempt (made if missing; removed again when it stays
   * empty). One still working there in another worker process of this host cannot be stopped
   * from here: this attempt waits for it, retried; another run's is a usage error.
   */
  async function holdRestoreFolder(root: string, input: RestorePointInTimeInput): Promise<() => Promise<void>> {
    const made = !existsSync(root);
    await mkdir(root, { recursive: true, mode: 0o700 });
    const held = await holdFolder(root, `attempt ${Context.current().info.attempt} of ${input.workflowId}`);
    if ('heldBy' in held) {
      const { what, pid } = held.heldBy;
      if (!what.endsWith(` of ${input.workflowId}`))
        throw new UsageError(`${root} is in use by ${what} (process ${pid} of this host); choose another --data-dir`);
      throw new BusyError(
        `${what} still works in ${root}, in process ${pid} of this host (another worker on this host's queue, cut off from Temporal); this attempt is retried once it ends: run one worker per host queue`,
        { retryable: true },
      );
    }
    return async () => {
      await held.release();
      if (made) await rmdir(root).catch(() => undefined);
    };
  }

  async function verifyBaseBackup(
    input: { server: string; workflowId: string; backupId?: string },
    beat: (summary: string) => void,
  ): Promise<BaseBackupVerification> {
    const ctx = Context.current();
    const { config } = deps;
    const started = Date.now();
    const bases = await baseBackups(deps.bucket, config.storage.prefix, input.server);
    const chosen = input.backupId
      ? namedBaseBackup(bases, { kind: 'latest' }, input.backupId)
      : chooseBaseBackup(bases, { kind: 'latest' });
    if ('problem' in chosen)
      throw 'missing' in chosen
        ? new BackupNotFoundError(`${input.server}: ${chosen.problem}`)
        : new UsageError(`${input.server}: ${chosen.problem}`);
    const base = chosen.base;
    const root = await attemptFolder(
      runFolder(config.verify.workDir, `verify-${input.server}`, input.workflowId),
      ctx.info.attempt,
      config.tools.pgBinDir,
    );
    // The folder's token: gone when a later attempt discarded the folder while this one still ran.
    const token = `${input.workflowId} attempt ${ctx.info.attempt}`;
    await mkdir(root, { recursive: true, mode: 0o700 });
    await writeFile(join(root, RUN_OWNER_FILE), `${token}\n`, { mode: 0o600 });
    const takenOver = async () => (await readFile(join(root, RUN_OWNER_FILE), 'utf8').catch(() => '')).trim() !== token;
    let verifyBackup: BaseBackupVerification['verifyBackup'] = { ok: false, detail: 'not run: the copy was not unpacked' };
    let recovery: BaseBackupVerification['recovery'] = { ok: false, detail: '', seconds: null, lsn: null };
    let rowCounts: CountComparison = { compared: false, tables: 0, differences: [], skipped: 'not counted: recovery failed' };
    const target: RecoveryTarget = base.rowCounts
      ? { kind: 'lsn', lsn: base.rowCounts.lsn, before: true }
      : { kind: 'immediate' };
    const recoveryStarted = Date.now();
    try {
      const recovered = await recoverInstance(deps, {
        server: input.server,
        base,
        target,
        root,
        sharedParent: true,
        beat,
        signal: ctx.cancellationSignal,
        beforeStart: async (dataDir, walDir) => {
          beat(`pg_verifybackup: checking every file of ${base.backupId} and the WAL it needs`);
          verifyBackup = await runVerifyBackup(
            config.tools.pgBinDir,
            dataDir,
            await backupWalOnly(base, walDir, root),
            ctx.cancellationSignal,
          );
        },
      });
      recovery = {
        ok: true,
        detail: `recovered to ${describeTarget(target)}`,
        seconds: (Date.now() - recoveryStarted) / 1000,
        lsn: recovered.reached.lsn,
      };
      beat('counting the rows of the recovered copy');
      const c = await connectTo({ ...recovered.instance, database: base.rowCounts?.database ?? recovered.instance.database });
      try {
        const actual = await countAllTables(c);
        rowCounts = compareBaseCounts(
          base.rowCounts,
          actual,
          base.rowCounts ? await committedUnseen(c, base.rowCounts.snapshot) : 0,
        );
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch (err) {
      // The host lacks what runs a copy: the worker's installation, not the base backup, failed.
      // Cancelled: nothing was found about it either.
      if (err instanceof ConfigError || ctx.cancellationSignal.aborted) throw err;
      // Its folder taken away under it: that failure says nothing about the backup either.
      if (await takenOver())
        throw new BackupError(
          `the folder of this verification of ${base.backupId} (${root}) was removed while it ran: a later attempt of this run took over, or somebody removed it; nothing was found about the backup`,
        );
      recovery = { ...recovery, ok: false, detail: (err as Error).message };
    } finally {
      await discardInstance(root, config.tools.pgBinDir);
    }
    const failures = baseVerificationFailures({ verifyBackup, recovery, rowCounts });
    const result: BaseBackupVerification = {
      server: input.server,
      backupId: base.backupId,
      status: failures.length ? 'failed' : 'passed',
      failures,
      verifyBackup,
      recovery,
      rowCounts,
      durationMs: Date.now() - started,
    };
    log.info('base backup verified', { server: input.server, backupId: base.backupId, status: result.status, failures });
    // Kept for pitr list; the outcome is returned and notified either way, so a failed write is only logged.
    await deps.bucket
      .putJson(
        baseVerificationKey(config.storage.prefix, input.server, base.backupId),
        storedBaseVerification(result, new Date(), input.workflowId),
      )
      .catch((err: unknown) =>
        log.warn('base backup verification not stored', { backupId: base.backupId, error: (err as Error).message }),
      );
    await deliver(deps, baseVerificationNotice(result));
    return result;
  }

  return {
    async notifyPitrRestore(outcome: PitrRestoreOutcome) {
      await deliver(deps, pitrRestoreNotice(outcome));
    },

    async restorePointInTime(input: RestorePointInTimeInput): Promise<PitrRestoreResult> {
      const root = restoreFolder(input);
      const earlier = restoresByFolder.get(root);
      if (earlier) {
        log.warn('stopping the earlier attempt of this restore, still running here, before starting again', { root });
        earlier.stop.abort(new Error('replaced by a later attempt of the restore'));
        await earlier.over;
      }
      const stop = new AbortController();
      const signal = AbortSignal.any([Context.current().cancellationSignal, stop.signal]);
      const over = beatingWithSummary((beat) => restorePointInTime(input, beat, signal));
      restoresByFolder.set(root, { stop, over: over.catch(() => undefined) });
      try {
        return await over;
      } finally {
        if (restoresByFolder.get(root)?.stop === stop) restoresByFolder.delete(root);
      }
    },

    /**
     * Verification of the newest base backup (or the one named), on this host: unpacked with
     * its WAL, checked by pg_verifybackup before PostgreSQL touches it, recovered in a temporary
     * instance to the point its rows were counted at (or to consistency), rows counted and
     * compared. The instance and its folder go afterwards, whatever happened.
     */
    async verifyBaseBackup(input: { server: string; workflowId: string; backupId?: string }): Promise<BaseBackupVerification> {
      return beatingWithSummary((beat) => verifyBaseBackup(input, beat));
    },

    /** The base backups `verify --all-unverified` checks before the newest: never verified, oldest first. */
    async baseBackupsNeverVerified(input: { server: string }): Promise<string[]> {
      const bases = await baseBackups(deps.bucket, deps.config.storage.prefix, input.server);
      const newest = chooseBaseBackup(bases, { kind: 'latest' });
      if ('problem' in newest) return [];
      const verified = await baseVerifications(deps, input.server, bases);
      return neverVerifiedBefore(
        bases.map((b) => b.backupId),
        new Set(verified.keys()),
        newest.base.backupId,
      );
    },

    /** The point-in-time archive of a server in WAL_ARCHIVE, as verify reports it; null for other databases. */
    async checkPointInTimeArchive(input: { database: string }): Promise<PitrStatus | null> {
      if (!deps.config.wal.servers.includes(input.database)) return null;
      return archiveStatus(deps.bucket, deps.keyring, deps.config.storage.prefix, input.database);
    },

    /** Stops an instance a point-in-time restore left running; its data directory stays. */
    async stopPitrInstance(input: { dataDir: string }): Promise<void> {
      if (!existsSync(join(input.dataDir, 'PG_VERSION')))
        throw new UsageError(`${input.dataDir} is not a PostgreSQL data directory`);
      await stopInstance({ dataDir: input.dataDir, runAs: instanceUser(), pgBinDir: deps.config.tools.pgBinDir });
    },
  };
}

/**
 * A folder with only the segments from the base backup's start to its stop (hard links into
 * the fetched WAL): pg_waldump, which pg_verifybackup runs, takes the segment size from any
 * file it finds, and the open segment's copy after them may not have a page header yet.
 */
async function backupWalOnly(base: BaseBackupManifest, walDir: string, root: string): Promise<string> {
  const size = base.serverInfo.segmentBytes;
  const from = parseSegmentName(base.start.walFile, size)!;
  const to = parseSegmentName(base.stop.walFile, size)!;
  const folder = join(root, 'wal-verify');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  for (const name of await readdir(walDir)) {
    const s = parseSegmentName(name, size);
    if (s && s.timeline === to.timeline && s.segno >= from.segno && s.segno <= to.segno)
      await link(join(walDir, name), join(folder, name));
  }
  return folder;
}

/**
 * pg_verifybackup of an unpacked copy against its backup_manifest, and of the WAL it needs in
 * walDir: of the copy's own major version (PG_VERSION), whose pg_waldump reads that WAL.
 */
async function runVerifyBackup(
  pgBinDir: string | undefined,
  dataDir: string,
  walDir: string,
  signal: AbortSignal,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await runCommand(
      pgProgram('pg_verifybackup', pgBinDir, clusterFits(dataDir)),
      ['--wal-directory', walDir, dataDir],
      { timeoutMs: 6 * 3600_000, signal },
    );
    return { ok: true, detail: r.stdout.trim().split('\n').at(-1) ?? 'backup successfully verified' };
  } catch (err) {
    // Cancelled: stopped, which says nothing about the copy.
    if (signal.aborted) throw err;
    const said = err instanceof CommandError ? err.stderr.trim().split('\n').slice(0, 3).join(' | ') : '';
    return { ok: false, detail: said || (err as Error).message };
  }
}

/**
 * How many transactions the counting snapshot did not see as finished have committed in the
 * recovered copy: its in-progress list and every id from its xmax to the copy's next one.
 */
async function committedUnseen(c: Client, snapshot: string): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT txid_snapshot_xip($1::txid_snapshot) AS x
       UNION ALL
       SELECT g FROM generate_series(txid_snapshot_xmax($1::txid_snapshot), txid_snapshot_xmax(txid_current_snapshot()) - 1) g
     ) t WHERE txid_status(x) = 'committed'`,
    [snapshot],
  );
  return rows[0].n;
}
