/**
 * What in a database only a superuser can create again, recorded with its backup: event
 * triggers, FOR ALL TABLES publications, functions in untrusted languages (C, internal,
 * plpython3u, ...), and extensions that are not trusted. A restore, or a verification's test
 * restore on a staging server, by a user who is not a superuser stopped at the first of them
 * after the whole download, and the verification reported the backup as bad. Checked before
 * anything starts instead. An extension's own members are its business: CREATE EXTENSION makes them.
 */
import type { Client } from 'pg';
import { ExtensionUse, superuserOnlyExtensions } from './extensions';
import { nameSome } from './name-list';

/** The database's objects only a superuser may create, each named for a person ("event trigger audit_ddl"). */
export async function readSuperuserObjects(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ what: string }>(`
    WITH members AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e')
    SELECT 'event trigger ' || quote_ident(e.evtname) AS what
      FROM pg_catalog.pg_event_trigger e
     WHERE (('pg_event_trigger'::regclass, e.oid)) NOT IN (SELECT classid, objid FROM members)
    UNION ALL
    SELECT 'publication ' || quote_ident(p.pubname) || ' (FOR ALL TABLES)'
      FROM pg_catalog.pg_publication p WHERE p.puballtables
    UNION ALL
    SELECT 'function ' || f.oid::regprocedure::text || ' (language ' || l.lanname || ')'
      FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_language l ON l.oid = f.prolang
      JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
     WHERE NOT l.lanpltrusted
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND (('pg_proc'::regclass, f.oid)) NOT IN (SELECT classid, objid FROM members)
     ORDER BY 1`);
  return rows.map((r) => r.what);
}

/**
 * The refusal to give back `needing` (objects and extensions only a superuser may create) as a
 * user who is not one; undefined when there is nothing such or the user is a superuser. Pure.
 */
export function superuserProblem(
  needing: string[],
  user: { name: string; superuser: boolean },
  server: string,
): string | undefined {
  if (user.superuser || needing.length === 0) return undefined;
  return `the backup's database has what only a superuser may create (${nameSome(needing)}), and ${user.name}, the user restoring on ${server}, is not one: restore as a superuser (for verifications, the user of VERIFY_DATABASE_URL, or of DATABASE_URL without it)`;
}

/**
 * superuserProblem for a backup's recorded extensions and objects, on the server `admin` is
 * connected to as the user restoring; undefined: nothing stands in the way.
 */
export async function superuserNeedsProblem(
  admin: Client,
  recorded: { extensions?: ExtensionUse[]; superuserObjects?: string[] } | undefined,
  server: string,
): Promise<string | undefined> {
  if (!recorded?.extensions?.length && !recorded?.superuserObjects?.length) return undefined;
  const user = (
    await admin.query<{ name: string; superuser: boolean }>(
      'SELECT current_user AS name, rolsuper AS superuser FROM pg_catalog.pg_roles WHERE rolname = current_user',
    )
  ).rows[0];
  if (user.superuser) return undefined;
  const needing = [...(await superuserOnlyExtensions(admin, recorded.extensions)), ...(recorded.superuserObjects ?? [])];
  return superuserProblem(needing, user, server);
}
