/** Which roles of a backup's globals a restore creates on a server that lacks them. */
import { globalsStatements, parseGlobals, planRoles } from '../../src/infra/postgres/globals-roles';

// As pg_dumpall 15 writes them (with the \restrict lines of 15.14+), trimmed.
const GLOBALS = [
  '--',
  '-- PostgreSQL database cluster dump',
  '--',
  '',
  '\\restrict abc',
  '',
  'SET default_transaction_read_only = off;',
  '',
  '--',
  '-- Roles',
  '--',
  '',
  'CREATE ROLE app_owner;',
  'ALTER ROLE app_owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;',
  "COMMENT ON ROLE app_owner IS 'owns the shop;",
  "it''s ours';",
  'CREATE ROLE "App Reader";',
  'ALTER ROLE "App Reader" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 3;',
  'CREATE ROLE readers;',
  'ALTER ROLE readers WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;',
  'CREATE ROLE postgres;',
  'ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;',
  'CREATE ROLE batch;',
  "ALTER ROLE batch WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:x';",
  '',
  '--',
  '-- User Configurations',
  '--',
  '',
  '--',
  '-- User Config "App Reader"',
  '--',
  '',
  'ALTER ROLE "App Reader" SET statement_timeout TO \'5s\';',
  '',
  '--',
  '-- Role memberships',
  '--',
  '',
  'GRANT readers TO "App Reader" GRANTED BY postgres;',
  'GRANT app_owner TO batch WITH ADMIN OPTION, INHERIT TRUE GRANTED BY postgres;',
  '',
  '--',
  '-- Tablespaces',
  '--',
  '',
  "CREATE TABLESPACE fast OWNER postgres LOCATION '/srv/fast';",
  'GRANT ALL ON TABLESPACE fast TO readers;',
  '',
  '\\unrestrict abc',
  '',
  '--',
  '-- PostgreSQL database cluster dump complete',
  '--',
  '',
].join('\n');

describe('the roles of a backup’s globals', () => {
  const globals = parseGlobals(GLOBALS);

  it('splits statements, keeping a comment that spans lines whole and leaving meta-commands out', () => {
    const s = globalsStatements(GLOBALS);
    expect(s[0]).toBe('SET default_transaction_read_only = off;');
    expect(s).toContain("COMMENT ON ROLE app_owner IS 'owns the shop;\nit''s ours';");
    expect(s.some((x) => x.startsWith('\\'))).toBe(false);
  });

  it('reads each role’s statements and the memberships without their grantor', () => {
    expect([...globals.roles.keys()]).toEqual(['app_owner', 'App Reader', 'readers', 'postgres', 'batch']);
    expect(globals.roles.get('App Reader')).toEqual([
      'CREATE ROLE "App Reader";',
      'ALTER ROLE "App Reader" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 3;',
      'ALTER ROLE "App Reader" SET statement_timeout TO \'5s\';',
    ]);
    expect(globals.memberships).toEqual([
      { role: 'readers', member: 'App Reader', statement: 'GRANT readers TO "App Reader";' },
      { role: 'app_owner', member: 'batch', statement: 'GRANT app_owner TO batch WITH ADMIN OPTION, INHERIT TRUE;' },
    ]);
  });

  it.each([
    // needed by the database, on the server already, created, unknown, without a password
    [['app_owner', 'App Reader'], ['postgres'], ['app_owner', 'App Reader', 'readers'], [], ['App Reader']],
    [['app_owner', 'App Reader'], ['postgres', 'app_owner', 'App Reader', 'readers'], [], [], []],
    [['App Reader'], ['postgres', 'readers'], ['App Reader'], [], ['App Reader']],
    [['batch', 'ghost'], ['postgres'], ['app_owner', 'batch'], ['ghost'], []],
    [[], ['postgres'], [], [], []],
  ])('needed %j, present %j: creates %j', (needed, present, create, unknown, withoutPassword) => {
    const plan = planRoles(globals, needed, new Set(present));
    expect(plan.create).toEqual(create);
    expect(plan.unknown).toEqual(unknown);
    expect(plan.withoutPassword).toEqual(withoutPassword);
    expect(plan.statements.filter((s) => s.startsWith('CREATE ROLE'))).toEqual(
      create.map((r) => `CREATE ROLE ${r.includes(' ') ? `"${r}"` : r};`),
    );
    expect(plan.statements.join('\n')).not.toMatch(/TABLESPACE|GRANTED BY|postgres/);
  });

  it('leaves out the superuser-only defaults for a creator who is no superuser, and names roles only a superuser can create', () => {
    const plan = planRoles(globals, ['App Reader'], new Set(['postgres']), { superuser: false });
    expect(plan.statements[1]).toBe('ALTER ROLE "App Reader" WITH INHERIT NOCREATEROLE NOCREATEDB LOGIN CONNECTION LIMIT 3;');
    expect(plan.needSuperuser).toEqual([]);
    expect(planRoles(globals, ['App Reader'], new Set(['postgres'])).statements[1]).toContain('NOSUPERUSER');
    const withRepl = parseGlobals(
      'CREATE ROLE etl;\nALTER ROLE etl WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN REPLICATION NOBYPASSRLS;\n',
    );
    expect(planRoles(withRepl, ['etl'], new Set(), { superuser: false }).needSuperuser).toEqual(['etl']);
    expect(planRoles(withRepl, ['etl'], new Set(), { superuser: true }).needSuperuser).toEqual([]);
  });

  it('names a superuser of the backup it would have to create', () => {
    expect(planRoles(globals, ['postgres', 'App Reader'], new Set(['readers'])).superusers).toEqual(['postgres']);
    expect(planRoles(globals, ['App Reader'], new Set(['readers'])).superusers).toEqual([]);
  });

  it('grants a membership between a created role and one the server has', () => {
    const plan = planRoles(globals, ['App Reader'], new Set(['postgres', 'readers']));
    expect(plan.statements.at(-1)).toBe('GRANT readers TO "App Reader";');
  });
});
