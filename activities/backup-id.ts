/**
 * The backup's id, chosen before the dump: the second the run started, or the next one no other
 * run has taken. Ids count seconds (`backup_YYYYMMDD_HHMMSS`, the strategy's naming), and a
 * small database backs up in under one: a second backup started in the same second found the
 * first's manifest and failed as "already complete". The chosen second is claimed with an object
 * written only if absent, so two runs started at the same instant, both finding it free, do not
 * both take it: the second writer moves on. The dump keeps the claim; the manifest, or the
 * record of the run's failure, ends it.
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

export function chooseBackupIdActivity(deps: ActivityDeps) {
  return async function chooseBackupId(input: { database: string; from: string; runId: string }): Promise<string> {
    const { bucket, config } = deps;
    const { prefix } = config.storage;
    const { id: database } = requireDatabase(config, input.database);
    /** Another run's manifest, failure record, object or unfinished upload carries this id. */
    const taken = async (id: string): Promise<boolean> => {
      const [occupants, failure] = await Promise.all([
        occupantsOf(bucket, {
          manifestKey: manifestKey(prefix, database, id),
          objectsPrefix: `${dataFolder(prefix, database)}${id}.`,
        }),
        bucket.head(failureKey(prefix, database, id)),
      ]);
      return (
        occupants.committed ||
        Boolean(failure) ||
        occupants.uploads.length > 0 ||
        occupants.objects.some((o) => o.runId !== input.runId)
      );
    };
    /** Whether this run now holds the id: its claim is written, or was by an earlier attempt of it. */
    const claimed = async (id: string): Promise<boolean> => {
      const claim = { runId: input.runId, claimedAt: deps.now().toISOString() };
      const written = await bucket.putIfAbsent(claimKey(prefix, database, id), JSON.stringify(claim) + '\n', {
        contentType: 'application/json',
        storageClass: 'STANDARD',
        metadata: { 'pgwarden-run-id': input.runId },
      });
      return written === 'written' || claimOwner(written.existing) === input.runId;
    };
    let id = input.from;
    for (let tried = 0; tried < SECONDS_TRIED; tried++, id = nextBackupId(id))
      if (!(await taken(id)) && (await claimed(id))) return id;
    throw new BusyError(
      `other runs took the backup ids of ${input.database} for the ${SECONDS_TRIED} s from ${input.from} on: wait for them to finish, then start this backup again`,
    );
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
  const key = claimKey(deps.config.storage.prefix, run.database, run.backupId);
  try {
    const claim = await deps.bucket.head(key);
    if (claim?.Metadata?.['pgwarden-run-id'] === run.runId) await deps.bucket.delete(key);
  } catch (err) {
    log.warn('claim of a finished backup run not removed; cleanup removes it', { key, error: (err as Error).message });
  }
}
