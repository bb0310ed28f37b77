/**
 * What a database is around its contents: owner, encoding and locale, tablespace, connection
 * limit, privileges, comment and per-database settings. pg_dump without --create leaves all of
 * these out, so a backup records them (docs/FORMAT.md) and a restore gives them back to the
 * database it loads into, before it is kept or swapped in. Also the roles the database's objects
 * belong to or are granted to, which a restore checks before it loads a byte.
 */
import { Client, escapeIdentifier, escapeLiteral } from 'pg';

export interface DatabaseProperties {
  owner: string;
  encoding: string;
  collate: string;
  ctype: string;
  /** libc, icu or builtin (PostgreSQL 15+); null before. */
  localeProvider: string | null;
  /** The ICU (or builtin) locale, when the provider is not libc. */
  locale: string | null;
  tablespace: string;
  /**
   * The tablespaces its tables and indexes are in besides the database's own (pg_dump writes
   * them as SET default_tablespace), sorted; absent from manifests written before it was recorded.
   */
  relationTablespaces?: string[];
  connectionLimit: number;
  /** pg_database.datacl as aclitem texts (`grantee=privileges/grantor`, grantee empty for PUBLIC); null is the default. */
  acl: string[] | null;
  comment: string | null;
  /** pg_db_role_setting rows of this database: `name=value` strings, for every role (null) or one. */
  settings: Array<{ role: string | null; settings: string[] }>;
}

export interface RoleDependencies {
  /** Roles that own objects in the database, or the database itself: a restore must be able to become them. */
  owners: string[];
  /** Roles that are granted privileges or named in policies: they must exist where it is restored. */
  referenced: string[];
}

/** Reads them for the database `client` is connected to; works on every supported server version. */
export async function readDatabaseProperties(client: Client): Promise<DatabaseProperties> {
  const { rows } = await client.query<{
    d: Record<string, unknown>;
    owner: string;
    encoding: string;
    tablespace: string;
    comment: string | null;
    acl: string[] | null;
  }>(`
    SELECT to_jsonb(d) AS d, pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding,
           t.spcname AS tablespace, shobj_description(d.oid, 'pg_database') AS comment, d.datacl::text[] AS acl
      FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
     WHERE d.datname = current_database()`);
  const r = rows[0];
  const provider = r.d.datlocprovider as string | undefined;
  const settings = await client.query<{ role: string | null; settings: string[] }>(`
    SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END AS role, s.setconfig AS settings
      FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
     WHERE d.datname = current_database()
     ORDER BY 1 NULLS FIRST`);
  // reltablespace 0 is the database's own; pg_global holds the shared catalogs, in every database.
  const spaces = await client.query<{ name: string }>(`
    SELECT DISTINCT t.spcname AS name
      FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace
     WHERE c.reltablespace <> 0 AND t.spcname <> 'pg_global'
     ORDER BY 1`);
  return {
    owner: r.owner,
    encoding: r.encoding,
    collate: String(r.d.datcollate),
    ctype: String(r.d.datctype),
    localeProvider:
      provider === undefined ? null : (({ c: 'libc', i: 'icu', b: 'builtin' } as Record<string, string>)[provider] ?? provider),
    // PostgreSQL 15-16 call it daticulocale, 17 datlocale.
    locale: ((r.d.datlocale ?? r.d.daticulocale) as string | null | undefined) ?? null,
    tablespace: r.tablespace,
    relationTablespaces: spaces.rows.map((t) => t.name),
    connectionLimit: Number(r.d.datconnlimit),
    acl: r.acl,
    comment: r.comment,
    settings: settings.rows,
  };
}

