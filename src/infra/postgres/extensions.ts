/**
 * The extensions a database uses, recorded with its backup, and whether a server can give them
 * back: an extension is the server host's files (its package), so a backup restored onto a new
 * server, or one of another major (old_snapshot and adminpack are gone from 17), can need one
 * the host lacks, and pg_restore stops at CREATE EXTENSION only after the download; one that
 * only a superuser may create stops it the same way for a user who is not one. Checked against
 * pg_available_extensions before anything starts instead.
 */
import type { Client } from 'pg';
import { readServerMajor } from './client';

export interface ExtensionUse {
  name: string;
  version: string;
}

/** The database's extensions, by name. */
export async function readExtensions(client: Client): Promise<ExtensionUse[]> {
  const { rows } = await client.query<ExtensionUse>(
    'SELECT extname AS name, extversion AS version FROM pg_catalog.pg_extension ORDER BY extname',
  );
  return rows;
}

/**
 * The recorded extensions this server has no package for, or undefined when it has them all;
 * another version of one is no obstacle (pg_restore creates its default version). Pure.
 */
export function missingExtensionsProblem(
  recorded: ExtensionUse[],
  available: ReadonlySet<string>,
  server: string,
  serverMajor: number,
): string | undefined {
  const missing = recorded.map((e) => e.name).filter((n) => !available.has(n));
  if (missing.length === 0) return undefined;
  const names = missing.join(', ');
  return `the backup's database uses the extension${missing.length === 1 ? '' : 's'} ${names}, which ${server} (PostgreSQL ${serverMajor}) does not have: install ${missing.length === 1 ? 'its package' : 'their packages'} on the server's host (PGDG: postgresql-${serverMajor}-<name>; the contrib ones come with postgresql-${serverMajor}), or restore onto a server that has ${missing.length === 1 ? 'it' : 'them'}`;
}

/**
 * The recorded extensions only a superuser may create (neither trusted nor created by the
 * database's owner otherwise), when the user restoring is not one; undefined: none. pg_restore
 * and psql stop at that CREATE EXTENSION, after the download, and a verification reported it
 * as a failure of the backup. Pure.
 */
export function superuserExtensionsProblem(
  recorded: ExtensionUse[],
  superuserOnly: ReadonlySet<string>,
  user: { name: string; superuser: boolean },
  server: string,
): string | undefined {
  if (user.superuser) return undefined;
  const needing = recorded.map((e) => e.name).filter((n) => superuserOnly.has(n));
  if (needing.length === 0) return undefined;
  return `the backup's database uses the extension${needing.length === 1 ? '' : 's'} ${needing.join(', ')}, which only a superuser may create, and ${user.name}, the user restoring on ${server}, is not one: restore as a superuser (for verifications, the user of VERIFY_DATABASE_URL, or of DATABASE_URL without it)`;
}

/** The problem of giving these extensions back on this server as the connected user, read from it; undefined: none. */
export async function extensionsProblem(
  admin: Client,
  recorded: ExtensionUse[] | undefined,
  server: string,
): Promise<string | undefined> {
  if (!recorded?.length) return undefined;
  // The default version is the one created; `trusted` came with PostgreSQL 13 (read as JSON so older servers answer too).
  const { rows } = await admin.query<{ name: string; superuser_only: boolean | null }>(`
    SELECT a.name, v.superuser AND NOT coalesce((to_jsonb(v) ->> 'trusted')::boolean, false) AS superuser_only
      FROM pg_catalog.pg_available_extensions a
      LEFT JOIN pg_catalog.pg_available_extension_versions v ON v.name = a.name AND v.version = a.default_version`);
  const missing = missingExtensionsProblem(recorded, new Set(rows.map((r) => r.name)), server, await readServerMajor(admin));
  if (missing) return missing;
  const user = (
    await admin.query<{ name: string; superuser: boolean }>(
      'SELECT current_user AS name, rolsuper AS superuser FROM pg_catalog.pg_roles WHERE rolname = current_user',
    )
  ).rows[0];
  return superuserExtensionsProblem(recorded, new Set(rows.filter((r) => r.superuser_only).map((r) => r.name)), user, server);
}
