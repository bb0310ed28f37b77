import { missingExtensionsProblem, superuserExtensionsProblem } from '../../src/infra/postgres/extensions';

describe('missingExtensionsProblem', () => {
  const available = new Set(['plpgsql', 'hstore', 'pgcrypto']);
  it.each([
    ['none recorded', [], undefined],
    [
      'all there, whatever their version',
      [
        { name: 'hstore', version: '1.4' },
        { name: 'plpgsql', version: '1.0' },
      ],
      undefined,
    ],
    [
      'one missing',
      [
        { name: 'hstore', version: '1.8' },
        { name: 'postgis', version: '3.4.2' },
      ],
      "the backup's database uses the extension postgis, which db:5432 (PostgreSQL 17) does not have: install its package on the server's host (PGDG: postgresql-17-<name>; the contrib ones come with postgresql-17), or restore onto a server that has it",
    ],
    [
      'two missing, in the order recorded',
      [
        { name: 'adminpack', version: '2.1' },
        { name: 'old_snapshot', version: '1.0' },
      ],
      "the backup's database uses the extensions adminpack, old_snapshot, which db:5432 (PostgreSQL 17) does not have: install their packages on the server's host (PGDG: postgresql-17-<name>; the contrib ones come with postgresql-17), or restore onto a server that has them",
    ],
  ])('%s', (_, recorded, expected) => {
    expect(missingExtensionsProblem(recorded, available, 'db:5432', 17)).toBe(expected);
  });
});

describe('superuserExtensionsProblem', () => {
  const recorded = [
    { name: 'pg_stat_statements', version: '1.10' },
    { name: 'pgcrypto', version: '1.3' },
    { name: 'plpgsql', version: '1.0' },
  ];
  const superuserOnly = new Set(['pg_stat_statements', 'file_fdw']);
  it.each([
    ['a superuser creates any', { name: 'postgres', superuser: true }, superuserOnly, undefined],
    ['only trusted ones recorded', { name: 'app', superuser: false }, new Set(['file_fdw']), undefined],
    [
      'one that needs a superuser',
      { name: 'app', superuser: false },
      superuserOnly,
      "the backup's database uses the extension pg_stat_statements, which only a superuser may create, and app, the user restoring on db:5432, is not one: restore as a superuser (for verifications, the user of VERIFY_DATABASE_URL, or of DATABASE_URL without it)",
    ],
    [
      'two',
      { name: 'app', superuser: false },
      new Set(['pg_stat_statements', 'pgcrypto']),
      "the backup's database uses the extensions pg_stat_statements, pgcrypto, which only a superuser may create",
    ],
  ])('%s', (_, user, only, said) => {
    const problem = superuserExtensionsProblem(recorded, only, user, 'db:5432');
    if (said === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(said);
  });
});
