/**
 * Makes a retry start clean: aborts unfinished multipart uploads a crashed attempt left, and
 * removes objects that an earlier attempt of this same run finished uploading but never
 * committed (no manifest exists, so they never were a backup). All of a backup's objects are
 * named `<backup id>.` in one folder, so one listing of each kind finds them. Objects of other
 * runs are never touched. Used by dumps and base backups alike.
 */
import { log } from '@temporalio/activity';
import { BackupError } from '../src/infra/errors/errors';
import type { Bucket, UnfinishedUpload } from '../src/infra/storage/bucket';

/**
 * What holds a backup id in the bucket: its manifest (committed), unfinished uploads, and its
 * objects, each with the run that stored it. Read by the dump's clean-up below and by the
 * choice of a backup's id (backup-id.ts).
 */
export async function occupantsOf(
  bucket: Bucket,
  spec: { manifestKey: string; /** `<folder><backup id>.` */ objectsPrefix: string },
): Promise<{ committed: boolean; uploads: UnfinishedUpload[]; objects: Array<{ key: string; runId: string | undefined }> }> {
  const [manifest, uploads, listed] = await Promise.all([
    bucket.head(spec.manifestKey),
    bucket.unfinishedUploads(spec.objectsPrefix),
    bucket.list(spec.objectsPrefix),
  ]);
  const objects: Array<{ key: string; runId: string | undefined }> = [];
  for (const { key } of listed) {
    const head = await bucket.head(key);
    if (head) objects.push({ key, runId: head.Metadata?.['pgwarden-run-id'] });
  }
  return { committed: Boolean(manifest), uploads, objects };
}

export async function clearEarlierAttempts(
  bucket: Bucket,
  spec: {
    manifestKey: string;
    /** `<folder><backup id>.`: every object of the backup starts with it. */
    objectsPrefix: string;
    runId: string;
    /** The run's claim on the backup id (backup-id.ts): kept while the run lasts. */
    claimKey?: string;
    /** "backup X of db", "base backup X of server": for the refusals. */
    what: string;
  },
): Promise<void> {
  const { committed, uploads, objects } = await occupantsOf(bucket, spec);
  if (committed) throw new BackupError(`${spec.what} is already complete (its manifest exists)`);
  for (const u of uploads) {
    await bucket.abortUpload(u);
    log.warn('aborted an unfinished upload of an earlier attempt', { key: u.key });
  }
  for (const { key, runId } of objects) {
    if (runId !== spec.runId) {
      throw new BackupError(`${bucket.where(key)} already exists from another run; start the backup again for a new backup id`);
    }
    if (key === spec.claimKey) continue;
    log.warn('removing an uncommitted object of an earlier attempt of this run', { key });
    await bucket.delete(key);
  }
}