/** The roles the database's objects depend on, from pg_shdepend (owners, grants, policies, default privileges). */
export async function readRoleDependencies(client: Client): Promise<RoleDependencies> {
  const { rows } = await client.query<{ role: string; owns: boolean }>(`
    SELECT pg_get_userbyid(s.refobjid) AS role, bool_or(s.deptype = 'o') AS owns
      FROM pg_shdepend s
     WHERE s.refclassid = 'pg_authid'::regclass
       AND (s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            OR (s.dbid = 0 AND s.classid = 'pg_database'::regclass AND s.objid = (SELECT oid FROM pg_database WHERE datname = current_database())))
     GROUP BY 1
    UNION
    SELECT pg_get_userbyid(datdba), true FROM pg_database WHERE datname = current_database()
    UNION
    -- pg_shdepend has no rows for the bootstrap superuser: owners from the catalogs themselves.
    SELECT pg_get_userbyid(owner), true FROM (
      SELECT nspowner AS owner, oid FROM pg_namespace UNION ALL SELECT relowner, oid FROM pg_class
      UNION ALL SELECT typowner, oid FROM pg_type UNION ALL SELECT proowner, oid FROM pg_proc
      UNION ALL SELECT collowner, oid FROM pg_collation UNION ALL SELECT conowner, oid FROM pg_conversion
      UNION ALL SELECT oprowner, oid FROM pg_operator UNION ALL SELECT opcowner, oid FROM pg_opclass
      UNION ALL SELECT opfowner, oid FROM pg_opfamily UNION ALL SELECT cfgowner, oid FROM pg_ts_config
      UNION ALL SELECT dictowner, oid FROM pg_ts_dict UNION ALL SELECT extowner, oid FROM pg_extension
      UNION ALL SELECT evtowner, oid FROM pg_event_trigger UNION ALL SELECT pubowner, oid FROM pg_publication
      UNION ALL SELECT srvowner, oid FROM pg_foreign_server UNION ALL SELECT fdwowner, oid FROM pg_foreign_data_wrapper
      UNION ALL SELECT lomowner, oid FROM pg_largeobject_metadata UNION ALL SELECT stxowner, oid FROM pg_statistic_ext
    ) o WHERE o.oid >= 16384 -- FirstNormalObjectId: objects made after initdb
     ORDER BY 1`);
  const owners = [...new Set(rows.filter((r) => r.owns).map((r) => r.role))].sort();
  const referenced = [...new Set(rows.filter((r) => !r.owns && !owners.includes(r.role)).map((r) => r.role))].sort();
  return { owners, referenced };
}

// libpq's rules, as the pg driver applies them: a literal with a backslash is written E'...'
// so it means the same whatever the server's standard_conforming_strings.
const quoteIdent = escapeIdentifier;
const quoteLiteral = (s: string) => escapeLiteral(s).trim();

/** CREATE DATABASE with the recorded encoding, locale, tablespace and owner. Pure. */
export function createDatabaseStatement(
  name: string,
  p: DatabaseProperties,
  serverVersionNum: number,
  options: { owner?: boolean } = {},
): string {
  const parts = [`CREATE DATABASE ${quoteIdent(name)} WITH TEMPLATE = template0`, `ENCODING = ${quoteLiteral(p.encoding)}`];
  if (serverVersionNum >= 150000 && p.localeProvider) {
    parts.push(`LOCALE_PROVIDER = ${p.localeProvider}`);
    if (p.locale && p.localeProvider !== 'libc')
      parts.push(`${serverVersionNum >= 170000 ? 'LOCALE' : 'ICU_LOCALE'} = ${quoteLiteral(p.locale)}`);
  }
  parts.push(`LC_COLLATE = ${quoteLiteral(p.collate)}`, `LC_CTYPE = ${quoteLiteral(p.ctype)}`);
  if (p.tablespace !== 'pg_default') parts.push(`TABLESPACE = ${quoteIdent(p.tablespace)}`);
  if (p.connectionLimit !== -1) parts.push(`CONNECTION LIMIT = ${p.connectionLimit}`);
  if (options.owner !== false) parts.push(`OWNER = ${quoteIdent(p.owner)}`);
  return parts.join(' ');
}

const DATABASE_PRIVILEGES: Record<string, string> = { C: 'CREATE', T: 'TEMPORARY', c: 'CONNECT' };

