import {
  describeTable,
  finalName,
  parseTableName,
  planRecoveryNames,
  RecoveryName,
  renamedDependent,
} from '../../src/operations/table-recovery/names';

describe('parseTableName', () => {
  it.each([
    ['shop.orders', { schema: 'shop', table: 'orders' }],
    ['orders', { schema: 'public', table: 'orders' }],
    ['Shop.Orders', { schema: 'shop', table: 'orders' }],
    ['"Shop"."Order Items"', { schema: 'Shop', table: 'Order Items' }],
    ['shop."a.b"', { schema: 'shop', table: 'a.b' }],
    ['"say ""hi"""', { schema: 'public', table: 'say "hi"' }],
    [' shop.orders ', { schema: 'shop', table: 'orders' }],
  ])('%s', (text, expected) => expect(parseTableName(text)).toEqual(expected));

  it.each([
    ['a.b.c', '--table a.b.c: expected schema.table, not 3 parts'],
    ['shop.', '--table shop.: expected schema.table (quote names with other characters'],
    ['order items', '--table order items: expected schema.table (quote names'],
    ['"open', '--table "open: a quoted name is not closed'],
    ['"a"b', '--table "a"b: expected schema.table'],
    ['', '--table : expected schema.table (quote names'],
  ])('%s is refused', (text, problem) => expect(parseTableName(text)).toEqual({ problem: expect.stringContaining(problem) }));
});

describe('planRecoveryNames', () => {
  it.each([
    [['shop.orders'], undefined, [['shop.orders', 'shop.orders_recovered']]],
    [['shop.orders'], 'orders_before_delete', [['shop.orders', 'shop.orders_before_delete']]],
    [['shop.orders'], 'shop.orders_old', [['shop.orders', 'shop.orders_old']]],
    [
      ['shop.orders', 'payments'],
      undefined,
      [
        ['shop.orders', 'shop.orders_recovered'],
        ['public.payments', 'public.payments_recovered'],
      ],
    ],
    [['x'.repeat(60)], undefined, [[`public.${'x'.repeat(60)}`, `public.${'x'.repeat(53)}_recovered`]]],
  ])('%j as %s', (tables, as, expected) => {
    const plan = planRecoveryNames(tables, as);
    expect('problem' in plan ? plan : plan.map((n) => [describeTable(n.from), describeTable(n.as)])).toEqual(expected);
  });

  it('with --replace, the copy lands beside the table, then takes its name; the live rows are kept', () => {
    const [n] = planRecoveryNames(['shop.orders'], undefined, true) as RecoveryName[];
    expect([n.as, n.keptAs, finalName(n)].map((t) => describeTable(t!))).toEqual([
      'shop.orders_recovering',
      'shop.orders_replaced',
      'shop.orders',
    ]);
    expect(finalName((planRecoveryNames(['shop.orders']) as RecoveryName[])[0])).toEqual({
      schema: 'shop',
      table: 'orders_recovered',
    });
    expect(planRecoveryNames(['shop.orders'], 'x', true)).toEqual({
      problem: "--as and --replace exclude each other: --replace puts the copy under the table's own name",
    });
  });

  it.each([
    [[], undefined, 'name at least one table: --table schema.table'],
    [['a', 'b'], 'c', '--as names one table; with 2 tables each comes back as <table>_recovered'],
    [['shop.orders', 'shop.orders'], undefined, '--table shop.orders is named twice'],
    [['shop.orders', 'SHOP.ORDERS'], undefined, '--table SHOP.ORDERS is named twice'],
    [['shop.orders'], 'other.x', '--as other.x: the recovered table stays in schema shop; give only a table name'],
    [['shop.orders'], 'orders', "--as orders: that is the table's own name; choose a new one"],
    [['shop.orders'], 'bad name', '--as bad name: expected schema.table (quote names'],
  ])('%j as %s is refused', (tables, as, problem) =>
    expect(planRecoveryNames(tables, as)).toEqual({ problem: expect.stringContaining(problem) }),
  );
});

describe('renamedDependent', () => {
  it.each([
    ['orders_pkey', 'orders', 'orders_recovered', 'orders_recovered_pkey'],
    ['orders_id_seq', 'orders', 'orders_recovered', 'orders_recovered_id_seq'],
    ['idx_customer', 'orders', 'orders_recovered', 'orders_recovered_idx_customer'],
    ['orders_pkey', 'orders', 'o'.repeat(63), `${'o'.repeat(58)}_pkey`],
    // A long dependent name keeps its end, which says what it is.
    ['orders_' + 'c'.repeat(40) + '_idx', 'orders', 'r', 'r' + ('_' + 'c'.repeat(40) + '_idx').slice(-31)],
    // Never cut inside a character.
    ['t_pkey', 't', 'é'.repeat(40), `${'é'.repeat(29)}_pkey`],
  ])('%s of %s as %s', (name, table, as, expected) => {
    const out = renamedDependent(name, table, as);
    expect(out).toBe(expected);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(63);
  });
});
