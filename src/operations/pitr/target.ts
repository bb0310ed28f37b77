/**
 * Where a point-in-time restore goes, as plain functions: the target (a time, an LSN, a named
 * restore point, the end of the archive, or the first consistent point), the base backup it
 * starts from, and the recovery settings PostgreSQL is given.
 */
import { failedWithChains, restorable } from './incremental';
import { type BaseBackupManifest, byFinish } from './base-backup';
import { restorePointNameProblem } from './restore-points';
import { formatLsn, parseLsn } from './wal-names';

export type RecoveryTarget =
  | { kind: 'time'; time: string }
  /** `before`: only the records that start before the LSN (a base backup's counting point); else the one at it too. */
  | { kind: 'lsn'; lsn: string; before?: boolean }
  /** `lsn`: where the point is, when pgwarden recorded it (pitr mark); unknown for one made in SQL. */
  | { kind: 'name'; name: string; lsn?: string }
  | { kind: 'latest' }
  | { kind: 'immediate' };

/** The target as a person wrote it, for messages. */
export function describeTarget(t: RecoveryTarget): string {
  switch (t.kind) {
    case 'time':
      return t.time;
    case 'lsn':
      return t.before ? `just before LSN ${t.lsn}` : `LSN ${t.lsn}`;
    case 'name':
      return `restore point "${t.name}"`;
    case 'latest':
      return 'the end of the archived WAL';
    case 'immediate':
      return 'the first consistent point of the base backup';
  }
}

/** A target from the command line, or the one line that says what is wrong with it. */
export function parseTarget(input: { to?: string; toLsn?: string; toName?: string }): RecoveryTarget | { problem: string } {
  const given = [input.to, input.toLsn, input.toName].filter((v) => v !== undefined);
  if (given.length !== 1) return { problem: 'give exactly one of --to TIME|latest|immediate, --to-lsn LSN, --to-name NAME' };
  if (input.toLsn !== undefined) {
    try {
      return { kind: 'lsn', lsn: formatLsn(parseLsn(input.toLsn)) };
    } catch (err) {
      return { problem: `--to-lsn: ${(err as Error).message}` };
    }
  }
  if (input.toName !== undefined) {
    // PostgreSQL refuses a longer recovery_target_name only when the instance starts: after the unpacking.
    const problem = restorePointNameProblem(input.toName);
    if (problem) return { problem: `--to-name: ${problem}` };
    return { kind: 'name', name: input.toName };
  }
  const to = input.to!.trim();
  if (to === 'latest') return { kind: 'latest' };
  if (to === 'immediate') return { kind: 'immediate' };
  // A time needs its zone: "10:00" on an operator's laptop and on the worker are different moments.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(to) || Number.isNaN(Date.parse(to)))
    return { problem: `--to ${to}: expected an ISO time with its zone (2026-11-29T10:15:00Z or +01:00), latest or immediate` };
  return { kind: 'time', time: new Date(to).toISOString() };
}

/**
 * Whether recovery from a base backup can stop at the target: the copy must be consistent
 * (finished) before it. A restore point of unknown position could be anywhere after any of them.
 */
function consistentBefore(target: RecoveryTarget): (b: BaseBackupManifest) => boolean {
  switch (target.kind) {
    case 'time':
      return (b) => b.finishedAt <= target.time;
    case 'lsn':
      return (b) => parseLsn(b.stop.lsn) <= parseLsn(target.lsn);
    case 'name': {
      const at = target.lsn;
      return (b) => at === undefined || parseLsn(b.stop.lsn) <= parseLsn(at);
    }
    default:
      return () => true;
  }
}

/** Base backups whose latest verification failed: id to the day it did (`2026-11-29`). */
export type FailedBaseBackups = ReadonlyMap<string, string>;

/**
 * The base backup to start from: the newest one that ended before the target (recovery
 * cannot stop before the copy is consistent), passing over any whose latest verification
 * failed while an older one can serve (the note says so). Base backups in any order.
 * A restore point of unknown position gets the newest: recovery finds it only if it came later.
 */
