/**
 * A base backup copied through a spool folder on the worker's disk: for a server with
 * tablespaces besides the main one (pg_basebackup writes one tar per tablespace only to a
 * folder; to a pipe it writes one tablespace), and where incrementals are on (only in a folder
 * is PostgreSQL's backup_manifest a file of its own, which the next incremental is taken
 * against). Each tar is encrypted into its own object while pg_basebackup writes it, what has
 * been stored is given back to the disk, then the backup_manifest, and the spool is removed.
 * The disk this needs is checked first: BASEBACKUP_SPOOL_MB twice, or the compressed cluster
 * where holes cannot be punched or the folder cannot be watched (spoolCanStream).
 */
import { log } from '@temporalio/activity';
import { FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { CompressionPolicy, compressionSuffix } from '../src/infra/compression/compression';
import { BackupError, ConfigError } from '../src/infra/errors/errors';
import { classifyDumpFailure } from '../src/infra/postgres/dump-errors';
import { spawnStreaming, StreamingProcess } from '../src/infra/process/spawn-stream';
import type { StoredObject } from '../src/operations/backup/manifest';
import { ExitGate, SealedUpload, streamFileToS3, streamToS3 } from '../src/operations/backup/program-to-s3';
import { readGrowingFile } from '../src/infra/streams/growing-file';
import { canPunchHoles, punchHole } from '../src/infra/streams/punch-hole';
import { releaseEvery, spoolWriterPaused, TarArrivals } from '../src/operations/pitr/basebackup-spool';
import type { BaseBackupManifest, BaseBackupTablespace } from '../src/operations/pitr/base-backup';
import { spoolBytesNeeded, spoolRoomProblem } from '../src/operations/pitr/base-backup';
import { privateWorkDir, RunRef, workFileName } from '../src/operations/restore/work-files';
import type { Tablespace } from '../src/infra/postgres/tablespaces';

/**
 * The cluster's size on disk, every tablespace together, or undefined when the backup user may
 * not ask (pg_tablespace_size needs CREATE on the tablespace or pg_read_all_stats).
 */
async function clusterBytes(client: Client): Promise<number | undefined> {
  return client
    .query<{ n: string }>('SELECT sum(pg_tablespace_size(oid))::bigint::text AS n FROM pg_tablespace')
    .then((r) => Number(r.rows[0].n))
    .catch(() => undefined);
}

/**
 * The spool of one base backup run, named after it like every work file: a retry of the run
 * starts it over, and a run that died has it removed by the janitors (worker start, verify).
 */
export async function spoolFolder(workDir: string, run: RunRef): Promise<string> {
  return join(await privateWorkDir(workDir), workFileName(run, 'basebackup-spool'));
}

/**
 * Refuses (exit 78) before the copy when the work folder cannot hold what the spool may take:
 * about twice `limitBytes` where read bytes are given back to the disk, else the compressed cluster.
 */
export async function requireSpoolRoom(
  client: Client,
  spool: string,
  server: string,
  compression: CompressionPolicy,
  newest: BaseBackupManifest | undefined,
  limitBytes?: number,
): Promise<void> {
  // A backup user that may not ask: the newest base backup's size as pg_basebackup counted it, a tenth on top for growth.
  const size = (await clusterBytes(client)) ?? (newest?.data.rawBytes ? Math.ceil(newest.data.rawBytes * 1.1) : undefined);
  if (size === undefined) {
    log.warn(
      'the cluster size could not be read (pg_tablespace_size) and no base backup gives it: the spool room is not checked',
      {
        server,
      },
    );
    return;
  }
  const fs = await statfs(join(spool, '..'));
  const needed = spoolBytesNeeded(size, compression.algorithm, newest, limitBytes);
  const problem = spoolRoomProblem(fs.bavail * fs.bsize, needed, join(spool, '..'), server, limitBytes !== undefined);
  if (problem) throw new ConfigError([problem]);
}

export interface SpooledCopy {
  data: StoredObject;
  tablespaces: BaseBackupTablespace[];
  backupManifest: StoredObject;
  /** The most the spool's tars took on disk at once, and how often pg_basebackup waited for the upload. */
  spool: { peakBytes: number; pauses: number };
}

/** How often the spool is looked at: its size, and a tar at its end for more. */
const POLL_MS = 100;

/**
 * pg_basebackup into the spool, each tar stored as it is written (in the order pg_basebackup
 * creates them, see TarArrivals) and given back to the disk behind the reader, then
 * PostgreSQL's backup_manifest; the spool goes afterwards, whatever happened (a retry starts
 * from an empty one). With `limitBytes`, pg_basebackup is stopped while the spool's tars take
 * more than that, until the upload has caught up; without (the disk cannot punch holes), the
 * spool holds the whole copy.
 */
export async function spooledCopy(p: {
  program: string;
  /** pg_basebackup's arguments but --pgdata. */
  args: string[];
  env: NodeJS.ProcessEnv;
  spool: string;
  tablespaces: Tablespace[];
  compression: CompressionPolicy;
  keys: { data: string; tablespace(oid: number): string; backupManifest: string };
  /** How each object is stored, but its key and what it holds (format). */
  upload(key: string, format: string): SealedUpload;
  onStderrLine(line: string): void;
  onUploading(what: string): void;
  /** pg_basebackup was stopped (true) or continued, with the spool's tars taking that much. */
  onPaused?(paused: boolean, spoolBytes: number): void;
  limitBytes?: number;
  signal: AbortSignal;
}): Promise<SpooledCopy> {
  await rm(p.spool, { recursive: true, force: true });
  await mkdir(p.spool, { recursive: true });
  // pg_basebackup names its tars by the tablespace's oid (base for the main one), compressed as asked.
  const suffix = compressionSuffix(p.compression.algorithm);
  const tar = `.tar${suffix}`;
  // Watched before pg_basebackup starts, so no tar is missed.
  const folder = new SpoolFolder(p.spool, tar);
  // Without creation events (inotify's limits reached on the host) no tar is known to be whole
  // before pg_basebackup exits: the spool then holds the whole copy, stored afterwards.
  const limitBytes = folder.watched ? p.limitBytes : undefined;
  // Paused at times: it must not outlive a worker that dies meanwhile.
  const proc = spawnStreaming(p.program, [`--pgdata=${p.spool}`, ...p.args], p.env, p.onStderrLine, {
    endsWithWorker: true,
  });
  let exitResult: Awaited<typeof proc.exited> | undefined;
  const exited = proc.exited.then(async (r) => {
    exitResult = r;
    await folder.writerExited();
    return r;
  });
  const stop = () => proc.kill();
  p.signal.addEventListener('abort', stop, { once: true });
  const throttle = limitBytes ? new SpoolThrottle(folder, proc, limitBytes, p.onPaused) : undefined;
  try {
    const stored = new Map<string, StoredObject>();
    // The tars are compressed already: stored as they are.
    const asIs: CompressionPolicy = { algorithm: 'none', level: 0 };
    for (let n = 0; ; n++) {
      const name = await folder.tar(n);
      if (name === undefined) break;
      const tablespace = p.tablespaces.find((t) => name === `${t.oid}${tar}`);
      if (!tablespace && name !== `base${tar}`)
        throw new BackupError(`a tablespace was created while the cluster was copied (${name}); copying again`, {
          retryable: true,
        });
      p.onUploading(name);
      const file = join(p.spool, name);
      const source = readGrowingFile(file, {
        closed: () => folder.arrivals.complete(name),
        more: folder.change,
        ...(limitBytes ? { release: (upTo: number) => punchHole(file, upTo), releaseEvery: releaseEvery(limitBytes) } : {}),
      });
      // A tar complete only because pg_basebackup exited is whole only if it exited with 0.
      const whole = new ExitGate(
        () => (folder.arrivals.completeBefore(name) ? Promise.resolve({ code: 0, signal: null, stderr: '' }) : exited),
        'pg_basebackup',
      );
      stored.set(
        name,
        await streamToS3([source, whole], {
          ...p.upload(
            tablespace ? p.keys.tablespace(tablespace.oid) : p.keys.data,
            `${tablespace ? 'pg_basebackup-tablespace-tar' : 'pg_basebackup-tar'}${suffix}`,
          ),
          compression: asIs,
        }),
      );
    }
    const exit = await exited;
    p.signal.throwIfAborted();
    if (exit.code !== 0) throw basebackupFailure(exit, p.spool);
    const dropped = p.tablespaces.filter((t) => !stored.has(`${t.oid}${tar}`));
    if (dropped.length || !stored.has(`base${tar}`))
      throw new BackupError(
        `pg_basebackup wrote no tar for ${dropped.map((t) => `tablespace ${t.name}`).join(', ') || 'the main tablespace'} (dropped while the cluster was copied?); copying again`,
        { retryable: true },
      );
    p.onUploading('backup_manifest');
    // The backup manifest (JSON) is compressed here.
    const backupManifest = await streamFileToS3(join(p.spool, 'backup_manifest'), {
      ...p.upload(p.keys.backupManifest, 'backup_manifest'),
      compression: p.compression,
    });
    return {
      data: stored.get(`base${tar}`)!,
      tablespaces: p.tablespaces.map((t) => ({ ...t, data: stored.get(`${t.oid}${tar}`)! })),
      backupManifest,
      spool: throttle?.figures ?? { peakBytes: 0, pauses: 0 },
    };
  } catch (err) {
    // pg_basebackup's own failure (a full disk, a lost connection) explains the rest best.
    p.signal.throwIfAborted();
    if (exitResult && exitResult.code !== 0) throw basebackupFailure(exitResult, p.spool);
    throw err;
  } finally {
    throttle?.end();
    p.signal.removeEventListener('abort', stop);
    proc.kill();
    await exited;
    folder.close();
    await rm(p.spool, { recursive: true, force: true });
  }
}

/**
 * The spool folder as the copy sees it: the tars in the order pg_basebackup creates them (its
 * creation events, see TarArrivals), a wait for the next change, and what the tars take on disk.
 */
class SpoolFolder {
  readonly arrivals: TarArrivals;
  private readonly watcher: FSWatcher | undefined;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly path: string,
    tarSuffix: string,
  ) {
    this.arrivals = new TarArrivals(tarSuffix);
    this.watcher = watchFolder(path, (name) => {
      this.arrivals.created(name);
      this.wake();
    });
  }

  /** Creation events arrive; without them a tar is known whole only once pg_basebackup exited. */
  get watched(): boolean {
    return this.watcher !== undefined;
  }

  /** Resolves at the folder's next change, or after a look's time at most (a tar grows without events). */
  readonly change = () =>
    new Promise<void>((resume) => {
      this.waiting.push(resume);
      setTimeout(resume, POLL_MS);
    });

  /** The n-th tar created (from 0) once it exists; undefined when pg_basebackup exited without one. */
  async tar(n: number): Promise<string | undefined> {
    while (this.arrivals.at(n) === undefined && !this.arrivals.hasExited) await this.change();
    return this.arrivals.at(n);
  }

  /** pg_basebackup exited: every tar is as whole as it will be, one whose creation event was lost included. */
  async writerExited(): Promise<void> {
    for (const name of await readdir(this.path).catch(() => [])) this.arrivals.created(name);
    this.arrivals.exited();
    this.wake();
  }

  /** What the tars take on disk: their blocks, not their sizes (the front of a tar read is a hole). */
  async diskBytes(): Promise<number> {
    let bytes = 0;
    for (let n = 0; this.arrivals.at(n) !== undefined; n++)
      bytes += await stat(join(this.path, this.arrivals.at(n)!))
        .then((s) => s.blocks * 512)
        .catch(() => 0);
    return bytes;
  }

  close(): void {
    this.watcher?.close();
  }

  private wake(): void {
    const them = this.waiting;
    this.waiting = [];
    for (const resume of them) resume();
  }
}

