/**
 * Whether a server can make a database with a backup's locale. A libc locale is the operating
 * system's: a database from a server with de_DE.UTF-8 cannot be made on a host that lacks it
 * (a new server after a disaster, a slim container image), and CREATE DATABASE says so only once
 * the restore runs. A temporary collation of the same locale, rolled back, asks the server the
 * same question before anything starts.
 */
import type { Client } from 'pg';
import type { DatabaseProperties } from './database-properties';

/** The line refusing a restore onto a host without the locale, from the server's own words. Pure. */
export function missingLocaleProblem(p: Pick<DatabaseProperties, 'collate' | 'ctype'>, server: string, said: string): string {
  const names = p.collate === p.ctype ? `locale ${p.collate}` : `locales ${p.collate} (LC_COLLATE) and ${p.ctype} (LC_CTYPE)`;
  return `the backup's database has the ${names}, which the host of ${server} does not have (${said}): install it there (Debian: uncomment it in /etc/locale.gen and run locale-gen, or apt-get install locales-all), then restore again`;
}

/** The problem of making a database with these locales on this server; undefined: none found. */
export async function localeProblem(
  admin: Client,
  p: Pick<DatabaseProperties, 'collate' | 'ctype'>,
  server: string,
): Promise<string | undefined> {
  await admin.query('BEGIN');
  try {
    await admin.query(
      `CREATE COLLATION pg_temp.pgwarden_locale_probe (lc_collate = ${admin.escapeLiteral(p.collate)}, lc_ctype = ${admin.escapeLiteral(p.ctype)})`,
    );
    return undefined;
  } catch (err) {
    const message = (err as Error).message;
    // Anything else (no right to temporary objects, say) is for CREATE DATABASE to judge.
    return /locale/i.test(message) ? missingLocaleProblem(p, server, message) : undefined;
  } finally {
    await admin.query('ROLLBACK');
  }
}
