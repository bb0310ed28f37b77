/**
 * The roles in a backup's globals (`pg_dumpall --globals-only`), and which of them a restore
 * onto a server without them must create: the roles the database's objects belong to or are
 * granted to, and the roles those are members of, never one the server already has (an
 * existing role is the server's own: its attributes and password are left alone). Tablespaces
 * in the globals are the old server's layout and are left out. Pure.
 */

export interface GlobalsRoles {
  /** Each role's statements in the dump's order: CREATE ROLE, ALTER ROLE ... WITH / SET, COMMENT, SECURITY LABEL. */
  roles: Map<string, string[]>;
  /** GRANT role TO member, without GRANTED BY (the grantor may not exist here; the restoring user grants). */
  memberships: Array<{ role: string; member: string; statement: string }>;
}

export interface RolesPlan {
  /** Roles to create, in the dump's order. */
  create: string[];
  /** Needed roles the server lacks and the globals do not define. */
  unknown: string[];
  /** The statements, in order: every created role's own, then the memberships that involve one. */
  statements: string[];
  /** Created roles that may log in but have no password (globals are dumped without them unless configured). */
  withoutPassword: string[];
  /** Roles to create with SUPERUSER, REPLICATION or BYPASSRLS, which a creator who is no superuser cannot give (empty for a superuser). */
  needSuperuser: string[];
  /** Roles to create that are superusers in the backup: never made by a restore (a new superuser, likely without a password). */
  superusers: string[];
}

const IDENT = String.raw`"(?:[^"]|"")+"|[^\s;,"]+`;
const ROLE_STATEMENT = new RegExp(
  String.raw`^(?:CREATE ROLE|ALTER ROLE|COMMENT ON ROLE|SECURITY LABEL (?:FOR \S+ )?ON ROLE) (${IDENT})[\s;]`,
);
const MEMBERSHIP = new RegExp(String.raw`^GRANT (${IDENT}) TO (${IDENT})(.*?)(?: GRANTED BY (?:${IDENT}))?;$`, 's');

const unquote = (ident: string) => (ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident);

/** The dump's statements: psql meta-commands and comments dropped, a literal spanning lines kept whole. */
export function globalsStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (const line of sql.split('\n')) {
    if (!current && (line === '' || line.startsWith('--') || line.startsWith('\\'))) continue;
    current = current ? `${current}\n${line}` : line;
    // A statement ends at a ';' outside quotes: an even count of single quotes so far.
    if (current.trimEnd().endsWith(';') && (current.match(/'/g)?.length ?? 0) % 2 === 0) {
      statements.push(current.trimEnd());
      current = '';
    }
  }
  return statements;
}

export function parseGlobals(sql: string): GlobalsRoles {
  const roles = new Map<string, string[]>();
  const memberships: GlobalsRoles['memberships'] = [];
  for (const s of globalsStatements(sql)) {
    const role = ROLE_STATEMENT.exec(s);
    if (role) {
      const name = unquote(role[1]);
      roles.set(name, [...(roles.get(name) ?? []), s]);
      continue;
    }
    const grant = MEMBERSHIP.exec(s);
    if (grant)
      memberships.push({
        role: unquote(grant[1]),
        member: unquote(grant[2]),
        statement: `GRANT ${grant[1]} TO ${grant[2]}${grant[3]};`,
      });
  }
  return { roles, memberships };
}

const ATTRIBUTES = /^ALTER ROLE .* WITH /;
const SUPERUSER_ATTRIBUTE = /\s(SUPERUSER|REPLICATION|BYPASSRLS)\b/;
// Only a superuser may even name these, as their defaults: a creator with CREATEROLE leaves them out.
const SUPERUSER_DEFAULTS = /\s(NOSUPERUSER|NOREPLICATION|NOBYPASSRLS)\b/g;

export function planRoles(
  globals: GlobalsRoles,
  needed: readonly string[],
  existing: ReadonlySet<string>,
  creator: { superuser: boolean } = { superuser: true },
): RolesPlan {
  const wanted = new Set(needed.filter((r) => !existing.has(r)));
  const unknown = [...wanted].filter((r) => !globals.roles.has(r)).sort();
  // And the roles a created role is a member of: its privileges come through them.
  for (let grew = true; grew;) {
    grew = false;
    for (const m of globals.memberships)
      if (wanted.has(m.member) && !existing.has(m.role) && !wanted.has(m.role) && globals.roles.has(m.role)) {
        wanted.add(m.role);
        grew = true;
      }
  }
  const create = [...globals.roles.keys()].filter((r) => wanted.has(r));
  const after = new Set([...existing, ...create]);
  const own = (statement: string) =>
    creator.superuser || !ATTRIBUTES.test(statement) ? statement : statement.replace(SUPERUSER_DEFAULTS, '');
  const statements = [
    ...create.flatMap((r) => globals.roles.get(r)!.map(own)),
    ...globals.memberships
      .filter((m) => (wanted.has(m.role) || wanted.has(m.member)) && after.has(m.role) && after.has(m.member))
      .map((m) => m.statement),
  ];
  const withoutPassword = create.filter((r) =>
    globals.roles.get(r)!.some((s) => /^ALTER ROLE .* WITH .*\bLOGIN\b/.test(s) && !/\bPASSWORD\b/.test(s)),
  );
  const needSuperuser = creator.superuser
    ? []
    : create.filter((r) => globals.roles.get(r)!.some((s) => ATTRIBUTES.test(s) && SUPERUSER_ATTRIBUTE.test(s)));
  const superusers = create.filter((r) => globals.roles.get(r)!.some((s) => ATTRIBUTES.test(s) && /\sSUPERUSER\b/.test(s)));
  return { create, unknown, statements, withoutPassword, needSuperuser, superusers };
}
