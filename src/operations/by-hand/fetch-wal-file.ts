/**
 * One archived WAL file to where PostgreSQL asks for it: `pgwarden wal fetch %f %p` as a
 * restore_command, for a recovery started by hand while the worker or Temporal is down.
 * pgwarden's own restores fetch ahead and need no process per file (activities/wal-fetch.ts).
 */
import { renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Keyring } from '../../infra/crypto/keyring';
import { IntegrityError } from '../../infra/errors/errors';
import type { Bucket } from '../../infra/storage/bucket';
import { walFileOf, walFolder } from '../../infra/storage/layout';
import { saveWalFileHashed, WAL_PLAIN_SHA256 } from '../pitr/wal-object';

/**
 * Of the stored keys beginning with the file's name, the one holding it: the file itself, or
 * for a segment the archive holds only as it was being written, its `.partial` (the newest WAL,
 * as far as it was written; recovery ends where its zeros begin). Pure.
 */
export function pickWalObject(keys: string[], fileName: string): { key: string; partial: boolean } | undefined {
  const named = keys.map((key) => ({ key, file: walFileOf(key) })).filter((k) => k.file);
  const whole = named.find((k) => k.file!.fileName === fileName);
  if (whole) return { key: whole.key, partial: false };
  const partial = named.find((k) => k.file!.fileName === `${fileName}.partial`);
  return partial ? { key: partial.key, partial: true } : undefined;
}

export interface FetchedWalFile {
  key: string;
  partial: boolean;
  bytes: number;
}

/**
 * Writes WAL file `fileName` of `server` to `path` (aside first, then renamed: PostgreSQL never
 * reads half a file), checked against the SHA-256 taken when it was archived. Undefined when
 * the archive does not hold it (nothing written).
 */
export async function fetchWalFile(
  from: { bucket: Bucket; keyring: Keyring; prefix: string },
  server: string,
  fileName: string,
  path: string,
): Promise<FetchedWalFile | undefined> {
  // A `.partial` is replaced every second or so while archiving runs, and deleted once the
  // segment is whole: one read between the listing and the metadata is looked up again.
  for (let attempt = 1; ; attempt++) {
    const chosen = pickWalObject(
      (await from.bucket.list(`${walFolder(from.prefix, server)}${fileName}`)).map((o) => o.key),
      fileName,
    );
    if (!chosen) return undefined;
    const fetched = await fetchChecked(from, chosen, path);
    if (fetched !== 'replaced') return fetched;
    if (attempt === 3)
      throw new IntegrityError(`${from.bucket.where(chosen.key)} changed while it was read, three times; try again`);
  }
}

async function fetchChecked(
  from: { bucket: Bucket; keyring: Keyring },
  chosen: { key: string; partial: boolean },
  path: string,
): Promise<FetchedWalFile | 'replaced'> {
  const head = await from.bucket.head(chosen.key);
  if (!head) return 'replaced';
  // Objects archived before the SHA-256 was kept have none: the container's own check stands.
  const archived = head.Metadata?.[WAL_PLAIN_SHA256];
  const aside = `${path}.pgwarden-part`;
  try {
    const saved = await saveWalFileHashed(from.bucket, chosen.key, from.keyring, aside);
    if (!saved) return 'replaced';
    if (archived && saved.sha256 !== archived) {
      if (chosen.partial) return 'replaced';
      throw new IntegrityError(
        `${from.bucket.where(chosen.key)} decrypts to other bytes than were archived (SHA-256 ${saved.sha256}, archived ${archived}): the object is damaged; recover to a point before this file`,
      );
    }
    renameSync(aside, path);
    return { key: chosen.key, partial: chosen.partial, bytes: saved.bytes };
  } finally {
    await rm(aside, { force: true });
  }
}
