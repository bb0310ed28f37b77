/**
 * A base backup brought to a recovery target in a new PostgreSQL instance on this worker's
 * host: the WAL checked for gaps first, the copy unpacked, every segment recovery may read
 * fetched beforehand, recovery run to the target and the instance promoted. Point-in-time
 * restore, base backup verification and table recovery all start here.
 */
import { log } from '@temporalio/activity';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { Client } from 'pg';
import { ephemeralPort } from '../src/infra/net/ports';
import { requireDatabase } from '../src/infra/config/config';
import { decompressInto } from '../src/infra/compression/decompress-into';
import { openDecryption } from '../src/infra/crypto/decrypt';
import { BackupError, ConfigError, PgwardenError, UsageError } from '../src/infra/errors/errors';
import { findRecoveryTools, RECOVERY_PROGRAMS, recoveryToolsProblem } from '../src/infra/postgres/recovery-tools';
import { pgProgram } from '../src/infra/postgres/binaries';
import { CommandError, runCommand } from '../src/infra/process/run-command';
import { serverMajor } from '../src/infra/postgres/versions';
import {
  handOver,
  instanceLogPath,
  instanceUser,
  postmasterRuns,
  RunAs,
  startInstance,
  stopInstance,
} from '../src/infra/postgres/instance';
import { readRecoveryMinimums } from '../src/infra/postgres/control-data';
import { lastLogLines, lastServerFatal } from '../src/infra/postgres/instance-log';
import { formatBytes } from '../src/operations/backup/progress';
import { BaseBackupManifest, baseBackupStoredBytes } from '../src/operations/pitr/base-backup';
import type { StoredObject } from '../src/operations/backup/manifest';
import type { CompressionAlgorithm } from '../src/infra/compression/compression';
import { ArchivedWal, archivedWal, baseBackups } from '../src/operations/pitr/archive';
import {
  autoConfLines,
  describeTarget,
  fetchedWalCommand,
  RecoveryTarget,
  recoverySettings,
  targetAfterArchive,
  targetLsn,
  unrecordedPointNote,
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
import { ActivityDeps } from './deps';
import { pastCutMessage, tablespacesCreatedSince, walTablespaceInspector } from './tablespace-guard';
import { WalFetch } from './wal-fetch';
import { childExit } from '../src/infra/process/spawn-stream';
import { attemptName, earlierAttemptNames } from '../src/infra/temporal/attempt-names';

/** The last transaction replayed: its commit time and the LSN replay reached. */
export interface RecoveredPoint {
  commitTime: string | null;
  lsn: string;
  timeline: number;
}

export interface RecoveryPhases {
  unpackMs: number;
  /** Of unpackMs, pg_combinebackup putting an incremental base backup's chain together. */
  combineMs?: number;
  walFetchMs: number | null;
  recoveryMs: number;
}
export interface RecoverySpec {
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
  /** The activity's cancellation: the recovery stops, its instance too, and its files go. */
  signal?: AbortSignal;
}

export interface Recovered {
  dataDir: string;
  walDir: string;
  port: number;
  reached: RecoveredPoint;
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
 * Cancelled (a person cancelling the run, or the server giving up on the attempt), it stops
 * within seconds wherever it is, with no instance running and nothing of it left under root but
 * the folder itself: the cancellation is what it throws.
 */
export async function recoverInstance(deps: ActivityDeps, spec: RecoverySpec): Promise<Recovered> {
  const { signal } = spec;
  if (!signal) return recover(deps, spec);
  signal.throwIfAborted();
  try {
    // Every object it reads (the copy's, the WAL) stops being read at the cancellation.
    return await recover({ ...deps, bucket: deps.bucket.cancellable(signal) }, spec);
  } catch (err) {
    if (!signal.aborted) throw err;
    await discardRecoveryFiles(spec.root, deps.config.tools.pgBinDir);
    throw signal.reason;
  }
}

async function recover(deps: ActivityDeps, spec: RecoverySpec): Promise<Recovered> {
  const { config, bucket } = deps;
  const { base, beat } = spec;
  const target = requireDatabase(config, spec.server);
  const runAs = instanceUser();
  // The programs that run the copy, before a byte is fetched.
  const major = serverMajor(base.serverInfo.versionNum);
  const programs = base.incremental ? [...RECOVERY_PROGRAMS, 'pg_combinebackup' as const] : undefined;
  const toolsProblem = recoveryToolsProblem(major, await findRecoveryTools(major, config.tools.pgBinDir, programs));
  if (toolsProblem) throw new ConfigError([`${spec.server}: ${toolsProblem}`]);
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
  const at = targetLsn(spec.target);
  if (continuity.firstMissing && at !== undefined && parseLsn(at) > continuity.reachableUntil)
    throw new BackupError(`${spec.server}: ${gapMessage(continuity)}`);
  if (continuity.reachableUntil < parseLsn(base.stop.lsn))
    throw new BackupError(
      `${spec.server}: the WAL base backup ${base.backupId} needs is not all archived (${gapMessage(continuity) ?? `nothing after ${base.start.walFile}`}); choose another base backup or check pgwarden wal status`,
    );

  // Tablespaces made after the base backup on this host: asked of the server now; when it has one
  // (or cannot say), each segment fetched is looked at and the WAL cut before the creation.
  const late = await tablespacesCreatedSince(target, base, spec.server, spec.target);
  const guard =
    late === 'none'
      ? undefined
      : walTablespaceInspector(base, spec.server, spec.target, config.tools.pgBinDir, join(spec.root, 'wal-inspect'));

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
    guard?.inspect,
  );
  let started = false;
  const unpackFrom = Date.now();
  let unpackMs = 0;
  let combineMs: number | undefined;
  try {
    // A fetch that fails once PostgreSQL runs stops it: with no target it would promote at the
    // missing file as if the archive ended there.
    await wal.start(async () => {
      if (started) await stopInstance({ dataDir, runAs, pgBinDir: config.tools.pgBinDir }).catch(() => undefined);
    });
    beat(`unpacking ${base.backupId} (${formatBytes(baseBackupStoredBytes(base))}) into ${dataDir}`);
    ({ combineMs } = await unpackBaseBackup(deps, base, { dataDir, root: spec.root }, runAs, spec.signal));
    unpackMs = Date.now() - unpackFrom;
    if (spec.beforeStart) {
      await wal.finished();
      await spec.beforeStart(dataDir, walDir);
    }
    await dropTablespaceMap(base, dataDir);
  } catch (err) {
    await wal.settled();
    await discardRecoveryFiles(spec.root, config.tools.pgBinDir);
    throw err;
  }

  // The copied cluster's own instance log came along: this instance starts a log of its own.
  const instanceLog = instanceLogPath(dataDir);
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

  // Recovery ended at the cut before a tablespace's creation: the target lies past it.
  const pastCut = (fatal: string) => {
    const cut = guard?.cut();
    return cut && /recovery ended before configured recovery target was reached/.test(fatal)
      ? new UsageError(pastCutMessage(spec.server, base, cut))
      : undefined;
  };
  // A gap after the base backup ends recovery there; so does a restore point made before it.
  const stopped = (fatal: string) =>
    `${fatal}${continuity.firstMissing ? `; ${gapMessage(continuity)}` : ''}${
      /recovery target was reached/.test(fatal) ? unrecordedPointNote(spec.target, base) : ''
    }`;
  const port = spec.port ?? (await ephemeralPort());
  if (wal.error) {
    await discardRecoveryFiles(spec.root, config.tools.pgBinDir);
    throw wal.error;
  }
  spec.signal?.throwIfAborted();
  beat(`recovering to ${describeTarget(spec.target)} on port ${port}`);
  started = true;
  const recoveryFrom = Date.now();
  // Cancelled while PostgreSQL starts or replays: the instance stops, and so does the wait for it.
  const stopOnCancel = () => void stopInstance({ dataDir, runAs, pgBinDir: config.tools.pgBinDir }).catch(() => undefined);
  spec.signal?.addEventListener('abort', stopOnCancel, { once: true });
  try {
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
      const fatal = await lastFatal(dataDir, (err as Error).message);
      throw pastCut(fatal) ?? new BackupError(`${spec.server}: recovery stopped: ${stopped(fatal)}`);
    }
    const instance = { ...target, host: '127.0.0.1', port };
    const reached = await waitForPromotion(
      instance,
      dataDir,
      beat,
      () => wal.error ?? (spec.signal?.aborted ? spec.signal.reason : undefined),
    ).catch((err: Error) => {
      if (wal.error) throw wal.error;
      throw pastCut(err.message) ?? new BackupError(`${spec.server}: ${stopped(err.message)}`);
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
      phases: { unpackMs, ...(combineMs !== undefined ? { combineMs } : {}), walFetchMs: wal.tookMs ?? null, recoveryMs },
      instance,
    };
  } catch (err) {
    await wal.settled(); // nothing of the fetch still writes when the files go
    // A recovery that failed once PostgreSQL ran leaves no instance (one that timed out may still
    // replay, waiting for WAL) and no copy of the server: a retry starts over anyway.
    await discardRecoveryFiles(spec.root, config.tools.pgBinDir);
    throw err;
  } finally {
    spec.signal?.removeEventListener('abort', stopOnCancel);
  }
}

/**
 * The folder this attempt of a run recovers in (`runFolder` for the first, `<it>_<n>` after),
 * emptied, with the earlier attempts' instances and folders gone first (one still running
 * stops): a retry starts clean, and nothing of theirs reaches its instance.
 */
export async function attemptFolder(runRoot: string, attempt: number, pgBinDir: string | undefined): Promise<string> {
  const root = attemptName(runRoot, attempt);
  for (const folder of [...earlierAttemptNames(runRoot, attempt), root]) await discardInstance(folder, pgBinDir);
  return root;
}

/** Stops an instance left in root/data, if any, and removes root. */
export async function discardInstance(root: string, pgBinDir: string | undefined): Promise<void> {
  await discardRecoveryFiles(root, pgBinDir);
  await rm(root, REMOVE_WHILE_WRITTEN);
}

/**
 * An earlier attempt that still runs (cut off from Temporal) may still write WAL into the folder
 * a retry discards: a file landing mid-removal failed the retry with ENOTEMPTY. Node retries that.
 */
const REMOVE_WHILE_WRITTEN = { recursive: true, force: true, maxRetries: 10, retryDelay: 100 } as const;

/**
 * Stops an instance left in root/data, if any, and removes what a recovery writes under root
 * (data/, tablespaces/, wal/, wal-inspect/, wal-verify/, combine/, the run's owner file),
 * leaving root itself: it may be the operator's --data-dir.
 */
export async function discardRecoveryFiles(root: string, pgBinDir: string | undefined): Promise<void> {
  if (existsSync(join(root, 'data', 'postmaster.pid')))
    await stopInstance({ dataDir: join(root, 'data'), runAs: instanceUser(), pgBinDir }).catch((err: Error) =>
      log.warn('could not stop an instance left by an earlier attempt', { root, error: err.message }),
    );
  for (const dir of ['data', 'tablespaces', 'wal', 'wal-inspect', 'wal-verify', 'combine', RUN_OWNER_FILE])
    await rm(join(root, dir), REMOVE_WHILE_WRITTEN);
}

/** Written into the WAL folder once every file is fetched: a file missing after that is the archive's end. */
export const WAL_FETCHED_MARKER = '.all-fetched';

/** Names the run that owns a restore folder, so a retry of that run (and only it) may start it over. */
export const RUN_OWNER_FILE = 'pgwarden-run';

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

/**
 * The copy into `dataDir`; other tablespaces into `<root>/tablespaces/<oid>`, linked from
 * pg_tblspc as a plain-format copy would be (never at the server's own locations: this host
 * may be the server's), with PostgreSQL's backup_manifest beside them for pg_verifybackup.
 */
async function unpackBaseBackup(
  deps: ActivityDeps,
  base: BaseBackupManifest,
  dirs: { dataDir: string; root: string },
  runAs: RunAs,
  signal?: AbortSignal,
): Promise<{ combineMs?: number }> {
  if (base.incremental) return { combineMs: await combineChain(deps, base, dirs, runAs, signal) };
  await unpackCopy(deps, base, dirs.dataDir, (oid) => tablespaceDir(dirs.root, oid), runAs);
  return {};
}

/** One base backup unpacked as a plain-format copy: its tablespaces each in `tablespaceAt(oid)`, linked from pg_tblspc. */
async function unpackCopy(
  deps: ActivityDeps,
  base: BaseBackupManifest,
  dataDir: string,
  tablespaceAt: (oid: number) => string,
  runAs: RunAs,
): Promise<void> {
  const compressed = base.compression.data ?? base.compression.algorithm;
  await unpackTar(deps, base, base.data, dataDir, compressed, runAs);
  for (const t of base.tablespaces ?? []) {
    const dir = tablespaceAt(t.oid);
    // The instance's user passes through the folder above and owns each folder in it, as PostgreSQL requires.
    await mkdir(join(dir, '..'), { recursive: true, mode: 0o700 });
    handOver(join(dir, '..'), runAs);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    handOver(dir, runAs);
    await unpackTar(deps, base, t.data, dir, compressed, runAs);
    await symlink(dir, join(dataDir, 'pg_tblspc', String(t.oid)));
  }
  if (base.backupManifest) {
    const file = join(dataDir, 'backup_manifest');
    await decryptStored(deps, base, base.backupManifest, async (plain) =>
      decompressInto(plain, base.compression.algorithm, createWriteStream(file, { mode: 0o600 })),
    );
    handOver(file, runAs);
  }
}

/**
 * An incremental base backup: each backup of its chain unpacked as a plain-format copy into
 * `<root>/combine/<id>` (its tablespaces into `<root>/combine/<id>.tablespaces/<oid>`, linked
 * from its pg_tblspc, which is where pg_combinebackup looks for them), then put back together
 * into `dataDir` by pg_combinebackup of the copy's version, which checks that they form one
 * chain and writes the combined copy's backup_manifest; the newest part's tablespaces go to
 * `<root>/tablespaces/<oid>`, as for a full one. The parts go afterwards. The disk needed is
 * the chain's size, plus the copy's before PostgreSQL 18.
 */
async function combineChain(
  deps: ActivityDeps,
  base: BaseBackupManifest,
  dirs: { dataDir: string; root: string },
  runAs: RunAs,
  signal?: AbortSignal,
): Promise<number> {
  const all = await baseBackups(deps.bucket, deps.config.storage.prefix, base.server);
  const chain = [...base.incremental!.chain, base.backupId].map((id) => {
    const found = all.find((b) => b.backupId === id);
    if (!found)
      throw new BackupError(
        `base backup ${base.backupId} is incremental and ${id}, which it rests on, is gone: restore from another (pgwarden pitr list)`,
      );
    return found;
  });
  const combine = join(dirs.root, 'combine');
  const partTablespace = (id: string, oid: number) => join(combine, `${id}.tablespaces`, String(oid));
  await rm(combine, { recursive: true, force: true });
  await mkdir(combine, { mode: 0o700 });
  handOver(combine, runAs);
  try {
    // Side by side: the full one is most of the bytes, the incrementals fill the other core.
    const parts = await Promise.all(
      chain.map(async (part) => {
        const dir = join(combine, part.backupId);
        await mkdir(dir, { mode: 0o700 });
        handOver(dir, runAs);
        await unpackCopy(deps, part, dir, (oid) => partTablespace(part.backupId, oid), runAs);
        return dir;
      }),
    );
    // The combined copy's tablespaces where a restore puts them (pg_combinebackup makes the folders and links).
    const mapping = (base.tablespaces ?? []).map(
      (t) => `--tablespace-mapping=${partTablespace(base.backupId, t.oid)}=${tablespaceDir(dirs.root, t.oid)}`,
    );
    if (mapping.length) {
      await mkdir(join(dirs.root, 'tablespaces'), { recursive: true, mode: 0o700 });
      handOver(join(dirs.root, 'tablespaces'), runAs);
    }
    const combineFrom = Date.now();
    const major = serverMajor(base.serverInfo.versionNum);
    const program = pgProgram('pg_combinebackup', deps.config.tools.pgBinDir, (m) => m === major);
    // The parts are thrown away afterwards, so the copy may take their files instead of copying
    // them (--link, PostgreSQL 18+). No sync: like an unpacked tar, the copy is synced by
    // PostgreSQL when recovery starts, and a restore cut short starts again.
    const mode = major >= 18 ? ['--link', '--no-sync'] : ['--no-sync'];
    await runCommand(program, [...mode, ...mapping, '--output', dirs.dataDir, ...parts], {
      ...runAs,
      timeoutMs: 6 * 3600_000,
      signal,
    }).catch((err: Error) => {
      if (signal?.aborted) throw err;
      throw new BackupError(
        `putting base backup ${base.backupId} together from ${chain.map((b) => b.backupId).join(', ')} failed: ${(err instanceof CommandError && err.stderr.trim()) || err.message}`,
      );
    });
    return Date.now() - combineFrom;
  } finally {
    await rm(combine, { recursive: true, force: true });
  }
}

/** Where a restore puts a tablespace of the copy. */
const tablespaceDir = (root: string, oid: number) => join(root, 'tablespaces', String(oid));

/**
 * With the links in place, tablespace_map goes before PostgreSQL starts: it would make the
 * links again, to the server's own locations.
 */
async function dropTablespaceMap(base: BaseBackupManifest, dataDir: string): Promise<void> {
  if (base.tablespaces?.length) await rm(join(dataDir, 'tablespace_map'), { force: true });
}

/** One stored tar unpacked into `dir`, by tar running as the instance's user (so every file is that user's). */
async function unpackTar(
  deps: ActivityDeps,
  base: BaseBackupManifest,
  object: StoredObject,
  dir: string,
  compressed: CompressionAlgorithm,
  runAs: RunAs,
): Promise<void> {
  await decryptStored(deps, base, object, async (plain) => {
    const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'], uid: runAs.uid, gid: runAs.gid });
    const tarDone = childExit(tar, 'tar');
    tar.stdin.on('error', () => undefined); // a tar that fails says why by its exit
    try {
      // The cluster's raw bytes go from the decompressor straight into tar.
      await decompressInto(plain, compressed, tar.stdin);
      await tarDone;
    } catch (err) {
      tar.kill();
      await tarDone.catch(() => undefined);
      throw err;
    }
  });
}

/** One of the base backup's objects, decrypted, to `use`; a missing or damaged object is named. */
async function decryptStored(
  deps: ActivityDeps,
  base: BaseBackupManifest,
  object: StoredObject,
  use: (plain: Readable) => Promise<void>,
): Promise<void> {
  const body = await deps.bucket.open(object.key);
  if (!body) throw new BackupError(`base backup ${base.backupId} lost its data object ${deps.bucket.where(object.key)}`);
  try {
    const decrypted = await openDecryption(body, { keyring: deps.keyring, keyId: base.encryption.keyId });
    await use(decrypted.plaintext);
  } catch (err) {
    // Typed failures (a wrong key, a damaged object) keep their type and exit code.
    throw err instanceof PgwardenError
      ? err
      : new BackupError(`unpacking base backup ${base.backupId} failed: ${(err as Error).message}`);
  }
}

/** Waits until recovery has reached the target and the instance was promoted; what it reached. */
export async function waitForPromotion(
  instance: Parameters<typeof connectTo>[0],
  dataDir: string,
  beat: (s: string) => void,
  /** Why to give up waiting, when something beside recovery failed. */
  failed: () => unknown,
): Promise<RecoveredPoint> {
  for (;;) {
    if (failed()) throw failed();
    const state = await askRecovery(instance);
    if (state?.promoted) return state.promoted;
    if (state) beat(`replaying WAL: at ${state.lsn}${state.lastCommit ? `, last commit ${state.lastCommit}` : ''}`);
    else {
      // Not answering, or gone while asked: an instance that stopped said why in its log...
      const fatal = await lastFatal(dataDir, '');
      if (fatal) throw new BackupError(`recovery stopped: ${fatal}`);
      // ...unless it was killed: then nothing would ever say so, and the wait would last until the
      // heartbeat timed out. Its log is read again: a FATAL may have landed since.
      if (!postmasterRuns(dataDir)) {
        const text = await readInstanceLog(dataDir);
        throw new BackupError(
          `recovery stopped: ${lastServerFatal(text) ?? `the instance exited without a FATAL line in its log (killed, or out of memory?); its last lines: ${lastLogLines(text)}`}`,
        );
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Where a recovering instance is, or what it reached once promoted. */
export interface RecoveryState {
  lsn: string;
  lastCommit: string | null;
  promoted?: RecoveredPoint;
}

/**
 * Asks the instance where recovery is; undefined when it cannot answer now: not yet accepting
 * connections, or shutting down while asked (recovery that ends short of its target stops the
 * instance, which ends the connection mid-query).
 */
export async function askRecovery(instance: Parameters<typeof connectTo>[0]): Promise<RecoveryState | undefined> {
  const c = await connectTo(instance).catch(() => undefined);
  if (!c) return undefined;
  let r;
  try {
    r = (
      await c.query<{ recovering: boolean; t: Date | null; lsn: string; file: string | null }>(
        `SELECT pg_is_in_recovery() AS recovering, pg_last_xact_replay_timestamp() AS t, pg_last_wal_replay_lsn()::text AS lsn,
                CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS file`,
      )
    ).rows[0];
  } catch (err) {
    if (wentAway(err)) return undefined;
    throw err;
  } finally {
    await c.end().catch(() => undefined);
  }
  const lastCommit = r.t ? r.t.toISOString() : null;
  if (r.recovering) return { lsn: r.lsn, lastCommit };
  const lsn = formatLsn(parseLsn(r.lsn));
  return { lsn, lastCommit, promoted: { commitTime: lastCommit, lsn, timeline: Number.parseInt(r.file!.slice(0, 8), 16) } };
}

/** The instance stopped or cut the connection (57P01-03: shut down, crashed, not accepting now), not a mistake in the question. */
function wentAway(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return /^57P0[123]$/.test(code ?? '') || /Connection terminated|ECONNRESET|EPIPE/i.test(message ?? '');
}

export function connectTo(t: {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: { reveal(): string };
}): Promise<Client> {
  const c = new Client({ host: t.host, port: t.port, user: t.user, database: t.database, password: t.password?.reveal() });
  // The instance may stop under an open connection (recovery ending short of its target): the
  // error reaches the query that was running, and without a listener it would crash the worker.
  c.on('error', () => undefined);
  return c.connect().then(() => c);
}

/** The instance's last FATAL or PANIC line: why recovery stopped (e.g. the target was not reached). */
async function lastFatal(dataDir: string, fallback: string): Promise<string> {
  return lastServerFatal(await readInstanceLog(dataDir)) ?? fallback;
}

/** The instance's log as it is now; empty when there is none yet. */
const readInstanceLog = (dataDir: string) => readFile(instanceLogPath(dataDir), 'utf8').catch(() => '');

/** A run's own folder under PGWARDEN_WORK_DIR/pgwarden-pitr: the same for every attempt of the run. */
export function runFolder(workDir: string, name: string, workflowId: string): string {
  return join(workDir, 'pgwarden-pitr', `${name}-${createHash('sha256').update(workflowId).digest('hex').slice(0, 10)}`);
}
