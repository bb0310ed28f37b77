/**
 * Incremental base backups (PostgreSQL 17+: `pg_basebackup --incremental`, put back together
 * by `pg_combinebackup`): which kind the next base backup is, whether the server's WAL
 * summaries reach back far enough, and the chains restores and cleanup must keep whole. An
 * incremental holds only what changed since its parent, so it is worth nothing without every
 * backup before it in its chain, back to the full one. Pure.
 */
import { type BaseBackupManifest, type FullReason, newestBaseBackup } from './base-backup';
import { parseLsn } from './wal-names';

/** The first PostgreSQL with incremental base backups. */
export const INCREMENTAL_MAJOR = 17;

export type NextBaseBackup =
  { kind: 'full'; reason?: FullReason; why?: string } | { kind: 'incremental'; parent: string; chain: string[] };

/** A WAL summary the server holds (pg_available_wal_summaries()). */
export interface WalSummaryRange {
  timeline: number;
  startLsn: string;
  endLsn: string;
}

/**
 * Whether the summaries cover the timeline's WAL without a hole from `from` up to the newest
 * one: what pg_basebackup --incremental needs from the parent's start on.
 */
export function summariesReach(summaries: WalSummaryRange[], timeline: number, from: string): boolean {
  const ranges = summaries
    .filter((s) => s.timeline === timeline)
    .map((s) => [parseLsn(s.startLsn), parseLsn(s.endLsn)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (!ranges.length) return false;
  // Walking back from the newest, each must begin where the one before it ended (or earlier).
  let reach = ranges[ranges.length - 1][0];
  for (let i = ranges.length - 2; i >= 0; i--) {
    if (ranges[i][1] < reach) break;
    if (ranges[i][0] < reach) reach = ranges[i][0];
  }
  return reach <= parseLsn(from);
}

/**
 * Full or incremental, and why full when incrementals were asked for: with
 * BASEBACKUP_INCREMENTALS = N, up to N incrementals follow a full one. A full one is taken
 * whenever an incremental could not be restored or trusted: an older server, WAL summaries off
 * or not reaching back to the parent, a parent without its stored
 * backup_manifest, one that failed its verification, or a new timeline since.
 */
export function nextBaseBackup(input: {
  incrementals: number;
  serverMajor: number;
  summarizeWal: boolean;
  summaries: WalSummaryRange[];
  timeline: number;
  /** The newest complete base backup, and whether its latest verification failed. */
  newest?: Pick<BaseBackupManifest, 'backupId' | 'incremental' | 'backupManifest' | 'start'>;
  newestFailed: boolean;
  /** A full one was asked for (pgwarden basebackup --full). */
  askedFull?: boolean;
}): NextBaseBackup {
  const { newest } = input;
  if (input.incrementals <= 0) return { kind: 'full' };
  const full = (reason: FullReason, why: string): NextBaseBackup => ({ kind: 'full', reason, why });
  if (input.askedFull) return full('asked', ASKED_FULL);
  if (input.serverMajor < INCREMENTAL_MAJOR)
    return full('server-too-old', `PostgreSQL ${input.serverMajor} has no incremental base backups (17 and newer have)`);
  if (!input.summarizeWal)
    return full(
      'summaries-off',
      'summarize_wal is off on the server (ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf())',
    );
  if (!newest) return full('first', FIRST_FULL);
  const chain = [...(newest.incremental?.chain ?? []), newest.backupId];
  if (chain.length > input.incrementals) return full('chain-complete', chainComplete(input.incrementals, chain[0]));
  if (!newest.backupManifest)
    return full(
      'parent-without-manifest',
      `${newest.backupId} has no backup_manifest of its own stored (taken before BASEBACKUP_INCREMENTALS was set)`,
    );
  if (input.newestFailed) return full('parent-failed', `${newest.backupId} failed its latest verification`);
  if (newest.start.timeline !== input.timeline)
    return full('new-timeline', `the server is on timeline ${input.timeline} since ${newest.backupId} (a failover or a restore)`);
  if (!summariesReach(input.summaries, input.timeline, newest.start.lsn))
    return full(
      'summaries-short',
      `the server's WAL summaries no longer reach back to the start of ${newest.backupId} (${newest.start.lsn}; wal_summary_keep_time)`,
    );
  return { kind: 'incremental', parent: newest.backupId, chain };
}

const ASKED_FULL = 'asked for (pgwarden basebackup --full)';
const FIRST_FULL = 'there is no base backup yet to build on';
const chainComplete = (n: number, full: string) => `${n} incremental base backup(s) followed the full one ${full}`;
/** The schedule's own course: nothing to change. */
const AS_SCHEDULED: ReadonlySet<FullReason> = new Set(['asked', 'first', 'chain-complete']);
/** Manifests written before `fullReason` (2026-12-04) say it only in words. */
const asScheduledInWords = (why: string) =>
  why === ASKED_FULL || why === FIRST_FULL || /^\d+ incremental base backup\(s\) followed the full one /.test(why);

/**
 * What pitr list and the report say when incrementals are asked for and the newest base backup
 * is full for another reason than starting a chain or being asked for: most such reasons
 * (summarize_wal off, an older server, summaries kept too briefly) hold for every
 * scheduled one after it, and nobody reads a scheduled base backup's output.
 */
export function incrementalNotes(
  server: string,
  bases: Array<Pick<BaseBackupManifest, 'backupId' | 'finishedAt' | 'incremental' | 'fullBecause' | 'fullReason'>>,
  incrementals: number,
): string[] {
  const newest = newestBaseBackup(bases);
  const why = newest?.fullBecause;
  if (incrementals <= 0 || !newest || newest.incremental || !why) return [];
  if (newest.fullReason ? AS_SCHEDULED.has(newest.fullReason) : asScheduledInWords(why)) return [];
  return [
    `the newest base backup of ${server} (${newest.backupId}) is full though BASEBACKUP_INCREMENTALS=${incrementals} asks for incrementals: ${why}`,
  ];
}

/** Each base backup with the ones its chain rests on that are not among `bases` (none: its chain is whole). */
export function chainGaps<T extends Pick<BaseBackupManifest, 'backupId' | 'incremental'>>(
  bases: T[],
): Array<{ base: T; missing: string[] }> {
  const ids = new Set(bases.map((b) => b.backupId));
  return bases.map((base) => ({ base, missing: (base.incremental?.chain ?? []).filter((id) => !ids.has(id)) }));
}

/** Base backups whose chain is whole: every one it rests on is there. */
export function restorable<T extends Pick<BaseBackupManifest, 'backupId' | 'incremental'>>(bases: T[]): T[] {
  return chainGaps(bases)
    .filter((g) => !g.missing.length)
    .map((g) => g.base);
}

/** Failed verifications, each also holding for every incremental that rests on the failed one. */
export function failedWithChains(
  bases: Array<Pick<BaseBackupManifest, 'backupId' | 'incremental'>>,
  failed: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map(failed);
  for (const b of bases) {
    if (out.has(b.backupId)) continue;
    const bad = (b.incremental?.chain ?? []).find((id) => failed.has(id));
    if (bad) out.set(b.backupId, `it rests on ${bad}, which failed its verification (${failed.get(bad)})`);
  }
  return out;
}

/** Every base backup a kept one rests on, with the incremental that needs it (the newest such). */
export function neededByChains(
  bases: Array<Pick<BaseBackupManifest, 'backupId' | 'incremental'>>,
  kept: ReadonlySet<string>,
): Map<string, string> {
  const needed = new Map<string, string>();
  for (const b of [...bases].sort((x, y) => (x.backupId < y.backupId ? 1 : -1)))
    if (kept.has(b.backupId)) for (const id of b.incremental?.chain ?? []) if (!needed.has(id)) needed.set(id, b.backupId);
  return needed;
}
