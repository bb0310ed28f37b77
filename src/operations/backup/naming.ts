/**
 * Backup names: `backup_YYYYMMDD_HHMMSS` is the strategy's naming; everything of one backup
 * shares that id. Where its objects live: src/infra/storage/layout.ts.
 */

const ID = /^backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

export function backupIdFor(at: Date): string {
  const iso = at.toISOString(); // 2026-11-24T02:00:00.000Z
  return `backup_${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

/** The UTC time a backup id stands for, or undefined if the text is not a backup id. */
export function parseBackupId(id: string): Date | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  return backupIdFor(date) === id ? date : undefined;
}

/** The id of the second after `id`'s: where a backup goes whose own second another run took. */
export function nextBackupId(id: string): string {
  const at = parseBackupId(id);
  if (!at) throw new Error(`not a backup id: ${id}`);
  return backupIdFor(new Date(at.getTime() + 1000));
}

/**
 * 16 hex digits for a run id, the same for every attempt of the run (temporary database names
 * a retry finds again). FNV-1a, 32 bits, twice with different seeds: plain arithmetic, so it
 * runs in the workflow sandbox too.
 */
export function runHash(id: string): string {
  const fnv = (seed: number) => {
    let h = seed;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, '0');
  };
  return `${fnv(0x811c9dc5)}${fnv(0x050c5d1f)}`;
}
