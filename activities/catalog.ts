/** The backups of a database, as every operation chooses among them: pgwarden's and an old script's, newest first. */
import { CatalogEntry, newestFirst } from '../src/operations/catalog/catalog';
import { ActivityDeps } from './deps';

export function catalogActivities(deps: ActivityDeps) {
  return {
    async listBackups(input: { database: string }): Promise<CatalogEntry[]> {
      const [own, legacy] = await Promise.all([deps.store.catalog(input.database), deps.store.legacyCatalog(input.database)]);
      return newestFirst([...own, ...legacy]);
    },
  };
}