export function chooseBaseBackup(
  bases: BaseBackupManifest[],
  target: RecoveryTarget,
  failedVerifications: FailedBaseBackups = new Map(),
): { base: BaseBackupManifest; note?: string } | { problem: string } {
  // An incremental whose chain is not whole cannot be restored; one resting on a failed one is as good as failed.
  const failed = failedWithChains(bases, failedVerifications);
  const sorted = byFinish(restorable(bases));
  if (!sorted.length) return { problem: 'no base backup of this server exists yet: take one (pgwarden basebackup) first' };
  const window = `base backups from ${sorted[0].finishedAt} (${sorted[0].backupId}) to ${sorted.at(-1)!.finishedAt}`;
  const usable = sorted.filter(consistentBefore(target));
  const newest = usable.at(-1);
  if (!newest)
    return {
      problem: `${describeTarget(target)}${target.kind === 'name' ? ` (at LSN ${target.lsn})` : ''} is before the oldest base backup can be made consistent (${window}); choose a later target`,
    };
  const good = usable.filter((b) => !failed.has(b.backupId)).at(-1);
  if (good === newest) return { base: good };
  const failedOnes = (from: BaseBackupManifest[]) => from.map((b) => `${b.backupId} (${failed.get(b.backupId)})`).join(', ');
  if (!good)
    return {
      base: newest,
      note: `base backup ${newest.backupId} failed its verification (${failed.get(newest.backupId)}) and every other one that reaches the target did too: recovery starts from it anyway`,
    };
  const passedOver = usable.slice(usable.indexOf(good) + 1);
  return {
    base: good,
    note: `recovery starts from ${good.backupId}: the newer base backup${passedOver.length > 1 ? 's' : ''} before the target failed ${passedOver.length > 1 ? 'their' : 'its'} verification (${failedOnes(passedOver)}) (restore --pitr --base ${newest.backupId} uses it anyway)`,
  };
}

/**
 * The base backup the operator named (`--base`): an older one than the default when the newest
 * is damaged, or when a restore point made in SQL is older than it. `missing`: no such backup.
 */
export function namedBaseBackup(
  bases: BaseBackupManifest[],
  target: RecoveryTarget,
  backupId: string,
  failed: FailedBaseBackups = new Map(),
): { base: BaseBackupManifest; note?: string } | { problem: string; missing?: true } {
  const base = bases.find((b) => b.backupId === backupId);
  if (!base)
    return { problem: `base backup ${backupId} does not exist (pgwarden pitr list shows the base backups)`, missing: true };
  if (!consistentBefore(target)(base))
    return {
      problem: `${describeTarget(target)}${target.kind === 'name' ? ` (at LSN ${target.lsn})` : ''} is before base backup ${backupId} is consistent (${base.finishedAt}, LSN ${base.stop.lsn}); choose an older base backup (pgwarden pitr list) or a later target`,
    };
  const lost = (base.incremental?.chain ?? []).filter((id) => !bases.some((b) => b.backupId === id));
  if (lost.length)
    return {
      problem: `base backup ${backupId} is incremental and ${lost.join(', ')}, which it rests on, is gone: choose another (pgwarden pitr list)`,
    };
  const failedOn = failedWithChains(bases, failed).get(backupId);
  return failedOn
    ? { base, note: `base backup ${backupId} failed its verification (${failedOn}); recovery starts from it as asked` }
    : { base };
}

/**
 * A time target after the newest WAL the archive holds cannot be reached: recovery would replay
 * everything and stop without a commit past the target. Said before any work, with the window.
 * `newestStoredAt` is when the newest WAL file reached the bucket (ms), as S3 keeps it: in whole
 * seconds, cut down, so a file stored at 10:00:00.900 says 10:00:00 and a target in that second
 * may well be in it.
 */
