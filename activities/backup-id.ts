/**
 * The backup's id, chosen before the dump: the second the run started, or the next one no other
 * run has taken. Ids count seconds (`backup_YYYYMMDD_HHMMSS`, the strategy's naming; base
 * backups `base_…`), and a small database backs up in under one: a second backup started in the
 * same second found the first's manifest and failed as "already complete". The chosen second is
 * claimed with an object written only if absent, so two runs started at the same instant, both
 * finding it free, do not both take it: the second writer moves on. The copy keeps the claim; the
 * manifest, or the record of the run's failure, ends it.
 */
import { log } from '@temporalio/activity';
import { BusyError } from '../src/infra/errors/errors';
import { findDatabase, requireDatabase } from '../src/infra/config/config';
import { claimKey, dataFolder, failureKey, manifestKey } from '../src/infra/storage/layout';
import { nextBackupId } from '../src/operations/backup/naming';
import type { ActivityDeps } from './deps';
import { occupantsOf } from './earlier-attempts';

/** How many seconds on it looks before giving up: only a flood of runs takes them all. */
const SECONDS_TRIED = 60;

/** Where a backup id is held: its manifest, its objects (`<id>.` in one folder), its claim, and a record of a failed run. */
export interface IdHolders {
  manifestKey: string;
  objectsPrefix: string;
  claimKey: string;
  failureKey?: string;
}

/**
 * The first second from `from` on that no other run holds, claimed for `runId`: an earlier
 * attempt of the same run gets the id it claimed back.
 */
export async function claimFreeId(
  deps: ActivityDeps,
  spec: {
    from: string;
    runId: string;
    next: (id: string) => string;
    holders: (id: string) => IdHolders;
    /** "backup ids of db": for the refusal. */
    what: string;
  },
): Promise<string> {
  const { bucket } = deps;
  /** Another run's manifest, failure record, object or unfinished upload carries this id. */
  const taken = async (at: IdHolders): Promise<boolean> => {
    const [occupants, failure] = await Promise.all([
      occupantsOf(bucket, at),
      at.failureKey ? bucket.head(at.failureKey) : undefined,
    ]);
    return (
      occupants.committed ||
      Boolean(failure) ||
      occupants.uploads.length > 0 ||
      occupants.objects.some((o) => o.runId !== spec.runId)
    );
  };
  /** Whether this run now holds the id: its claim is written, or was by an earlier attempt of it. */
  const claimed = async (at: IdHolders): Promise<boolean> => {
    const claim = { runId: spec.runId, claimedAt: deps.now().toISOString() };
    const written = await bucket.putIfAbsent(at.claimKey, JSON.stringify(claim) + '\n', {
      contentType: 'application/json',
      storageClass: 'STANDARD',
      metadata: { 'pgwarden-run-id': spec.runId },
    });
    return written === 'written' || claimOwner(written.existing) === spec.runId;
  };
  let id = spec.from;
  for (let tried = 0; tried < SECONDS_TRIED; tried++, id = spec.next(id)) {
    const at = spec.holders(id);
    if (!(await taken(at)) && (await claimed(at))) return id;
  }
  throw new BusyError(
    `other runs took the ${spec.what} for the ${SECONDS_TRIED} s from ${spec.from} on: wait for them to finish, then start this backup again`,
  );
}

export function chooseBackupIdActivity(deps: ActivityDeps) {
  return async function chooseBackupId(input: { database: string; from: string; runId: string }): Promise<string> {
    const { prefix } = deps.config.storage;
    const { id: database } = requireDatabase(deps.config, input.database);
    return claimFreeId(deps, {
      from: input.from,
      runId: input.runId,
      next: nextBackupId,
      holders: (id) => ({
        manifestKey: manifestKey(prefix, database, id),
        objectsPrefix: `${dataFolder(prefix, database)}${id}.`,
        claimKey: claimKey(prefix, database, id),
        failureKey: failureKey(prefix, database, id),
      }),
      what: `backup ids of ${input.database}`,
    });
  };
}

/** The run a claim names; none for a claim that cannot be read (it still holds the id). */
function claimOwner(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { runId?: string }).runId;
  } catch {
    return undefined;
  }
}

/**
 * Ends a run's claim once something else holds its id: the manifest it committed, or the record
 * of its failure. Only that run's claim: under an id it never chose (it failed before choosing),
 * the claim may be another run's. A claim left by a failed delete harms nothing (the id is taken
 * either way); cleanup removes it with the backup, or after the grace period.
 */
export async function releaseClaim(
  deps: ActivityDeps,
  run: { database: string; backupId: string; runId: string },
): Promise<void> {
  if (!findDatabase(deps.config, run.database)) return;
  await releaseClaimAt(deps, claimKey(deps.config.storage.prefix, run.database, run.backupId), run.runId);
}

/** releaseClaim for a claim's key: a base backup's is in its own folder. */
export async function releaseClaimAt(deps: ActivityDeps, key: string, runId: string): Promise<void> {
  try {
    const claim = await deps.bucket.head(key);
    if (claim?.Metadata?.['pgwarden-run-id'] === runId) await deps.bucket.delete(key);
  } catch (err) {
    log.warn('claim of a finished backup run not removed; cleanup removes it', { key, error: (err as Error).message });
  }
}
