import { keptTiesWarnings } from '../../src/infra/postgres/replication-ties';

describe('keptTiesWarnings: what of logical replication stayed with the kept database', () => {
  it.each([
    [{ slots: [], subscriptions: [] }, []],
    [
      { slots: ['cdc'], subscriptions: [] },
      [
        /^logical replication slot\(s\) "cdc" stayed with shop_before_x .*pg_drop_replication_slot\('cdc'\).*or drop shop_before_x/,
      ],
    ],
    [
      { slots: [], subscriptions: ['feed', 'orders'] },
      [/^subscription\(s\) "feed", "orders" still run in shop_before_x, .* while shop has them disabled/],
    ],
    [{ slots: ['a', 'b'], subscriptions: ['feed'] }, [/^logical replication slot\(s\) "a", "b"/, /^subscription\(s\) "feed"/]],
  ])('%j', (ties, expected) => {
    const said = keptTiesWarnings(ties, 'shop', 'shop_before_x');
    expect(said).toHaveLength(expected.length);
    said.forEach((line, i) => expect(line).toMatch(expected[i]));
  });
});