/**
 * Stops pg_basebackup while the spool's tars take more than the limit on disk (what is written
 * but not yet read and given back), and lets it go on once the upload has caught up
 * (spoolWriterPaused); counts the peak and the pauses.
 */
class SpoolThrottle {
  readonly figures = { peakBytes: 0, pauses: 0 };
  private paused = false;
  private busy = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly folder: SpoolFolder,
    private readonly writer: StreamingProcess,
    private readonly limitBytes: number,
    private readonly onPaused?: (paused: boolean, spoolBytes: number) => void,
  ) {
    this.timer = setInterval(() => void this.look(), POLL_MS);
  }

  end(): void {
    clearInterval(this.timer);
    if (this.paused) this.writer.pause(false);
  }

  private async look(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const bytes = await this.folder.diskBytes();
      this.figures.peakBytes = Math.max(this.figures.peakBytes, bytes);
      const now = spoolWriterPaused(bytes, this.paused, this.limitBytes);
      if (now === this.paused || this.folder.arrivals.hasExited) return;
      this.paused = now;
      if (now) this.figures.pauses++;
      this.writer.pause(now);
      this.onPaused?.(now, bytes);
    } finally {
      this.busy = false;
    }
  }
}

/**
 * Whether a spool in `dir` can be stored while pg_basebackup writes it and held to a limit: its
 * files' read bytes can be given back to the disk, and the folder's creation events be watched.
 */