/** One aclitem (`app=c*T/owner`, `=Tc/owner` for PUBLIC) as its grants. Pure. */
export function parseAclItem(item: string): {
  grantee: string | null;
  grantor: string;
  privileges: Array<{ privilege: string; grantable: boolean }>;
} {
  const m = /^((?:"(?:[^"]|"")*"|[^=]*))=([A-Za-z*]*)\/(.*)$/.exec(item);
  if (!m) throw new Error(`unreadable privilege entry ${item}`);
  const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s);
  const privileges: Array<{ privilege: string; grantable: boolean }> = [];
  for (let i = 0; i < m[2].length; i++) {
    const name = DATABASE_PRIVILEGES[m[2][i]];
    if (!name) continue;
    const grantable = m[2][i + 1] === '*';
    if (grantable) i++;
    privileges.push({ privilege: name, grantable });
  }
  return { grantee: m[1] === '' ? null : unquote(m[1]), grantor: unquote(m[3]), privileges };
}

/** Settings whose value is a list: each element quoted on its own, as pg_dump does. */
const LIST_SETTINGS = new Set([
  'search_path',
  'temp_tablespaces',
  'session_preload_libraries',
  'local_preload_libraries',
  'shared_preload_libraries',
  'unix_socket_directories',
]);

function settingValue(name: string, value: string): string {
  if (LIST_SETTINGS.has(name.toLowerCase()))
    return value
      .split(',')
      .map((v) => quoteLiteral(v.trim().replace(/^"(.*)"$/, '$1')))
      .join(', ');
  return quoteLiteral(value);
}

/**
 * The statement that gives a restored database its recorded comment, which replaces the
 * restore's mark: run in the transaction that gives the database its name, so a database under
 * a restore's working name always carries the mark and one under the target's is complete. Pure.
 */
export function databaseCommentStatement(name: string, comment: string | null): string {
  return `COMMENT ON DATABASE ${quoteIdent(name)} IS ${comment === null ? 'NULL' : quoteLiteral(comment)}`;
}

/**
 * The statements that give a freshly loaded database the recorded privileges and settings (its
 * comment comes with its name: databaseCommentStatement). Run as the database's owner (after
 * SET ROLE), so grants carry the owner as grantor, as they did. Role-specific settings need the
 * right to alter that role. Pure.
 */
export function databasePropertyStatements(name: string, p: DatabaseProperties): string[] {
  const db = quoteIdent(name);
  const out: string[] = [];
  if (p.acl !== null) {
    // From nothing to exactly the recorded entries: the owner's defaults and PUBLIC's included.
    out.push(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`, `REVOKE ALL ON DATABASE ${db} FROM ${quoteIdent(p.owner)}`);
    for (const item of p.acl) {
      const a = parseAclItem(item);
      const to = a.grantee === null ? 'PUBLIC' : quoteIdent(a.grantee);
      const plain = a.privileges.filter((x) => !x.grantable).map((x) => x.privilege);
      const grantable = a.privileges.filter((x) => x.grantable).map((x) => x.privilege);
      if (plain.length) out.push(`GRANT ${plain.join(', ')} ON DATABASE ${db} TO ${to}`);
      if (grantable.length) out.push(`GRANT ${grantable.join(', ')} ON DATABASE ${db} TO ${to} WITH GRANT OPTION`);
    }
  }
  for (const s of p.settings) {
    for (const entry of s.settings) {
      const eq = entry.indexOf('=');
      const setting = entry.slice(0, eq);
      const value = settingValue(setting, entry.slice(eq + 1));
      const guc = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(setting) ? setting : quoteIdent(setting);
      out.push(
        s.role === null
          ? `ALTER DATABASE ${db} SET ${guc} TO ${value}`
          : `ALTER ROLE ${quoteIdent(s.role)} IN DATABASE ${db} SET ${guc} TO ${value}`,
      );
    }
  }
  return out;
}
