/**
 * Point-in-time restore into a new PostgreSQL instance on this worker's host: the newest base
 * backup before the target is unpacked into a new data directory, every WAL segment from its
 * start to the end of the archive (up to the first gap) is fetched beforehand into a folder
 * PostgreSQL's restore_command copies from (no process of ours per segment), and the instance
 * recovers to the target, is promoted, and says the exact point it reached.
 */
import { Context, log } from '@temporalio/activity';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chmod, link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { ephemeralPort, isPortFree } from '../src/infra/net/ports';
import { requireDatabase } from '../src/infra/config/config';
import { decompressor } from '../src/infra/compression/streams';
import { decompressCommand } from '../src/infra/compression/compression';
import { openDecryption } from '../src/infra/crypto/decrypt';
import { BackupError, PgwardenError, UsageError } from '../src/infra/errors/errors';
import { handOver, instanceUser, RunAs, startInstance, stopInstance } from '../src/infra/postgres/instance';
import { formatBytes } from '../src/operations/backup/progress';
import type { BaseBackupManifest } from '../src/operations/pitr/base-backup';
import { ArchivedWal, archivedWal, archiveStatus, baseBackups } from '../src/operations/pitr/archive';
import type { PitrStatus } from '../src/operations/pitr/window';
import {
  autoConfLines,
  chooseBaseBackup,
  describeTarget,
  fetchedWalCommand,
  RecoveryTarget,
  recoverySettings,
  targetAfterArchive,
} from '../src/operations/pitr/target';
import { gapMessage, walContinuity } from '../src/operations/pitr/wal-continuity';
import {
  formatLsn,
  parseLsn,
  parseSegmentName,
  segmentName,
  segmentOf,
  timelineOfSegment,
  TimelineSwitch,
} from '../src/operations/pitr/wal-names';
import { pgProgram } from '../src/infra/postgres/binaries';
import { readRecoveryMinimums } from '../src/infra/postgres/control-data';
import { countAllTables } from '../src/infra/postgres/tables';
import { CommandError, runCommand } from '../src/infra/process/run-command';
import {
  BaseBackupVerification,
  baseVerificationFailures,
  compareBaseCounts,
  CountComparison,
} from '../src/operations/pitr/base-verification';
import { baseVerificationNotice } from '../src/operations/pitr/notices';
import { ActivityDeps } from './deps';
import { deliver } from './notify';
import { proveReadKey } from './key-proof';
import { WalFetch } from './wal-fetch';

export interface PitrRestoreInput {
  server: string;
  target: RecoveryTarget;
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
  recoveredTo: { commitTime: string | null; lsn: string; timeline: number };
  /** For a time target: target minus the last replayed commit (what was not recovered, at most). */
  lossSeconds: number | null;
  walSegments: number;
  walBytes: number;
  durationMs: number;
  /** Where the time went: unpacking the base backup, fetching the WAL (beside both), recovery from start to promotion. */
  phases?: RecoveryPhases;
}

export interface RecoveryPhases {
  unpackMs: number;
  walFetchMs: number | null;
  recoveryMs: number;
}

