/** The stack's PostgreSQL 18 server (beside Debian's 15) and its own client tools, for tests that need a newer server. */
import { createDatabase, dropDatabase, uniqueDatabaseName } from './databases';
import { stackConfig, stackEnv } from './stack-env';

const env = stackEnv();
export const pg18Url = env.PGWARDEN_TEST_PG18_URL!;
export const pg18Bin = env.PGWARDEN_TEST_PG18_BIN_DIR!;
export const pg18 = stackConfig({ DATABASE_URL: pg18Url }).databases[0];
/** The URL of a database on that server. */
export const onPg18 = (db: string) => pg18Url.replace(/\/postgres$/, `/${db}`);

/** Databases made on that server, dropped together (in afterAll). */
export function pg18Databases(): {
  create(prefix: string, fixture?: string): Promise<string>;
  track(name: string): void;
  dropAll(): Promise<void>;
} {
  const made: string[] = [];
  return {
    async create(prefix, fixture) {
      const db = uniqueDatabaseName(prefix);
      made.push(db);
      await createDatabase(db, fixture, pg18);
      return db;
    },
    track: (name) => void made.push(name),
    async dropAll() {
      for (const db of made.splice(0)) await dropDatabase(db, pg18);
    },
  };
}
