import { readOnlyDefaultRefusal, readOnlyDefaultUndo } from '../../src/infra/postgres/takes-writes';

describe('readOnlyDefaultUndo: where default_transaction_read_only was set, and how to undo it there', () => {
  it.each([
    ['user', 'set for the user: ALTER ROLE "backup" RESET default_transaction_read_only;'],
    ['database', 'set for the database: ALTER DATABASE "shop" RESET default_transaction_read_only;'],
    [
      'database user',
      'set for the user in this database: ALTER ROLE "backup" IN DATABASE "shop" RESET default_transaction_read_only;',
    ],
    [
      'configuration file',
      "set in the server's configuration: remove it from postgresql.conf (or ALTER SYSTEM RESET default_transaction_read_only;) and SELECT pg_reload_conf();",
    ],
    ['command line', 'set by the command line: turn it off there'],
  ])('%s', (source, undo) => {
    expect(readOnlyDefaultUndo({ user: 'backup', database: 'shop', source })).toBe(undo);
  });

  it('quotes names as identifiers', () => {
    expect(readOnlyDefaultUndo({ user: 'ba"ck up', database: 'Shop', source: 'database user' })).toBe(
      'set for the user in this database: ALTER ROLE "ba""ck up" IN DATABASE "Shop" RESET default_transaction_read_only;',
    );
  });

  it('is one line naming the server, the work refused and the other way out', () => {
    expect(
      readOnlyDefaultRefusal(
        'db:5432',
        { user: 'backup', database: 'postgres', source: 'user' },
        'a restore creates a database there',
        'restore as a user that writes',
      ),
    ).toBe(
      'the user "backup" starts every transaction read-only at db:5432 (default_transaction_read_only = on, set for the user: ALTER ROLE "backup" RESET default_transaction_read_only;), and a restore creates a database there: undo that, or restore as a user that writes',
    );
  });
});
