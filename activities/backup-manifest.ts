/**
 * Commits a backup by writing its manifest, last. Written with If-None-Match so a manifest is
 * never replaced; a retry after a lost reply finds its own manifest and succeeds. Before, every
 * object it names must still be the one the dump stored (commit-check.ts).
 */
import {
  BackupManifest,
  dataBytes,
  manifestVersionFor,
  MANIFEST_KIND,
  parseManifest,
  sortTables,
} from '../src/operations/backup/manifest';
import { BackupError, IntegrityError } from '../src/infra/errors/errors';
import { foundObject, uncommittableObject } from '../src/operations/backup/commit-check';
import type { Bucket } from '../src/infra/storage/bucket';
import { releaseClaim } from './backup-id';
import { PGWARDEN_VERSION } from '../src/app/version';
import { ActivityDeps } from './deps';
import type { DumpResult } from './dump-and-upload';

export interface ManifestInput {
  dump: DumpResult;
  reason: string;
  workflow: { id: string; runId: string };
  startedAt: string;
}

export function buildManifest(input: ManifestInput, finishedAt: Date): BackupManifest {
  const d = input.dump;
  return {
    kind: MANIFEST_KIND,
    formatVersion: manifestVersionFor(d),
    backupId: d.backupId,
    database: d.database,
    databaseName: d.databaseName,
    server: d.server,
    pgDump: d.pgDump,
    compression: d.compression,
    encryption: d.encryption,
    data: d.data,
    ...(d.dataParts?.length ? { dataParts: d.dataParts } : {}),
    globals: d.globals,
    tables: sortTables(d.tables),
    databaseProperties: d.databaseProperties,
    roles: d.roles,
    ...(d.extensions ? { extensions: d.extensions } : {}),
    ...(d.superuserObjects ? { superuserObjects: d.superuserObjects } : {}),
    snapshot: d.snapshot,
    startedAt: input.startedAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - new Date(input.startedAt).getTime(),
    workflow: input.workflow,
    storage: d.storage,
    reason: input.reason,
    pgwarden: { version: PGWARDEN_VERSION },
  };
}

/** Why the dump's objects cannot be committed, one line each (none when they can). */
async function uncommittableObjects(bucket: Bucket, dump: DumpResult): Promise<string[]> {
  const objects = [dump.data, ...(dump.dataParts ?? []), dump.globals];
  const heads = await Promise.all(objects.map((o) => bucket.head(o.key)));
  return objects
    .map((o, i) => uncommittableObject(o, foundObject(heads[i]), dump.attempt))
    .filter((p): p is string => p !== undefined);
}

export function writeManifestActivity(deps: ActivityDeps) {
  return async function writeManifest(input: ManifestInput): Promise<BackupManifest> {
    const key = input.dump.keys.manifest;
    const problems = await uncommittableObjects(deps.bucket, input.dump);
    if (problems.length)
      throw new IntegrityError(
        `backup ${input.dump.backupId} of ${input.dump.database} was not committed: ${problems.join('; ')}; the next backup starts afresh, and cleanup removes these objects`,
      );
    const manifest = buildManifest(input, deps.now());
    const written = await deps.bucket.putIfAbsent(key, JSON.stringify(manifest, null, 2) + '\n', {
      contentType: 'application/json',
      // Manifests stay instantly readable: listing never waits for an archive retrieval.
      storageClass: 'STANDARD',
      metadata: {
        'pgwarden-database': manifest.database,
        'pgwarden-backup-id': manifest.backupId,
        'pgwarden-run-id': input.workflow.runId,
      },
    });
    if (written === 'written') {
      // Counted by the attempt that committed the backup, so a retry never counts it twice.
      deps.metrics.backupSucceeded(manifest.database, {
        ...dataBytes(manifest),
        durationMs: manifest.durationMs,
        finishedAt: new Date(manifest.finishedAt),
      });
      await releaseClaim(deps, { database: manifest.database, backupId: manifest.backupId, runId: input.workflow.runId });
      return manifest;
    }
    // The manifest exists: ours from an attempt whose reply was lost, or another run's.
    const stored = parseManifest(written.existing.toString('utf8'), key);
    if (stored.workflow.runId !== input.workflow.runId)
      throw new BackupError(`manifest ${key} was already written by run ${stored.workflow.runId}`);
    await releaseClaim(deps, { database: stored.database, backupId: stored.backupId, runId: input.workflow.runId });
    return stored;
  };
}
