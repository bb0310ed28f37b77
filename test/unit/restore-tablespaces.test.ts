/** Where a restore puts the database and its tables when the server lacks a recorded tablespace. */
import { tablespacePlan } from '../../src/operations/restore/tablespaces';

describe('tablespacePlan', () => {
  const here = ['pg_default', 'pg_global', 'fast'];
  it.each([
    // database's tablespace, its tables' (undefined: not recorded), database goes to, tables keep theirs, warnings
    ['pg_default', [], 'pg_default', true, []],
    ['fast', ['pg_default'], 'fast', true, []],
    ['pg_default', ['fast'], 'pg_default', true, []],
    ['pg_default', undefined, 'pg_default', true, []],
    [
      'slow',
      undefined,
      'pg_default',
      true,
      ['tablespace slow does not exist on this server: the database was created in pg_default'],
    ],
    [
      'pg_default',
      ['fast', 'archive'],
      'pg_default',
      false,
      [
        "tablespace archive does not exist on this server: every table and index was restored into the database's tablespace (pg_default)",
      ],
    ],
    [
      'fast',
      ['archive', 'cold'],
      'fast',
      false,
      [
        "tablespaces archive, cold do not exist on this server: every table and index was restored into the database's tablespace (fast)",
      ],
    ],
    [
      'slow',
      ['cold'],
      'pg_default',
      false,
      [
        'tablespace slow does not exist on this server: the database was created in pg_default',
        "tablespace cold does not exist on this server: every table and index was restored into the database's tablespace (pg_default)",
      ],
    ],
  ] as Array<[string, string[] | undefined, string, boolean, string[]]>)(
    'database in %s, tables in %j -> %s, keep %s',
    (tablespace, relationTablespaces, database, keep, warnings) =>
      expect(tablespacePlan({ tablespace, relationTablespaces }, here)).toEqual({
        database,
        keepRelationTablespaces: keep,
        warnings,
      }),
  );
});
