/** The backups of a database, as every operation chooses among them: pgwarden's and an old script's, newest first. */
import { CatalogEntry, newestFirst } from '../src/operations/catalog/catalog';
import { BackupStore } from '../src/operations/catalog/store';
import { ActivityDeps } from './deps';

export function catalogActivities(deps: ActivityDeps) {
  const store = () => new BackupStore(deps.s3, deps.config.storage!);
  return {
    async listBackups(input: { database: string }): Promise<CatalogEntry[]> {
      const [own, legacy] = await Promise.all([store().catalog(input.database), store().legacyCatalog(input.database)]);
      return newestFirst([...own, ...legacy]);
    },
  };
}