export function pitrActivities(deps: ActivityDeps) {
  return {
    async restorePointInTime(input: PitrRestoreInput): Promise<PitrRestoreResult> {
      const ctx = Context.current();
      const { config } = deps;
      const started = Date.now();
      const target = requireDatabase(config, input.server);
      const beat = (summary: string) => ctx.heartbeat({ summary });
      const runAs = instanceUser();

      // 1. The base backup: the newest one that is consistent before the target.
      beat('choosing the base backup');
      const bases = await baseBackups(deps.bucket, config.storage.prefix, input.server);
      const chosen = chooseBaseBackup(bases, input.target);
      if ('problem' in chosen) throw new UsageError(`${input.server}: ${chosen.problem}`);
      const base = chosen.base;

      // 2. A new data directory, never one in use; what an earlier attempt of this same run left is started over.
      const root = input.dataDir ?? runFolder(config.verify.workDir, input.server, input.workflowId);
      const ownerFile = join(root, RUN_OWNER_FILE);
      if (existsSync(join(root, 'data')) && (await readdir(join(root, 'data'))).length) {
        const owner = await readFile(ownerFile, 'utf8').catch(() => undefined);
        if (owner?.trim() !== input.workflowId)
          throw new UsageError(`${join(root, 'data')} exists and is not empty; choose another --data-dir or remove it`);
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
        target: input.target,
        root,
        sharedParent: !input.dataDir,
        port: input.port,
        owner: input.workflowId,
        beat,
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
      };
    },

    /**
     * Verification of the newest base backup, on this host: unpacked with
     * its WAL, checked by pg_verifybackup before PostgreSQL touches it, recovered in a temporary
     * instance to the point its rows were counted at (or to consistency), rows counted and
     * compared. The instance and its folder go afterwards, whatever happened.
     */
    async verifyBaseBackup(input: { server: string; workflowId: string }): Promise<BaseBackupVerification> {
      const ctx = Context.current();
      const { config } = deps;
      const started = Date.now();
      const beat = (summary: string) => ctx.heartbeat({ summary });
      const bases = await baseBackups(deps.bucket, config.storage.prefix, input.server);
      const chosen = chooseBaseBackup(bases, { kind: 'latest' });
      if ('problem' in chosen) throw new UsageError(`${input.server}: ${chosen.problem}`);
      const base = chosen.base;
      const root = runFolder(config.verify.workDir, `verify-${input.server}`, input.workflowId);
      // An earlier attempt's instance and files go first: a retry starts clean.
      await discardInstance(root, config.tools.pgBinDir);
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
          beforeStart: async (dataDir, walDir) => {
            beat(`pg_verifybackup: checking every file of ${base.backupId} and the WAL it needs`);
            verifyBackup = await runVerifyBackup(config.tools.pgBinDir, dataDir, await backupWalOnly(base, walDir, root));
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
      await deliver(deps, baseVerificationNotice(result));
      return result;
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

interface RecoverySpec {
  server: string;
  base: BaseBackupManifest;
  target: RecoveryTarget;
  /** The folder that gets data/ and wal/. */
  root: string;
  /** root is under PGWARDEN_WORK_DIR/pgwarden-pitr, which the instance's user must pass through. */
  sharedParent: boolean;
  port?: number;
  /** The run that owns root, written into it (a retry of that run may start it over). */
  owner?: string;
  /** Runs on the unpacked copy and its WAL before PostgreSQL touches them (pg_verifybackup). */
  beforeStart?: (dataDir: string, walDir: string) => Promise<void>;
  beat: (summary: string) => void;
}

interface Recovered {
  dataDir: string;
  walDir: string;
  port: number;
  reached: PitrRestoreResult['recoveredTo'];
  walSegments: number;
  walBytes: number;
  phases: RecoveryPhases;
  /** Where to connect, as the server's own user. */
  instance: Parameters<typeof connectTo>[0];
}

/**
 * A base backup brought to a target in a new instance on this host: its WAL checked for gaps
 * before anything is written, unpacked, every segment recovery may read fetched beforehand
 * (restore_command only copies), recovered and promoted. The instance is left running.
 */
async function recoverInstance(deps: ActivityDeps, spec: RecoverySpec): Promise<Recovered> {
  const { config, bucket } = deps;
  const { base, beat } = spec;
  const target = requireDatabase(config, spec.server);
  const runAs = instanceUser();
  // The WAL from its start, checked for gaps before anything is written to disk.
  const archive = await archivedWal(deps.bucket, deps.keyring, config.storage.prefix, spec.server);
  const timeline = Math.max(base.start.timeline, ...archive.histories.keys());
  const history = archive.histories.get(timeline) ?? [];
  const continuity = walContinuity({
    from: parseLsn(base.start.lsn),
    timeline,
    history,
    stored: archive.segments.keys(),
    segmentBytes: base.serverInfo.segmentBytes,
  });
  const tooLate = targetAfterArchive(spec.target, archive.newestStoredAt, base);
  if (tooLate) throw new UsageError(`${spec.server}: ${tooLate}`);
  if (continuity.firstMissing && spec.target.kind === 'lsn' && parseLsn(spec.target.lsn) > continuity.reachableUntil)
    throw new BackupError(`${spec.server}: ${gapMessage(continuity)}`);
  if (continuity.reachableUntil < parseLsn(base.stop.lsn))
    throw new BackupError(
      `${spec.server}: the WAL base backup ${base.backupId} needs is not all archived (${gapMessage(continuity) ?? `nothing after ${base.start.walFile}`}); choose another base backup or check pgwarden wal status`,
    );

  const dataDir = join(spec.root, 'data');
  const walDir = join(spec.root, 'wal');
  if (spec.sharedParent) {
    // The instance's user must pass through the shared parent to reach its own folder.
    const parent = join(config.verify.workDir, 'pgwarden-pitr');
    await mkdir(parent, { recursive: true });
    await chmod(parent, 0o711);
  }
  await mkdir(spec.root, { recursive: true, mode: 0o700 });
  if (spec.owner) await writeFile(join(spec.root, RUN_OWNER_FILE), `${spec.owner}\n`, { mode: 0o600 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await mkdir(walDir, { recursive: true, mode: 0o700 });
  for (const dir of [spec.root, dataDir, walDir]) handOver(dir, runAs);

  // The WAL recovery may read is fetched in order beside everything else (see WalFetch).
  // Whatever fails before PostgreSQL starts leaves no half-unpacked copy behind.
  const wal = new WalFetch(
    { bucket, keyring: deps.keyring },
    neededWal(base, continuity.newest, timeline, history, archive),
    { walDir, runAs, doneMarker: WAL_FETCHED_MARKER },
    beat,
  );
  let started = false;
  const unpackFrom = Date.now();
  let unpackMs = 0;
  try {
    // A fetch that fails once PostgreSQL runs stops it: with no target it would promote at the
    // missing file as if the archive ended there.
    await wal.start(async () => {
      if (started) await stopInstance({ dataDir, runAs, pgBinDir: config.tools.pgBinDir }).catch(() => undefined);
    });
    beat(`unpacking ${base.backupId} (${formatBytes(base.data.storedBytes)}) into ${dataDir}`);
    await unpackBaseBackup(deps, base, dataDir, runAs);
    unpackMs = Date.now() - unpackFrom;
    if (spec.beforeStart) {
      await wal.finished();
      await spec.beforeStart(dataDir, walDir);
    }
  } catch (err) {
    await wal.settled();
    await discardRecoveryFiles(spec.root, config.tools.pgBinDir);
    throw err;
  }

  // The copied cluster's own instance log came along: this instance starts a log of its own.
  const instanceLog = join(dataDir, 'pgwarden-instance.log');
  if (existsSync(instanceLog)) await writeFile(instanceLog, '');

  // Recovery settings; the instance runs on this host only, never archiving anywhere.
  const confFile = join(dataDir, 'postgresql.conf');
  if (!existsSync(confFile)) {
    await writeFile(confFile, '# written by pgwarden: the base backup had no postgresql.conf\n');
    handOver(confFile, runAs);
  }
  const auto = join(dataDir, 'postgresql.auto.conf');
  await appendFile(
    auto,
    `\n# pgwarden point-in-time restore to ${describeTarget(spec.target)}\n${autoConfLines(recoverySettings(spec.target, fetchedWalCommand(walDir, WAL_FETCHED_MARKER)))}\n`,
  );
  handOver(auto, runAs);
  const signal = join(dataDir, 'recovery.signal');
  await writeFile(signal, '');
  handOver(signal, runAs);

  // A gap after the base backup ends recovery there: said with the failure, if recovery stops short.
  const gapNote = continuity.firstMissing ? `; ${gapMessage(continuity)}` : '';
  const port = spec.port ?? (await ephemeralPort());
  if (wal.error) {
    await discardRecoveryFiles(spec.root, config.tools.pgBinDir);
    throw wal.error;
  }
  beat(`recovering to ${describeTarget(spec.target)} on port ${port}`);
  started = true;
  const recoveryFrom = Date.now();
  try {
    await startInstance({
      dataDir,
      port,
      runAs,
      pgBinDir: config.tools.pgBinDir,
      // The primary's connection and worker limits, or a hot standby refuses to start.
      settings: { ...(await readRecoveryMinimums(dataDir, config.tools.pgBinDir)), archive_mode: 'off', hot_standby: 'on' },
      timeoutSeconds: 3600,
    });
  } catch (err) {
    if (wal.error) throw wal.error;
    throw new BackupError(`${spec.server}: recovery stopped: ${await lastFatal(dataDir, (err as Error).message)}${gapNote}`);
  }
  const instance = { ...target, host: '127.0.0.1', port };
  const reached = await waitForPromotion(instance, dataDir, beat, () => wal.error).catch((err: Error) => {
    if (wal.error) throw wal.error;
    throw new BackupError(`${spec.server}: ${err.message}${gapNote}`);
  });
  const recoveryMs = Date.now() - recoveryFrom;
  await wal.stop();
  return {
    dataDir,
    walDir,
    port,
    reached,
    walSegments: wal.files,
    walBytes: wal.bytes,
    phases: { unpackMs, walFetchMs: wal.tookMs ?? null, recoveryMs },
    instance,
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

/** pg_verifybackup of an unpacked copy against its backup_manifest, and of the WAL it needs in walDir. */
async function runVerifyBackup(
  pgBinDir: string | undefined,
  dataDir: string,
  walDir: string,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await runCommand(pgProgram('pg_verifybackup', pgBinDir), ['--wal-directory', walDir, dataDir], {
      timeoutMs: 6 * 3600_000,
    });
    return { ok: true, detail: r.stdout.trim().split('\n').at(-1) ?? 'backup successfully verified' };
  } catch (err) {
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

/** Stops an instance left in root/data, if any, and removes root. */
async function discardInstance(root: string, pgBinDir: string | undefined): Promise<void> {
  await discardRecoveryFiles(root, pgBinDir);
  await rm(root, { recursive: true, force: true });
}

/**
 * Stops an instance left in root/data, if any, and removes what a recovery writes under root
 * (data/, wal/, wal-verify/), leaving root itself: it may be the operator's --data-dir.
 */
async function discardRecoveryFiles(root: string, pgBinDir: string | undefined): Promise<void> {
  if (existsSync(join(root, 'data', 'postmaster.pid')))
    await stopInstance({ dataDir: join(root, 'data'), runAs: instanceUser(), pgBinDir }).catch((err: Error) =>
      log.warn('could not stop an instance left by an earlier attempt', { root, error: err.message }),
    );
  for (const dir of ['data', 'wal', 'wal-verify']) await rm(join(root, dir), { recursive: true, force: true });
}

/** Written into the WAL folder once every file is fetched: a file missing after that is the archive's end. */
const WAL_FETCHED_MARKER = '.all-fetched';

/** Names the run that owns a restore folder, so a retry of that run (and only it) may start it over. */
const RUN_OWNER_FILE = 'pgwarden-run';

/** The files recovery reads: histories, the segments from the base backup's start, and the open segment's copy after them. */
function neededWal(
  base: BaseBackupManifest,
  newest: string | undefined,
  timeline: number,
  history: TimelineSwitch[],
  archive: ArchivedWal,
): Array<{ name: string; key: string }> {
  const size = base.serverInfo.segmentBytes;
  const out = [...archive.historyKeys].map(([name, key]) => ({ name, key }));
  const first = segmentOf(parseLsn(base.start.lsn), size);
  const last = newest ? parseSegmentName(newest, size)!.segno : first - 1n;
  for (let segno = first; segno <= last + 1n; segno++) {
    const name = segmentName({ timeline: timelineOfSegment(segno, timeline, history, size), segno }, size);
    const key = archive.segments.get(name) ?? (segno === last + 1n ? archive.partials.get(name) : undefined);
    if (key) out.push({ name, key });
    else if (segno <= last) break;
  }
  return out;
}

async function unpackBaseBackup(deps: ActivityDeps, base: BaseBackupManifest, dataDir: string, runAs: RunAs): Promise<void> {
  const body = await deps.bucket.open(base.data.key);
  if (!body) throw new BackupError(`base backup ${base.backupId} lost its data object ${deps.bucket.where(base.data.key)}`);
  const decrypted = await openDecryption(body, { keyring: deps.keyring, keyId: base.encryption.keyId });
  // tar runs as the instance's user, so every file it writes is that user's.
  const tar = spawn('tar', ['-x', '-C', dataDir], { stdio: ['pipe', 'ignore', 'pipe'], uid: runAs.uid, gid: runAs.gid });
  const tarDone = exitOf(tar, 'tar');
  const command = decompressCommand(base.compression.data ?? base.compression.algorithm);
  try {
    if (command) {
      // The decompressor writes straight into tar: the cluster's raw bytes never pass through
      // this process (only the compressed stream does, for decryption).
      const unzip = spawn(command.program, command.args, { stdio: ['pipe', tar.stdin, 'pipe'] });
      tar.stdin.destroy(); // tar's stdin now belongs to the decompressor alone
      const unzipDone = exitOf(unzip, command.program);
      unzip.stdin.on('error', () => undefined); // a decompressor that fails says why by its exit
      await Promise.all([
        pipeline(decrypted.plaintext, unzip.stdin).catch((err: Error) => {
          unzip.kill();
          throw err;
        }),
        unzipDone,
      ]);
    } else {
      tar.stdin.on('error', () => undefined);
      await pipeline([decrypted.plaintext, ...decompressor(base.compression.data ?? base.compression.algorithm), tar.stdin]);
    }
    await tarDone;
  } catch (err) {
    tar.kill();
    await tarDone.catch(() => undefined);
    // Typed failures (a wrong key, a damaged object) keep their type and exit code.
    throw err instanceof PgwardenError
      ? err
      : new BackupError(`unpacking base backup ${base.backupId} failed: ${(err as Error).message}`);
  }
}

/** A child's exit as a promise: resolves on status 0, rejects with the tail of its stderr otherwise. */
function exitOf(child: ReturnType<typeof spawn>, name: string): Promise<void> {
  let said = '';
  child.stderr?.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${name} could not run: ${err.message}`)));
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${name} failed (${signal ?? `exit ${code}`})${said.trim() ? `: ${said.trim()}` : ''}`)),
    );
  });
}

/** Waits until recovery has reached the target and the instance was promoted; what it reached. */
async function waitForPromotion(
  instance: Parameters<typeof connectTo>[0],
  dataDir: string,
  beat: (s: string) => void,
  /** Why to give up waiting, when something beside recovery failed. */
  failed: () => unknown,
): Promise<PitrRestoreResult['recoveredTo']> {
  for (;;) {
    if (failed()) throw failed();
    const c = await connectTo(instance).catch(() => undefined);
    if (c) {
      try {
        const r = (
          await c.query<{ recovering: boolean; t: Date | null; lsn: string; file: string | null }>(
            `SELECT pg_is_in_recovery() AS recovering, pg_last_xact_replay_timestamp() AS t, pg_last_wal_replay_lsn()::text AS lsn,
                    CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS file`,
          )
        ).rows[0];
        if (!r.recovering)
          return {
            commitTime: r.t ? r.t.toISOString() : null,
            lsn: formatLsn(parseLsn(r.lsn)),
            timeline: Number.parseInt(r.file!.slice(0, 8), 16),
          };
        beat(`replaying WAL: at ${r.lsn}${r.t ? `, last commit ${r.t.toISOString()}` : ''}`);
      } finally {
        await c.end().catch(() => undefined);
      }
    } else {
      const fatal = await lastFatal(dataDir, '');
      if (fatal) throw new BackupError(`recovery stopped: ${fatal}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function connectTo(t: {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: { reveal(): string };
}): Promise<Client> {
  const c = new Client({ host: t.host, port: t.port, user: t.user, database: t.database, password: t.password?.reveal() });
  return c.connect().then(() => c);
}

/** The instance's last FATAL or PANIC line: why recovery stopped (e.g. the target was not reached). */
async function lastFatal(dataDir: string, fallback: string): Promise<string> {
  const text = await readFile(join(dataDir, 'pgwarden-instance.log'), 'utf8').catch(() => '');
  const line = text
    .split('\n')
    .filter((l) => /(FATAL|PANIC):/.test(l))
    .at(-1);
  return line ? line.replace(/^.*?(FATAL|PANIC):\s*/, '') : fallback;
}

/** A run's own folder under PGWARDEN_WORK_DIR/pgwarden-pitr: the same for every attempt of the run. */
function runFolder(workDir: string, name: string, workflowId: string): string {
  return join(workDir, 'pgwarden-pitr', `${name}-${createHash('sha256').update(workflowId).digest('hex').slice(0, 10)}`);
}