export async function spoolCanStream(dir: string): Promise<boolean> {
  // Quiet: the copy's own watch says why in the log, once per base backup.
  const probe = watchFolder(dir, () => undefined, { quiet: true });
  probe?.close();
  return probe !== undefined && (await canPunchHoles(dir));
}

/** The names of files created in a folder, as they are; undefined (said in the log) when the host allows no more watches. */
function watchFolder(folder: string, created: (name: string) => void, options: { quiet?: boolean } = {}): FSWatcher | undefined {
  try {
    const watcher = watch(folder, (event, name) => {
      if (event === 'rename' && name) created(name.toString());
    });
    watcher.on('error', (err) => log.warn('the spool folder cannot be watched', { spool: folder, error: err.message }));
    return watcher;
  } catch (err) {
    if (options.quiet) return undefined;
    log.warn(
      'the spool folder cannot be watched (fs.inotify.max_user_instances or max_user_watches reached?): each tar is stored once pg_basebackup has finished, and the spool holds the whole copy until then',
      { spool: folder, error: (err as Error).message },
    );
    return undefined;
  }
}

/** pg_basebackup's failure in one line; a full disk is not worth a retry: said with where to make room. */
function basebackupFailure(exit: { code: number | null; signal: NodeJS.Signals | null; stderr: string }, spool: string): Error {
  if (/No space left on device/i.test(exit.stderr))
    return new ConfigError([
      `PGWARDEN_WORK_DIR: the disk of ${join(spool, '..')} filled up while pg_basebackup copied there; free space there, lower BASEBACKUP_SPOOL_MB, or point PGWARDEN_WORK_DIR at a larger disk`,
    ]);
  return classifyDumpFailure('pg_basebackup', exit);
}
