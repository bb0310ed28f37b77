/**
 * The backup's id, chosen before the dump: the second the run started, or the next one no other
 * run has taken. Ids count seconds (`backup_YYYYMMDD_HHMMSS`, the strategy's naming), and a
 * small database backs up in under one: a second backup started in the same second found the
 * first's manifest and failed as "already complete".
 */
import { BusyError } from '../src/infra/errors/errors';
import { requireDatabase } from '../src/infra/config/config';
import { dataFolder, failureKey, manifestKey } from '../src/infra/storage/layout';
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
    let id = input.from;
    for (let tried = 0; tried < SECONDS_TRIED; tried++, id = nextBackupId(id)) if (!(await taken(id))) return id;
    throw new BusyError(
      `other runs took the backup ids of ${input.database} for the ${SECONDS_TRIED} s from ${input.from} on: wait for them to finish, then start this backup again`,
    );
  };
}
