/**
 * Run records past keeping: the small JSON files under `<db>/records/` (a failed backup run's,
 * a restore's), which feed the report. Their names say when they were written; cleanup removes
 * those older than RECORDS_KEEP_DAYS. Evidence reports (`reports/`) are never pruned. Pure.
 */
import { parseBackupId } from '../backup/naming';

/** `backup-failures/backup_20261124_020000.json` by its backup id, `restores/20261124T013000Z_<id>.json` by its time. */
export function recordTime(key: string): Date | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const failure = /^(backup_\d{8}_\d{6})\.json$/.exec(name);
  if (failure) return parseBackupId(failure[1]);
  const restore = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z_.*\.json$/.exec(name);
  if (!restore) return undefined;
  const [, y, mo, d, h, mi, s] = restore;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The records written more than `keepDays` before `now`; a name without a time is kept. */
export function recordsPastKeeping(keys: string[], now: Date, keepDays: number): string[] {
  const edge = now.getTime() - keepDays * 86_400_000;
  return keys.filter((k) => {
    const at = recordTime(k);
    return at !== undefined && at.getTime() < edge;
  });
}
