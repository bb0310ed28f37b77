import { recoveryMinimums } from '../../src/infra/postgres/control-data';
import {
  createDatabaseStatement,
  DatabaseProperties,
  databaseCommentStatement,
  databasePropertyStatements,
  parseAclItem,
} from '../../src/infra/postgres/database-properties';

const props: DatabaseProperties = {
  owner: 'app_owner',
  encoding: 'UTF8',
  collate: 'C.UTF-8',
  ctype: 'C.UTF-8',
  localeProvider: 'libc',
  locale: null,
  tablespace: 'pg_default',
  connectionLimit: -1,
  acl: ['app_owner=CTc/app_owner', 'reader=c/app_owner', '"odd ""name"""=c*/app_owner'],
  comment: "the shop's orders",
  settings: [
    { role: null, settings: ['work_mem=64MB', 'search_path=app, "$user", public', 'app.tenant=main'] },
    { role: 'reader', settings: ['statement_timeout=5s'] },
  ],
};

describe('database-level properties', () => {
  it.each([
    [
      'app_owner=CTc/app_owner',
      {
        grantee: 'app_owner',
        grantor: 'app_owner',
        privileges: [
          { privilege: 'CREATE', grantable: false },
          { privilege: 'TEMPORARY', grantable: false },
          { privilege: 'CONNECT', grantable: false },
        ],
      },
    ],
    [
      '=Tc/postgres',
      {
        grantee: null,
        grantor: 'postgres',
        privileges: [
          { privilege: 'TEMPORARY', grantable: false },
          { privilege: 'CONNECT', grantable: false },
        ],
      },
    ],
    [
      '"odd ""name"""=c*/app_owner',
      { grantee: 'odd "name"', grantor: 'app_owner', privileges: [{ privilege: 'CONNECT', grantable: true }] },
    ],
  ])('reads the privilege entry %s', (item, expected) => expect(parseAclItem(item)).toEqual(expected));

  it('creates the database with the recorded encoding, locale and owner', () => {
    expect(createDatabaseStatement('shop_restore_1', props, 150000)).toBe(
      `CREATE DATABASE "shop_restore_1" WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LC_COLLATE = 'C.UTF-8' LC_CTYPE = 'C.UTF-8' OWNER = "app_owner"`,
    );
    const icu = { ...props, localeProvider: 'icu', locale: 'de-DE', tablespace: 'fast', connectionLimit: 50 };
    expect(createDatabaseStatement('x', icu, 160000, { owner: false })).toBe(
      `CREATE DATABASE "x" WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu ICU_LOCALE = 'de-DE' LC_COLLATE = 'C.UTF-8' LC_CTYPE = 'C.UTF-8' TABLESPACE = "fast" CONNECTION LIMIT = 50`,
    );
    expect(createDatabaseStatement('x', icu, 170000)).toContain(`LOCALE_PROVIDER = icu LOCALE = 'de-DE'`);
    expect(createDatabaseStatement('x', { ...props, localeProvider: null }, 140000)).not.toContain('LOCALE_PROVIDER');
  });

  it('gives back exactly the recorded privileges, and settings (lists quoted element by element)', () => {
    expect(databasePropertyStatements('shop_restore_1', props)).toEqual([
      'REVOKE ALL ON DATABASE "shop_restore_1" FROM PUBLIC',
      'REVOKE ALL ON DATABASE "shop_restore_1" FROM "app_owner"',
      'GRANT CREATE, TEMPORARY, CONNECT ON DATABASE "shop_restore_1" TO "app_owner"',
      'GRANT CONNECT ON DATABASE "shop_restore_1" TO "reader"',
      'GRANT CONNECT ON DATABASE "shop_restore_1" TO "odd ""name""" WITH GRANT OPTION',
      `ALTER DATABASE "shop_restore_1" SET work_mem TO '64MB'`,
      `ALTER DATABASE "shop_restore_1" SET search_path TO 'app', '$user', 'public'`,
      `ALTER DATABASE "shop_restore_1" SET app.tenant TO 'main'`,
      `ALTER ROLE "reader" IN DATABASE "shop_restore_1" SET statement_timeout TO '5s'`,
    ]);
    expect(databasePropertyStatements('x', { ...props, acl: null, settings: [] })).toEqual([]);
  });

  it.each([
    ["the shop's orders", `COMMENT ON DATABASE "shop" IS 'the shop''s orders'`],
    [null, `COMMENT ON DATABASE "shop" IS NULL`],
    // A backslash means the same under either standard_conforming_strings: E'' with it doubled.
    ['C:\\data', `COMMENT ON DATABASE "shop" IS E'C:\\\\data'`],
  ])('gives back the comment %p', (comment, statement) => {
    expect(databaseCommentStatement('shop', comment)).toBe(statement);
  });
});

describe('recoveryMinimums', () => {
  it("takes the primary's limits from pg_controldata, and nothing else", () => {
    const text = [
      'pg_control version number:            1300',
      'wal_level setting:                    replica',
      'max_connections setting:              200',
      'max_worker_processes setting:         8',
      'max_wal_senders setting:              10',
      'max_prepared_xacts setting:           0',
      'max_locks_per_xact setting:           64',
      'track_commit_timestamp setting:       off',
    ].join('\n');
    expect(recoveryMinimums(text)).toEqual({
      max_connections: '200',
      max_worker_processes: '8',
      max_wal_senders: '10',
      max_prepared_transactions: '0',
      max_locks_per_transaction: '64',
    });
  });
});
