/**
 * Continuous WAL archiving of one server, for a bounded round (the workflow runs rounds and
 * continues as new): `pg_receivewal` streams into a private folder, and every completed
 * segment and timeline history is compressed, encrypted and created in S3 with
 * `If-None-Match`; only then does the replication slot move past it and the local file go.
 * The segment being written is shipped every WAL_PARTIAL_UPLOAD_SECONDS, or every second while
 * the server is busy (partialCopyDue). A worker that dies
 * leaves nothing the next one needs: it starts from the archive and the slot, without a gap.
 * Heartbeats carry the newest segment stored, so a person can read where archiving stands.
 * A server archived by its archive_command alone gets a round that only watches
 * (archive-command-round.ts).
 */
import { Context, log } from '@temporalio/activity';
import { FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { requireDatabase } from '../src/infra/config/config';
import { walArrivesVia } from '../src/infra/config/wal';
import { encryptorFor } from '../src/infra/crypto/encryptor';
import { BackupError, ConfigError, WalArchiveError } from '../src/infra/errors/errors';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { startReceiveWal } from '../src/infra/postgres/receivewal';
import { streamingTool } from '../src/infra/postgres/streaming-tools';
import { checkReplicationAccess, checkReplicationServer, timelineHistoryText } from '../src/infra/postgres/replication';
import { walKey } from '../src/infra/storage/layout';
import { AFTER_A_GAP, readyFiles, slotNameFor, SpoolFile, streamStart } from '../src/operations/pitr/spool';
import { sealOpenSegment, WAL_WRITTEN_LSN } from '../src/operations/pitr/wal-object';
import { storeWalFile, walObjectOptions, WalStore } from '../src/operations/pitr/wal-store';
import {
  formatLsn,
  parseHistory,
  parseLsn,
  parseSegmentName,
  segmentEnd,
  segmentName,
  segmentStart,
} from '../src/operations/pitr/wal-names';
import { privateWorkDir } from '../src/operations/restore/work-files';
import { LagReading, LagWatch, LagWatchState } from '../src/operations/pitr/lag';
import type { ArchiverReading } from '../src/operations/pitr/archiver';
import { readArchiverStats } from '../src/infra/postgres/archiver-stats';
import { busyCheckWorthwhile, openCopyReach, partialCopyDue } from '../src/operations/pitr/partial-cadence';
import { WalWatchEvent, walWatchNotice } from '../src/operations/pitr/notices';
import { archivedSystem, newestInArchive } from '../src/operations/pitr/archive-system';
import { watchArchiveCommand } from './archive-command-round';
import { ActivityDeps, archiveAccess } from './deps';
import { proveActiveKey } from './key-proof';
import { slotPosition } from './slot-position';
import { deliver } from './notify';

export interface ArchiveWalInput {
  server: string;
  /** How long this round streams before it returns (the workflow starts the next). */
  roundSeconds: number;
  /** The newest segment the previous round stored, so a round needs no listing of the archive. */
  newestArchived?: string;
  /** The watchdog's state from the previous round: an outage is measured from its start. */
  watch?: LagWatchState;
  /** wal start --accept-gap: go on past a gap (a lost or recreated slot) from what the slot holds. */
  acceptGap?: boolean;
}

export interface ArchiveWalResult {
  server: string;
  newestArchived?: string;
  /** Segments and histories stored in this round. */
  stored: number;
  /** How far the archive holds WAL, the open segment included. */
  archivedLsn?: string;
  watch: LagWatchState;
}

/** What a heartbeat says, also read back by a retry of the same round. */
interface ArchiveProgress {
  newestArchived?: string;
  archivedLsn?: string;
  stored: number;
  summary: string;
  watch?: LagWatchState;
}

/** A round whose loop has not come round for this long is stuck (one file's upload takes seconds). */
const STALL_MS = 180_000;

/** How often the watchdog samples the server's WAL position. */
const SAMPLE_MS = 2000;

export function walArchiveActivities(deps: ActivityDeps) {
  return {
    /** The workflow's own alerts: no worker took the round, or archiving stopped for good. */
    async notifyWalWatch(event: WalWatchEvent): Promise<void> {
      await deliver(deps, walWatchNotice(event));
    },

    async archiveWal(input: ArchiveWalInput): Promise<ArchiveWalResult> {
      const ctx = Context.current();
      const { config, bucket } = deps;
      const target = requireDatabase(config, input.server);
      const prefix = config.storage.prefix;
      const compression = config.backup.compression;
      const encryption = encryptorFor(deps.keyring);
      const store: WalStore = {
        bucket,
        prefix,
        server: input.server,
        compression,
        encryption,
        storageClass: config.storage.storageClass,
      };
      const access = archiveAccess(deps);
      const slot = slotNameFor(input.server);
      const viaArchiveCommand = walArrivesVia(config.wal, input.server) === 'archive_command';
      /** What the notices say differs where nothing streams beside the command. */
      const onlyByCommand = viaArchiveCommand ? { archiveCommandOnly: true } : {};
      const previous = ctx.info.heartbeatDetails as ArchiveProgress | undefined;
      const watch = new LagWatch(
        { maxLagSeconds: config.wal.maxLagSeconds, maxRetainedBytes: config.wal.maxRetainedBytes },
        previous?.watch ?? input.watch,
      );
      let progress: ArchiveProgress = {
        newestArchived: previous?.newestArchived ?? input.newestArchived,
        archivedLsn: previous?.archivedLsn,
        stored: 0,
        summary: 'connecting',
      };
      const beat = (summary: string) => ctx.heartbeat((progress = { ...progress, summary, watch: watch.snapshot }));
      /** Tells people when the archive falls behind or catches up, once each. */
      const report = async (r: LagReading) => {
        deps.metrics.walLag(input.server, { lagSeconds: r.lagSeconds, retainedBytes: r.retainedBytes });
        if (!r.send) return;
        const at = { server: input.server, archivedLsn: progress.archivedLsn, lagSeconds: r.lagSeconds };
        await deliver(
          deps,
          walWatchNotice(
            r.send === 'alert' ? { kind: 'behind', problems: r.problems, ...at, ...onlyByCommand } : { kind: 'caught-up', ...at },
          ),
        );
      };
      /** An archive_command that keeps failing fills the server's disk: said once, and once when it works again. */
      const reportArchiver = async (r: ArchiverReading) => {
        if (r.send === 'alert')
          await deliver(
            deps,
            walWatchNotice({
              kind: 'archive-command-failing',
              server: input.server,
              problem: r.problem!,
              wal: r.wal,
              ...onlyByCommand,
            }),
          );
        if (r.send === 'resolved')
          await deliver(deps, walWatchNotice({ kind: 'archive-command-recovered', server: input.server }));
      };
      /**
       * A run started afresh (pgwarden wal start; a continued run carries where the archive
       * ends) follows a stop, or none: once its checks pass, the pager's alert of a stop ends.
       */
      const afresh = input.newestArchived === undefined && input.watch === undefined;
      const checked = async () => {
        if (afresh) await deliver(deps, walWatchNotice({ kind: 'archiving', server: input.server }), undefined, ['pagerduty']);
      };
      try {
        return await (viaArchiveCommand ? watchRound() : streamRound());
      } catch (err) {
        // Not running: the outage counts from the last time it ran, across retries and rounds. A gap or
        // a conflict stops archiving for good; the workflow says so.
        if (!ctx.cancellationSignal.aborted && !(err instanceof WalArchiveError)) {
          await report(watch.notRunning(deps.now().getTime(), (err as Error).message));
          beat(`not archiving: ${(err as Error).message}`);
        }
        throw err;
      }

      /** WAL_ARCHIVE_COMMAND_ONLY: the server's archive_command sends the WAL; the round only watches. */
      async function watchRound(): Promise<ArchiveWalResult> {
        await watchArchiveCommand(deps, {
          server: input.server,
          roundSeconds: input.roundSeconds,
          signal: ctx.cancellationSignal,
          watch,
          newestArchived: progress.newestArchived,
          progress: (at, summary) => {
            progress = { ...progress, ...at };
            beat(summary);
          },
          report,
          reportArchiver,
          checked,
        });
        ctx.cancellationSignal.throwIfAborted();
        const { newestArchived, archivedLsn } = progress;
        return { server: input.server, newestArchived, stored: 0, archivedLsn, watch: watch.snapshot };
      }

      async function streamRound(): Promise<ArchiveWalResult> {
        const client = await connectDatabase(target);
        // Between files the heartbeat still goes out: it is also how a cancellation arrives.
        // Only while the round is moving: a round stuck in a call that never returns stops
        // heartbeating, so Temporal retries it from the archive and the slot instead of waiting for ever.
        let movedAt = Date.now();
        const keepAlive = setInterval(() => {
          if (Date.now() - movedAt < STALL_MS) beat(progress.summary);
          else log.warn('the archiving round has not moved for a while; letting its heartbeat lapse', { server: input.server });
        }, 5000);
        let sampling: NodeJS.Timeout | undefined;
        try {
          const server = await checkReplicationServer(client, input.server);
          await checkReplicationAccess(target);
          const { program, problem } = await streamingTool('pg_receivewal', server.versionNum, config.tools.pgBinDir);
          if (problem) throw new ConfigError([problem]);
          // WAL nobody could decrypt with the original key would be a silent gap.
          await proveActiveKey(bucket, deps.keyring);
          const slotState = await ensureSlot(client, slot, input.server, input.acceptGap ?? false);
          // Where this server's timeline forked from older ones (after a failover): the archive's end may lie past a fork.
          const serverHistory =
            server.timeline > 1
              ? parseHistory(await timelineHistoryText((o) => connectDatabase(target, o), server.timeline))
              : [];
          const serverLsn = parseLsn(
            (await client.query<{ l: string }>('SELECT pg_current_wal_flush_lsn()::text AS l')).rows[0].l,
          );
          const startFrom = (newest: string | undefined) =>
            streamStart({
              newestArchived: newest ? parseSegmentName(newest, server.segmentBytes) : undefined,
              slotRestartLsn: slotState.restartLsn,
              slotCreated: slotState.created,
              acceptGap: input.acceptGap,
              serverTimeline: server.timeline,
              serverHistory,
              serverLsn,
              archiveSystem,
              serverSystem: server.systemIdentifier,
              segmentBytes: server.segmentBytes,
            });
          const newest = progress.newestArchived ?? (await newestInArchive(access, input.server, server.segmentBytes));
          // Read before pg_receivewal writes a byte: another cluster's WAL must never join this archive.
          const archiveSystem = await archivedSystem(access, input.server, server.segmentBytes, newest);
          let start = startFrom(newest);
          // Heartbeats are throttled: a dead worker's last one may be behind what it stored (and the slot
          // moved past). The bucket itself says where the archive ends before anything is called a gap.
          if ('gap' in start && progress.newestArchived)
            start = startFrom(await newestInArchive(access, input.server, server.segmentBytes));
          if ('gap' in start) throw new WalArchiveError(`${input.server}: ${start.gap}`);
          if ('notThisServer' in start) throw new WalArchiveError(`${input.server}: ${start.notThisServer}`);
          // Everything before the first segment streamed is in the archive already.
          progress.archivedLsn ??= formatLsn(segmentStart(start.start.segno, server.segmentBytes));
          let busy = false;
          const tick = () => {
            if (busy) return;
            busy = true;
            sampleLag()
              .catch((err: Error) => log.warn('the WAL position could not be sampled', { error: err.message }))
              .finally(() => (busy = false));
          };
          tick();
          sampling = setInterval(tick, SAMPLE_MS);

          // pg_receivewal starts at the highest segment it finds: an empty .partial names the first one the archive lacks.
          const folder = join(await privateWorkDir(config.verify.workDir), `wal-${input.server}`);
          await rm(folder, { recursive: true, force: true });
          await mkdir(folder, { recursive: true, mode: 0o700 });
          await writeFile(join(folder, `${segmentName(start.start, server.segmentBytes)}.partial`), '');
          beat(`streaming from ${formatLsn(segmentStart(start.start.segno, server.segmentBytes))} into ${folder}`);
          await checked();

          const env = { ...libpqEnvironment(target), PGAPPNAME: slot };
          const spool = watchSpool(folder);
          const receiver = startReceiveWal({ program, folder, env, synchronous: config.wal.synchronous });
          const until = Date.now() + input.roundSeconds * 1000;
          let partialShippedAt = 0;
          let partialMtime = 0;
          try {
            for (;;) {
              movedAt = Date.now();
              const files = await spoolFiles(folder);
              const { ready, partial } = readyFiles(files, server.segmentBytes);
              for (const name of ready) {
                await shipFile(name);
                await rm(join(folder, name));
              }
              if (partial && files.find((f) => f.name === partial)!.size > 0) {
                const mtime = (await stat(join(folder, partial)).catch(() => undefined))?.mtimeMs ?? 0;
                const cadence = {
                  sinceShippedMs: Date.now() - partialShippedAt,
                  changed: mtime !== partialMtime,
                  everySeconds: config.wal.partialUploadSeconds,
                  soonerAtBytes: config.wal.partialUploadBytes,
                };
                // The received position costs a query: asked only when it can make a copy due.
                const received = busyCheckWorthwhile(cadence)
                  ? await receivedLsn(client, slot).catch(() => undefined)
                  : undefined;
                const unshippedBytes = received !== undefined ? received - parseLsn(progress.archivedLsn!) : undefined;
                if (partialCopyDue({ ...cadence, unshippedBytes })) {
                  partialShippedAt = Date.now();
                  partialMtime = mtime;
                  await shipPartial(partial);
                }
              }
              const stop = ctx.cancellationSignal.aborted || Date.now() >= until;
              if (stop || !receiver.running()) break;
              // A completed file wakes the loop at once; otherwise a look every 200 ms (a readdir each).
              await spool.nap(200, ctx.cancellationSignal);
            }
          } finally {
            spool.close();
            await receiver.stop();
          }
          const exit = await receiver.exited;
          // What pg_receivewal completed while stopping, and the open segment as it stands.
          const shipTheRest = async () => {
            const { ready, partial } = readyFiles(await spoolFiles(folder), server.segmentBytes);
            for (const name of ready) await shipFile(name);
            if (partial) await shipPartial(partial);
          };
          // A round that ends on time or on request stops pg_receivewal itself (exit 0 after SIGINT).
          const stoppedByUs = ctx.cancellationSignal.aborted || Date.now() >= until;
          if (!stoppedByUs) {
            // The server or the connection went away. If the server is lost, the spool is all there
            // is of its last WAL (in synchronous mode: commits it confirmed), and a retry starts afresh.
            await shipTheRest().catch((err: Error) =>
              log.warn('the WAL left in the spool could not be shipped', { server: input.server, error: err.message }),
            );
            throw receiverFailure(input.server, exit.said);
          }
          await shipTheRest();
          await rm(folder, { recursive: true, force: true });
          ctx.cancellationSignal.throwIfAborted();
          await sampleLag();
          return {
            server: input.server,
            newestArchived: progress.newestArchived,
            stored: progress.stored,
            archivedLsn: progress.archivedLsn,
            watch: watch.snapshot,
          };

          /** The watchdog's look: where the server is, what the archive and the slot hold, and PostgreSQL's own archiver. */
          async function sampleLag(): Promise<void> {
            await reportArchiver(watch.archiver.sample(deps.now().getTime(), await readArchiverStats(client), input.server));
            const at = await slotPosition(client, slot);
            // A server that became a standby under the archiver: the round fails on its own.
            if (at.lsn === null) return;
            await report(watch.sample(deps.now().getTime(), at.lsn, parseLsn(progress.archivedLsn!), at.retained));
          }

          /** Creates one completed file in the archive, then lets the slot release the WAL it holds. */
          async function shipFile(name: string): Promise<void> {
            movedAt = Date.now();
            const stored = await storeWalFile(store, join(folder, name), name, server.segmentBytes);
            // A retry after an upload whose reply was lost stores the same bytes, as does `wal push` beside streaming.
            if (stored.outcome === 'already') log.info('WAL file already archived with the same contents', { key: stored.key });
            const segment = parseSegmentName(name, server.segmentBytes);
            if (segment) {
              const end = segmentEnd(segment.segno, server.segmentBytes);
              await advanceSlot(client, slot, end);
              progress = { ...progress, newestArchived: name, archivedLsn: formatLsn(end), stored: progress.stored + 1 };
            } else progress = { ...progress, stored: progress.stored + 1 };
            await recordPosition();
            beat(`archived ${name}; the archive holds WAL up to ${progress.archivedLsn ?? '?'}`);
          }

          /** The archive's position, and how far the server is ahead of it, as metrics (the RPO you can see). */
          async function recordPosition(): Promise<void> {
            if (!progress.archivedLsn) return;
            const archived = parseLsn(progress.archivedLsn);
            // Only metrics: a server that went away must not stop its last WAL from being shipped.
            const read = await client.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l').catch(() => undefined);
            if (!read) return;
            const current = parseLsn(read.rows[0].l);
            deps.metrics.walArchived(input.server, {
              archivedLsnBytes: Number(archived),
              behindBytes: Number(current - archived),
              at: deps.now(),
            });
          }

          /** Replaces the open segment's copy: the archive then holds what pg_receivewal has written so far. */
          async function shipPartial(name: string): Promise<void> {
            movedAt = Date.now();
            const reported = await receivedLsn(client, slot).catch(() => undefined);
            const sealed = await sealOpenSegment(join(folder, name), compression, encryption.create, server.segmentBytes);
            if (!sealed) return;
            const segno = parseSegmentName(name.slice(0, -'.partial'.length), server.segmentBytes)!.segno;
            const copy = reported
              ? openCopyReach({
                  held: parseLsn(progress.archivedLsn!),
                  written: reported,
                  segno,
                  segmentBytes: server.segmentBytes,
                })
              : undefined;
            await bucket.replace(
              walKey(prefix, input.server, name, compression),
              sealed.body,
              walObjectOptions(store, sealed, copy ? { [WAL_WRITTEN_LSN]: formatLsn(copy.written) } : {}),
            );
            if (copy) progress = { ...progress, archivedLsn: formatLsn(copy.reach) };
            await recordPosition();
            beat(`shipped the open segment ${name} (WAL up to ${progress.archivedLsn ?? '?'})`);
          }
        } finally {
          clearInterval(keepAlive);
          clearInterval(sampling);
          await client.end().catch(() => undefined);
        }
      }
    },
  };
}

/**
 * The files in pg_receivewal's folder with their sizes. A file renamed between the listing and
 * its stat (the open segment completed: `X.partial` became `X`) is left to the next look.
 */
async function spoolFiles(folder: string): Promise<SpoolFile[]> {
  const found = await Promise.all(
    (await readdir(folder)).map(async (name) => {
      const s = await stat(join(folder, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      return s && { name, size: s.size };
    }),
  );
  return found.filter((f): f is SpoolFile => f !== undefined);
}

/**
 * pgwarden's physical slot, created holding WAL from now on if it is missing (a new server, or
 * a standby promoted after a failover: slots do not move with it); its restart LSN. A slot the
 * server gave up (past max_slot_wal_keep_size it keeps the slot but no WAL) is a gap: said so,
 * or, once an operator accepted it, made again.
 */
async function ensureSlot(
  client: Client,
  slot: string,
  server: string,
  acceptGap: boolean,
): Promise<{ restartLsn: bigint; created: boolean }> {
  const found = await client.query<{ lsn: string | null; status: string | null }>(
    `SELECT restart_lsn::text AS lsn, wal_status AS status FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const existing = found.rows[0];
  if (existing?.lsn) return { restartLsn: parseLsn(existing.lsn), created: false };
  if (existing?.status === 'lost' && !acceptGap)
    throw new WalArchiveError(
      `${server}: the server gave up the replication slot ${slot} and the WAL it held (more than max_slot_wal_keep_size was waiting), so the archive has a gap from where it ends; ${AFTER_A_GAP}`,
    );
  // Given up with the gap accepted, or made by hand without reserving WAL: made again, holding WAL from now.
  if (existing) await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
  log.info('creating the replication slot', {
    slot,
    replacing: existing ? `a slot ${existing.status ?? 'holding no WAL'}` : null,
  });
  await client.query(`SELECT pg_create_physical_replication_slot($1, true)`, [slot]);
  const created = await client.query<{ lsn: string }>(
    `SELECT restart_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return { restartLsn: parseLsn(created.rows[0].lsn), created: true };
}

/** Lets the server recycle WAL before `lsn`: called only once the archive holds it. */
async function advanceSlot(client: Client, slot: string, lsn: bigint): Promise<void> {
  await client.query(`SELECT pg_replication_slot_advance($1, $2::pg_lsn)`, [slot, formatLsn(lsn)]).catch((err: Error) => {
    // Advancing to a position the server has not flushed yet is refused; the next segment moves it.
    log.warn('the replication slot was not advanced', { slot, lsn: formatLsn(lsn), error: err.message });
  });
}

/** How far pg_receivewal has written, as the server sees it (its application name is the slot's name). */
async function receivedLsn(client: Client, slot: string): Promise<bigint | undefined> {
  const { rows } = await client.query<{ lsn: string | null }>(
    `SELECT write_lsn::text AS lsn FROM pg_stat_replication WHERE application_name = $1 ORDER BY write_lsn DESC LIMIT 1`,
    [slot],
  );
  return rows[0]?.lsn ? parseLsn(rows[0].lsn) : undefined;
}

/** pg_receivewal's own words, as the reason the round failed; a removed segment is a gap, not a blip. */
function receiverFailure(server: string, said: string): Error {
  const last = said.trim().split('\n').filter(Boolean).at(-1) ?? 'pg_receivewal exited';
  if (/has already been removed/.test(said))
    return new WalArchiveError(
      `${server}: ${last.replace(/^pg_receivewal: (error: )?/, '')}; the archive has a gap from there: ${AFTER_A_GAP}`,
    );
  return new BackupError(`${server}: pg_receivewal stopped: ${last.replace(/^pg_receivewal: (error: )?/, '')}`, {
    retryable: true,
  });
}

/**
 * Wakes the archiver's loop as soon as pg_receivewal completes a file (renamed to a name without
 * `.partial`, or a timeline history), not at its next look: a finished segment, and the one a
 * base backup waits for, is in S3 sooner. Writes to the open segment do not wake it. Where the
 * folder cannot be watched, the loop keeps its own pace.
 */
function watchSpool(folder: string): { nap(ms: number, signal: AbortSignal): Promise<void>; close(): void } {
  let completed = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(folder, (_event, name) => {
      if (!name || name.toString().endsWith('.partial')) return;
      completed = true;
      wake?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  return {
    async nap(ms, signal) {
      if (!completed) {
        await sleep(ms, signal, (done) => (wake = done));
        wake = undefined;
      }
      completed = false;
    },
    close: () => watcher?.close(),
  };
}

/** Waits, or less when the round is cancelled; leaves no listener behind (a round sleeps thousands of times). */
function sleep(ms: number, signal: AbortSignal, wakeWith?: (done: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    wakeWith?.(done);
  });
}
