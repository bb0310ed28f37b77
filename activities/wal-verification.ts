/**
 * verify's read-back of the WAL archived since its last run (see walCheckPlan): each segment
 * fetched, decrypted and checked against the SHA-256 taken when it was archived, then every
 * record's CRC read by pg_waldump of the server's version, a batch of consecutive segments at
 * a time in a private folder under PGWARDEN_WORK_DIR (at most WAL_CHECK_BATCH + 1 segments on
 * disk). How far it got is kept in the bucket after each batch, so a retry or the next run
 * goes on from there. A segment that fails is remembered and read again first by every run
 * until it passes, while the read-back goes on past it: one damaged segment never stops the
 * check of everything archived after it. Every VERIFY_WAL_REREAD_DAYS a pass reads the whole
 * archive again, within the same budget after the new segments (bit rot in a segment read long
 * ago would otherwise wait for the restore that needs it).
 */
import { Context, log } from '@temporalio/activity';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../src/infra/errors/errors';
import { pgProgram } from '../src/infra/postgres/binaries';
import { findRecoveryTools, recoveryToolsProblem } from '../src/infra/postgres/recovery-tools';
import { serverMajor } from '../src/infra/postgres/versions';
import { CommandError, runCommand } from '../src/infra/process/run-command';
import { walVerificationKey } from '../src/infra/storage/layout';
import { formatBytes } from '../src/operations/backup/progress';
import { ArchivedWal, archivedWal, baseBackups } from '../src/operations/pitr/archive';
import { newestBaseBackup } from '../src/operations/pitr/base-backup';
import { walVerificationNotice, walVerifiedNotice } from '../src/operations/pitr/notices';
import { saveWalFileHashed, WAL_PLAIN_SHA256 } from '../src/operations/pitr/wal-object';
import {
  rangeLsns,
  rereadDue,
  timelineEnds,
  WalCheckBatch,
  WalCheckedUpTo,
  walCheckPlan,
  waldumpFailure,
  WalReadBack,
  WalReread,
  walRereadPlan,
  WalVerification,
} from '../src/operations/pitr/wal-verification';
import { parseSegmentName, segmentName } from '../src/operations/pitr/wal-names';
import { privateWorkDir, workFileName } from '../src/operations/restore/work-files';
import { ActivityDeps } from './deps';
import { deliver } from './notify';

/** Segments per pg_waldump run: 256 MiB of 16 MiB segments on disk, plus the lead. */
const WAL_CHECK_BATCH = 16;
/** Segments fetched at once: S3 round trips and decryption overlap, each streamed to disk. */
const FETCH_AHEAD = 4;

interface StoredWalVerification {
  kind: 'pgwarden.wal-verification';
  formatVersion: 1;
  server: string;
  checked: WalCheckedUpTo;
  /** Segments that failed and have not passed since (absent: none). */
  failed?: string[];
  /** When the newest complete pass over the archive began (absent: none since this field exists). */
  lastFullPassAt?: string;
  /** A pass reading the archive again, under way. */
  reread?: WalReread;
  checkedAt: string;
  workflowId: string;
}

async function readStored(deps: ActivityDeps, server: string): Promise<StoredWalVerification | undefined> {
  const text = await deps.bucket.getText(walVerificationKey(deps.config.storage.prefix, server));
  return text ? (JSON.parse(text) as StoredWalVerification) : undefined;
}

/** How far verify has read a server's WAL back, and how many archived segments it has not read yet. */
export async function walReadBack(
  deps: ActivityDeps,
  server: string,
  wal: ArchivedWal,
  segmentBytes: number,
): Promise<WalReadBack> {
  const stored = await readStored(deps, server);
  const checked = stored?.checked ?? {};
  const pending = walCheckPlan({ ...everything(wal, segmentBytes), checked, batchSize: 1, budget: 0 }).deferred;
  const failed = (stored?.failed ?? []).filter((name) => wal.segments.has(name));
  const reread = stored?.reread;
  return {
    upTo: Object.values(checked).sort().at(-1) ?? null,
    checkedAt: stored?.checkedAt ?? null,
    failed,
    pending,
    lastFullPassAt: stored?.lastFullPassAt ?? null,
    reread: reread
      ? {
          startedAt: reread.startedAt,
          left: walRereadPlan({ ...everything(wal, segmentBytes), reread, failed, batchSize: 1, budget: 0 }).deferred,
        }
      : null,
  };
}

