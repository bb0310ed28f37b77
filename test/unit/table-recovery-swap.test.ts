import { planRecoveryNames, RecoveryName } from '../../src/operations/table-recovery/names';
import { blockedReplace, swapStatements, SwapFacts } from '../../src/operations/table-recovery/swap';

const [name] = planRecoveryNames(['shop.orders'], undefined, true) as Array<Required<RecoveryName>>;
const facts: SwapFacts = {
  name,
  live: [
    { kind: 'constraint', name: 'orders_pkey' },
    { kind: 'index', name: 'orders_customer_idx' },
    { kind: 'sequence', name: 'orders_id_seq' },
  ],
  copy: [
    { kind: 'constraint', name: 'orders_recovering_pkey', original: 'orders_pkey' },
    { kind: 'index', name: 'orders_recovering_idx_x', original: 'idx_x' },
    { kind: 'sequence', name: 'orders_recovering_id_seq', original: 'orders_id_seq' },
  ],
  outgoing: [
    { table: name.from, name: 'orders_customer_id_fkey', definition: 'FOREIGN KEY (customer_id) REFERENCES shop.customers(id)' },
  ],
  incoming: [
    {
      table: { schema: 'shop', table: 'order_items' },
      name: 'items_order_fkey',
      definition: 'FOREIGN KEY (order_id) REFERENCES shop.orders(id)',
    },
  ],
  comment: "shop.orders as of 2026-11-30T10:00:00Z, recovered by pgwarden run r'1",
};

describe('swapStatements', () => {
  it('moves the live table aside, gives the copy its names, and moves the foreign keys, in that order', () => {
    const sql = swapStatements(facts);
    expect(sql.slice(0, -3)).toEqual([
      'LOCK TABLE "shop"."orders" IN ACCESS EXCLUSIVE MODE',
      'ALTER TABLE "shop"."order_items" DROP CONSTRAINT "items_order_fkey"',
      'ALTER TABLE "shop"."orders" RENAME CONSTRAINT "orders_pkey" TO "orders_replaced_pkey"',
      'ALTER INDEX "shop"."orders_customer_idx" RENAME TO "orders_replaced_customer_idx"',
      'ALTER SEQUENCE "shop"."orders_id_seq" RENAME TO "orders_replaced_id_seq"',
      'ALTER TABLE "shop"."orders" RENAME TO "orders_replaced"',
      'ALTER TABLE "shop"."orders_recovering" RENAME CONSTRAINT "orders_recovering_pkey" TO "orders_pkey"',
      'ALTER INDEX "shop"."orders_recovering_idx_x" RENAME TO "idx_x"',
      'ALTER SEQUENCE "shop"."orders_recovering_id_seq" RENAME TO "orders_id_seq"',
      'ALTER TABLE "shop"."orders_recovering" RENAME TO "orders"',
      'ALTER TABLE "shop"."orders" ADD CONSTRAINT "orders_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES shop.customers(id)',
      'ALTER TABLE "shop"."order_items" ADD CONSTRAINT "items_order_fkey" FOREIGN KEY (order_id) REFERENCES shop.orders(id)',
    ]);
    const [grants, sequences, comment] = sql.slice(-3);
    expect(grants).toMatch(
      /ALTER TABLE %s OWNER TO %I', '"shop"\."orders"', \(SELECT pg_get_userbyid\(relowner\) FROM pg_class WHERE oid = '"shop"\."orders_replaced"'::regclass/,
    );
    expect(grants).toContain(`REVOKE %s ON %s FROM %s', r.privilege_type, '"shop"."orders"'`);
    expect(sequences).toContain(`pg_get_serial_sequence('"shop"."orders_replaced"', a.attname) AS old`);
    expect(comment).toBe(
      `COMMENT ON TABLE "shop"."orders" IS 'shop.orders as of 2026-11-30T10:00:00Z, recovered by pgwarden run r''1'`,
    );
  });

  it('puts a dropped table back under its name, with nothing to move aside', () => {
    expect(swapStatements({ ...facts, live: null, copy: facts.copy.slice(2) })).toEqual([
      'ALTER SEQUENCE "shop"."orders_recovering_id_seq" RENAME TO "orders_id_seq"',
      'ALTER TABLE "shop"."orders_recovering" RENAME TO "orders"',
      `COMMENT ON TABLE "shop"."orders" IS 'shop.orders as of 2026-11-30T10:00:00Z, recovered by pgwarden run r''1'`,
    ]);
  });
});

describe('blockedReplace', () => {
  it.each([
    [[], null],
    [
      ['view shop.order_totals', 'publication orders_pub'],
      'shop.orders cannot be replaced: view shop.order_totals, publication orders_pub would keep pointing at the old table; recover it beside the live one (without --replace), or drop them first',
    ],
  ])('%j', (dependants, expected) => expect(blockedReplace(name.from, dependants)).toBe(expected));
});
