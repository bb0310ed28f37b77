/**
 * Debian's PgBouncer, for the tests of a database reached through a connection pool (Debian
 * 12: 1.18): installed with apt when missing, by the tests' setup only.
 */
import { existsSync } from 'node:fs';
import { aptInstall } from './apt';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export function ensurePgBouncer(log: (line: string) => void): string {
  if (!existsSync(PGBOUNCER)) aptInstall(['pgbouncer'], log);
  return PGBOUNCER;
}
