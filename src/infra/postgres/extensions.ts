/**
 * The extensions a database uses, recorded with its backup, and whether a server can give them
 * back: an extension is the server host's files (its package), so a backup restored onto a new
 * server, or one of another major (old_snapshot and adminpack are gone from 17), can need one
 * the host lacks, and pg_restore stops at CREATE EXTENSION only after the download. Checked
 * against pg_available_extensions before anything starts instead.
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

/** The problem of giving these extensions back on this server, read from it; undefined: none. */
export async function extensionsProblem(
  admin: Client,
  recorded: ExtensionUse[] | undefined,
  server: string,
): Promise<string | undefined> {
  if (!recorded?.length) return undefined;
  const { rows } = await admin.query<{ name: string }>('SELECT name FROM pg_catalog.pg_available_extensions');
  return missingExtensionsProblem(recorded, new Set(rows.map((r) => r.name)), server, await readServerMajor(admin));
}

/**
 * The recorded extensions that only a superuser may create on this server, named for a person
 * ("extension pg_stat_statements"): its default version (the one created) is neither trusted
 * nor free of the superuser requirement. `trusted` came with PostgreSQL 13, read as JSON so
 * that older servers answer too.
 */
export async function superuserOnlyExtensions(admin: Client, recorded: ExtensionUse[] | undefined): Promise<string[]> {
  if (!recorded?.length) return [];
  const { rows } = await admin.query<{ name: string }>(
    `SELECT v.name FROM pg_catalog.pg_available_extensions a
       JOIN pg_catalog.pg_available_extension_versions v ON v.name = a.name AND v.version = a.default_version
      WHERE v.superuser AND NOT coalesce((to_jsonb(v) ->> 'trusted')::boolean, false) AND v.name = ANY($1)
      ORDER BY 1`,
    [recorded.map((e) => e.name)],
  );
  return rows.map((r) => `extension ${r.name}`);
}