/** Every archived segment, for plans without a budget. */
const everything = (wal: ArchivedWal, segmentBytes: number) => ({
  segments: wal.segments.keys(),
  histories: wal.histories,
  segmentBytes,
});

/** A range's outcome: every segment sound, or the first one that is not and why. */
type RangeCheck = { ok: true } | { ok: false; segment: string; finding: string };

export function walVerificationActivities(deps: ActivityDeps) {
  return {
    /** null when VERIFY_WAL_SEGMENTS=0 on this worker. */
    async verifyArchivedWal(input: { server: string; workflowId: string; runId: string }): Promise<WalVerification | null> {
      const { config, bucket, keyring } = deps;
      if (config.verify.walSegments === 0) return null;
      const ctx = Context.current();
      const started = Date.now();
      const prefix = config.storage.prefix;
      const [wal, bases] = await Promise.all([
        archivedWal(bucket, keyring, prefix, input.server),
        baseBackups(bucket, prefix, input.server),
      ]);
      const result: WalVerification = {
        server: input.server,
        status: 'passed',
        segments: 0,
        bytes: 0,
        upTo: null,
        deferred: 0,
        failures: [],
        durationMs: 0,
        phases: { fetchMs: 0, readMs: 0 },
      };
      // The server's version and segment size come from its newest base backup; before the first there is no window to check.
      const newest = newestBaseBackup(bases);
      if (!newest) return { ...result, durationMs: Date.now() - started };
      const { segmentBytes } = newest.serverInfo;
      const major = serverMajor(newest.serverInfo.versionNum);
      const waldump = pgProgram('pg_waldump', config.tools.pgBinDir, (m) => m === major);
      const problem = recoveryToolsProblem(
        major,
        await findRecoveryTools(major, config.tools.pgBinDir, ['pg_waldump']),
        `reading PostgreSQL ${major}'s archived WAL back`,
      );
      if (problem) throw new ConfigError([`${input.server}: ${problem}`]);

      const stateKey = walVerificationKey(prefix, input.server);
      const stored = await readStored(deps, input.server);
      const checked: WalCheckedUpTo = { ...(stored?.checked ?? {}) };
      const ends = timelineEnds(wal.histories);
      const plan = walCheckPlan({
        ...everything(wal, segmentBytes),
        checked,
        batchSize: WAL_CHECK_BATCH,
        budget: config.verify.walSegments,
      });
      result.deferred = plan.deferred;
      const total = plan.batches.reduce((n, b) => n + b.segments.length, 0);
      // A first read-back reads everything archived, so it counts as a complete pass begun now.
      let lastFullPassAt = stored ? stored.lastFullPassAt : new Date(started).toISOString();
      let reread = stored?.reread;
      const folder = join(
        await privateWorkDir(config.verify.workDir),
        workFileName({ workflowId: input.workflowId, runId: input.runId }, `wal-check-${input.server}`),
      );
      await rm(folder, { recursive: true, force: true });
      await mkdir(folder, { mode: 0o700 });
      const failed = new Set<string>();
      const save = () =>
        bucket.putJson(stateKey, {
          kind: 'pgwarden.wal-verification',
          formatVersion: 1,
          server: input.server,
          checked,
          ...(failed.size ? { failed: [...failed].sort() } : {}),
          ...(lastFullPassAt ? { lastFullPassAt } : {}),
          ...(reread ? { reread } : {}),
          checkedAt: new Date().toISOString(),
          workflowId: input.workflowId,
        } satisfies StoredWalVerification);
      const fail = (c: { segment: string; finding: string }) => {
        failed.add(c.segment);
        result.failures.push(c.finding);
      };
      let progress = '';
      try {
        // Segments that failed before, first: each read again until it passes (a gone one is no longer anyone's concern).
        for (const name of stored?.failed ?? []) {
          if (!wal.segments.has(name)) continue;
          const s = parseSegmentName(name, segmentBytes)!;
          const before = segmentName({ timeline: s.timeline, segno: s.segno - 1n }, segmentBytes);
          const lead = wal.segments.has(before) && !stored!.failed!.includes(before) ? before : null;
          const c = await checkRange(lead, [name]);
          if (!c.ok) fail(c);
        }
        // Then what was archived since, batch by batch; past a damaged segment the check goes on without a lead.
        for (const batch of plan.batches) {
          const read = await readBatch(batch);
          result.segments += read.segments;
          if (read.upTo) result.upTo = read.upTo;
          checked[String(batch.timeline)] = batch.segments[batch.segments.length - 1];
          result.bytes = result.segments * segmentBytes;
          await save();
          progress = `WAL read back: ${result.segments} of ${total} new segment(s), ${formatBytes(result.bytes)}, up to ${batch.segments.at(-1)}`;
          ctx.heartbeat({ summary: progress });
        }
        // Then, with what is left of the budget, the pass reading the archive again, when one is due.
        const budget = config.verify.walSegments - total;
        const due = rereadDue({
          everyDays: config.verify.walRereadDays,
          lastFullPassAt,
          underWay: !!reread,
          now: Date.now(),
        });
        if (due && (reread || budget > 0)) {
          const pass: WalReread = reread ?? {
            startedAt: new Date().toISOString(),
            until: { ...(stored?.checked ?? {}) },
            upTo: {},
          };
          reread = pass;
          const again = walRereadPlan({
            ...everything(wal, segmentBytes),
            reread: pass,
            failed: [...new Set([...failed, ...(stored?.failed ?? [])])],
            batchSize: WAL_CHECK_BATCH,
            budget,
          });
          result.reread = { startedAt: pass.startedAt, segments: 0, left: again.deferred };
          const passTotal = again.batches.reduce((n, b) => n + b.segments.length, 0);
          for (const batch of again.batches) {
            const read = await readBatch(batch);
            result.reread.segments += read.segments;
            pass.upTo[String(batch.timeline)] = batch.segments[batch.segments.length - 1];
            await save();
            progress = `WAL read again: ${result.reread.segments} of ${passTotal} segment(s) archived earlier, up to ${batch.segments.at(-1)}`;
            ctx.heartbeat({ summary: progress });
          }
          if (!again.deferred) {
            lastFullPassAt = pass.startedAt;
            reread = undefined;
          }
        }
        // The failed segments read again (mended ones leave the list), a pass begun or ended: all recorded.
        await save();
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
      result.status = result.failures.length ? 'failed' : 'passed';
      result.durationMs = Date.now() - started;
      log.info('archived WAL read back', { server: input.server, segments: result.segments, failures: result.failures });
      if (result.status === 'failed') await deliver(deps, walVerificationNotice(result));
      else await deliver(deps, walVerifiedNotice(result), undefined, ['pagerduty']);
      return result;

      /**
       * One batch read; a damaged segment fails the run and the rest of the batch is read after
       * it without a lead (its broken record would be blamed on the next). How many segments were
       * read, and the newest sound one before the last damaged.
       */
      async function readBatch(batch: WalCheckBatch): Promise<{ segments: number; upTo: string | null }> {
        let lead = batch.lead && !failed.has(batch.lead) ? batch.lead : null;
        let rest = batch.segments;
        let segments = 0;
        let upTo: string | null = null;
        while (rest.length) {
          const c = await checkRange(lead, rest);
          const bad = c.ok ? rest.length : Math.max(0, rest.indexOf(c.segment));
          segments += c.ok ? rest.length : bad + 1;
          if (bad > 0) upTo = rest[bad - 1];
          if (c.ok) break;
          fail(c);
          rest = rest.slice(bad + 1);
          lead = null;
        }
        return { segments, upTo };
      }

      /**
       * Consecutive segments of one timeline in the folder (the lead kept from the range before
       * when it is there), each decrypted and checked against its archived SHA-256, then their
       * records read by pg_waldump; the first unsound segment, if any.
       */
      async function checkRange(lead: string | null, segments: string[]): Promise<RangeCheck> {
        const fetchFrom0 = Date.now();
        const wanted = [...(lead ? [lead] : []), ...segments];
        for (const name of await readdir(folder)) if (!wanted.includes(name)) await rm(join(folder, name));
        const present = new Set(await readdir(folder));
        // Fetched FETCH_AHEAD at a time (each streamed to disk), judged in order.
        const fetching = new Map<string, Promise<string | undefined>>();
        const fetchFrom = (i: number) => {
          for (const name of wanted.slice(i, i + FETCH_AHEAD))
            if (!present.has(name) && !fetching.has(name)) {
              const fetch = fetchChecked(name);
              // Awaited in order below; one failing (S3 away) while an earlier is awaited is not an unhandled rejection.
              fetch.catch(() => undefined);
              fetching.set(name, fetch);
            }
        };
        let unreadable: { segment: string; finding: string } | undefined;
        let fetched = 0;
        try {
          for (const [i, name] of wanted.entries()) {
            fetchFrom(i);
            if (!present.has(name)) {
              const finding = await fetching.get(name)!;
              // The lead passed an earlier run: unreadable now, the range is read without it.
              if (finding && name === lead) {
                lead = null;
                continue;
              }
              if (finding) {
                unreadable = { segment: name, finding };
                break;
              }
            }
            if (name !== lead) fetched++;
            ctx.heartbeat({ summary: `${name} fetched${progress ? ` (${progress})` : ''}` });
          }
        } finally {
          // Fetches begun past an unreadable segment, or beside one that failed (S3 away), finish
          // before the folder is read or cleared: one still writing would make clearing it fail instead.
          await Promise.allSettled(fetching.values());
        }
        result.phases!.fetchMs += Date.now() - fetchFrom0;
        // Records are read as far as the segments could be fetched: up to an unreadable one, all of them otherwise.
        const readable = segments.slice(0, fetched);
        if (readable.length) {
          const range = rangeLsns(lead, readable, ends, segmentBytes);
          const timeline = String(parseSegmentName(readable[0], segmentBytes)!.timeline);
          const readFrom = Date.now();
          try {
            await runCommand(
              waldump,
              ['--quiet', '--path', folder, '--timeline', timeline, '--start', range.startLsn, '--end', range.endLsn],
              { timeoutMs: 30 * 60_000 },
            );
          } catch (err) {
            if (!(err instanceof CommandError)) throw err;
            return { ok: false, ...waldumpFailure(err.stderr, readable[0], segmentBytes) };
          } finally {
            result.phases!.readMs += Date.now() - readFrom;
          }
        }
        return unreadable ? { ok: false, ...unreadable } : { ok: true };
      }

      /** One segment decrypted into the folder, its bytes checked against what was archived; a finding removes it. */
      async function fetchChecked(name: string): Promise<string | undefined> {
        const key = wal.segments.get(name)!;
        const path = join(folder, name);
        const finding = await (async () => {
          // Both settled before either's failure goes on: a save still writing would race the folder's clearing.
          const [saved, headed] = await Promise.all([
            saveWalFileHashed(bucket, key, keyring, path).catch((err: Error) => err),
            bucket.head(key).then(
              (h) => ({ h }),
              (err: unknown) => ({ err }),
            ),
          ]);
          if ('err' in headed) throw headed.err;
          const head = headed.h;
          if (saved instanceof Error) return `${name}: could not be read back (${saved.message})`;
          if (!saved) return `${name}: gone from the bucket while being checked`;
          if (saved.bytes !== segmentBytes) return `${name}: ${saved.bytes} bytes, not a whole segment (${segmentBytes})`;
          const recorded = head?.Metadata?.[WAL_PLAIN_SHA256];
          if (recorded && saved.sha256 !== recorded)
            return `${name}: its bytes differ from those archived (SHA-256 recorded at archiving does not match)`;
          return undefined;
        })();
        if (finding) await rm(path, { force: true });
        return finding;
      }
    },
  };
}
