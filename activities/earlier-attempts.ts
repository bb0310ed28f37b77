/**
 * Makes a retry start clean: aborts unfinished multipart uploads a crashed attempt left, and
 * removes objects that an earlier attempt of this same run finished uploading but never
 * committed (no manifest exists, so they never were a backup). All of a backup's objects are
 * named `<backup id>.` in one folder, so one listing of each kind finds them. Objects of other
 * runs are never touched. Used by dumps and base backups alike.
 */
import { log } from '@temporalio/activity';
import { BackupError } from '../src/infra/errors/errors';
import type { Bucket } from '../src/infra/storage/bucket';

export async function clearEarlierAttempts(
  bucket: Bucket,
  spec: {
    manifestKey: string;
    /** `<folder><backup id>.`: every object of the backup starts with it. */
    objectsPrefix: string;
    runId: string;
    /** "backup X of db", "base backup X of server": for the refusals. */
    what: string;
  },
): Promise<void> {
  const [manifest, uploads, existing] = await Promise.all([
    bucket.head(spec.manifestKey),
    bucket.unfinishedUploads(spec.objectsPrefix),
    bucket.list(spec.objectsPrefix),
  ]);
  if (manifest) throw new BackupError(`${spec.what} is already complete (its manifest exists)`);
  for (const u of uploads) {
    await bucket.abortUpload(u);
    log.warn('aborted an unfinished upload of an earlier attempt', { key: u.key });
  }
  for (const { key } of existing) {
    const head = await bucket.head(key);
    if (!head) continue;
    if (head.Metadata?.['pgwarden-run-id'] !== spec.runId) {
      throw new BackupError(`${bucket.where(key)} already exists from another run; start the backup again for a new backup id`);
    }
    log.warn('removing an uncommitted object of an earlier attempt of this run', { key });
    await bucket.delete(key);
  }
}
