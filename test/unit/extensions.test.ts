import { missingExtensionsProblem } from '../../src/infra/postgres/extensions';

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