export function targetAfterArchive(
  target: RecoveryTarget,
  newestStoredAt: number | null,
  base: BaseBackupManifest,
): string | undefined {
  if (target.kind !== 'time' || newestStoredAt === null || Date.parse(target.time) < newestStoredAt + 1000) return undefined;
  const newest = new Date(newestStoredAt).toISOString();
  return `${describeTarget(target)} is after the newest WAL in the archive (stored ${newest}); the recoverable window is ${base.finishedAt} to about ${newest}: choose a time in it, or --to latest for all there is`;
}

/** The target's WAL position when it has one: an LSN, or a restore point pgwarden recorded. */
export function targetLsn(t: RecoveryTarget): string | undefined {
  return t.kind === 'lsn' || t.kind === 'name' ? t.lsn : undefined;
}

/**
 * Said when a restore to a restore point pgwarden did not record is chosen: where recovery will
 * look for it, before hours of unpacking and replay say it was not there.
 */
export function unrecordedPointWarning(target: RecoveryTarget, baseBackupId: string): string | undefined {
  if (target.kind !== 'name' || target.lsn !== undefined) return undefined;
  return `restore point "${target.name}" was not recorded by pgwarden (pitr mark records them, pitr points lists them): recovery starts from the newest base backup, ${baseBackupId}, and finds the point only if it was made after that`;
}

/**
 * What to add when recovery ended before a restore point of unknown position: it was made
 * before the base backup recovery started from (the newest, or the one named) or never, which
 * PostgreSQL cannot tell apart.
 */
export function unrecordedPointNote(target: RecoveryTarget, base: Pick<BaseBackupManifest, 'backupId' | 'start'>): string {
  if (target.kind !== 'name' || target.lsn !== undefined) return '';
  return `; restore point "${target.name}" was not found in the WAL after base backup ${base.backupId} (from LSN ${base.start.lsn}): pgwarden did not record it (pgwarden pitr mark does), so if it was made before that backup, restore from an older one (--base BASE_ID; pgwarden pitr list shows them), or to its time (--to) or its LSN (--to-lsn, what pg_create_restore_point returned)`;
}

/** PostgreSQL's recovery settings for the target; the instance is promoted when it gets there. */
export function recoverySettings(target: RecoveryTarget, restoreCommand: string): Record<string, string> {
  const settings: Record<string, string> = {
    restore_command: restoreCommand,
    recovery_target_timeline: 'latest',
    recovery_target_action: 'promote',
  };
  // PostgreSQL's recovery_target_time does not take ISO's "T" and "Z": "2026-11-29 10:15:00.000+00".
  if (target.kind === 'time') settings.recovery_target_time = target.time.replace('T', ' ').replace(/Z$/, '+00');
  if (target.kind === 'lsn') settings.recovery_target_lsn = target.lsn;
  if (target.kind === 'name') settings.recovery_target_name = target.name;
  if (target.kind === 'immediate') settings.recovery_target = 'immediate';
  // A transaction committed at exactly the target time is in: the database as of that moment.
  if (target.kind === 'time') settings.recovery_target_inclusive = 'true';
  if (target.kind === 'lsn' && target.before) settings.recovery_target_inclusive = 'false';
  return settings;
}

/**
 * restore_command for a WAL folder still being filled while recovery runs: it waits for a
 * segment until the file arrives or the folder says every file is there, then copies it (a
 * file missing after that is the end of the archive, as recovery expects). Timeline histories
 * are all fetched before PostgreSQL starts, so one that is missing is not waited for.
 */
export function fetchedWalCommand(walDir: string, allFetchedMarker: string): string {
  return (
    `case "%f" in *.history) ;; *) until [ -f "${walDir}/%f" ] || [ -f "${walDir}/${allFetchedMarker}" ]; ` +
    `do sleep 0.1; done ;; esac; cp "${walDir}/%f" "%p"`
  );
}

/** postgresql.auto.conf lines for the settings, quoted as PostgreSQL reads them. */
export function autoConfLines(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = '${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`)
    .join('\n');
}
