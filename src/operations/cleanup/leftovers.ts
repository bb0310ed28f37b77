/**
 * What cleanup counts as left over: objects named for a backup id that no manifest commits, the
 * remains of a run that was interrupted or failed (or of a backup half deleted). Dumps
 * (`backup_<stamp>.…` in data/ and verifications/) and base backups (`base_<stamp>.…` in
 * basebackups/ and basebackup-verifications/) alike. Pure.
 */
import { parseBackupId } from '../backup/naming';

const fileName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** The backup id an object's name starts with (`backup_<stamp>` or `base_<stamp>`, a real second), if any. */
export function backupIdOfObject(key: string): string | undefined {
  const m = /^((backup|base)_(\d{8}_\d{6}))(\.|$)/.exec(fileName(key));
  return m && parseBackupId(`backup_${m[3]}`) ? m[1] : undefined;
}

/** The base backups a listing of basebackups/ holds manifests of (`base_<stamp>.json`). */
export function committedBaseBackups(listed: Array<{ key: string }>): Set<string> {
  const names = new Set(listed.map((o) => fileName(o.key)));
  const ids = listed.map((o) => backupIdOfObject(o.key)).filter((id): id is string => id?.startsWith('base_') ?? false);
  return new Set(ids.filter((id) => names.has(`${id}.json`)));
}

/**
 * The objects whose backup id is not among `kept`: the committed backups, and the old scripts'
 * files whose verification records sit beside pgwarden's. Objects not named for a backup id are
 * not cleanup's to judge.
 */
export function withoutManifest<T extends { key: string }>(objects: T[], kept: ReadonlySet<string>): T[] {
  return objects.filter((o) => {
    const id = backupIdOfObject(o.key);
    return id !== undefined && !kept.has(id);
  });
}
