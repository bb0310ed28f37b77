import { exactTablePattern, mainDumpArgs, partDumpArgs, planDumpParts, SizedTable } from '../../src/operations/backup/dump-parts';

const MiB = 1024 * 1024;
const t = (table: string, mib: number, schema = 'shop'): SizedTable => ({ schema, table, bytes: mib * MiB });
const names = (parts: Array<Array<{ table: string }>>) => parts.map((p) => p.map((x) => x.table));

describe('planDumpParts', () => {
  const shop = [t('orders', 900), t('order_items', 1200), t('payments', 400), t('customers', 150), t('settings', 1)];

  it.each([
    // jobs, parts (main keeps the rest), main's bytes in MiB, parts' bytes in MiB
    [1, [], 2651, []],
    // The largest table goes to the least loaded bin: main starts with the small table (1 MiB).
    [2, [['order_items', 'customers']], 1301, [1350]],
    [3, [['order_items'], ['orders']], 551, [1200, 900]],
    [4, [['order_items'], ['orders'], ['payments']], 151, [1200, 900, 400]],
    // More jobs than large tables: every large table alone, no empty parts.
    [8, [['order_items'], ['orders'], ['payments'], ['customers']], 1, [1200, 900, 400, 150]],
  ])('with %i jobs', (jobs, parts, mainMiB, partMiB) => {
    const plan = planDumpParts(shop, jobs);
    expect(names(plan.parts)).toEqual(parts);
    expect(plan.mainBytes).toBe(mainMiB * MiB);
    expect(plan.partBytes).toEqual(partMiB.map((m) => m * MiB));
  });

  it('keeps tables below the threshold in the main dump', () => {
    expect(planDumpParts([t('a', 15), t('b', 15)], 4).parts).toEqual([]);
    expect(names(planDumpParts([t('a', 15), t('b', 16)], 4).parts)).toEqual([['b']]);
    expect(names(planDumpParts([t('a', 15), t('b', 16), t('c', 16)], 4).parts)).toEqual([['b'], ['c']]);
  });

  it('gives the same plan for the same tables in any order', () => {
    const tables = [t('x', 100, 'b'), t('x', 100, 'a'), t('y', 100, 'a')];
    const plan = planDumpParts(tables, 3);
    expect(planDumpParts([...tables].reverse(), 3)).toEqual(plan);
    expect(plan.parts).toEqual([[{ schema: 'a', table: 'y' }], [{ schema: 'b', table: 'x' }]]);
  });

  it('splits nothing for a database without tables', () => {
    expect(planDumpParts([], 4)).toEqual({ parts: [], mainBytes: 0, partBytes: [] });
  });
});

describe('pg_dump patterns', () => {
  it.each([
    [{ schema: 'public', table: 'orders' }, '"public"."orders"'],
    // Pattern characters inside double quotes match literally; a double quote is doubled.
    [{ schema: 'My Schema', table: 'a*b?.c' }, '"My Schema"."a*b?.c"'],
    [{ schema: 's', table: 'say "hi"' }, '"s"."say ""hi"""'],
  ])('%j is matched exactly by %s', (table, pattern) => {
    expect(exactTablePattern(table)).toBe(pattern);
  });

  it('excludes the parts’ data from the main dump and dumps each part data-only', () => {
    const parts = [[{ schema: 'shop', table: 'orders' }], [{ schema: 'shop', table: 'items' }]];
    expect(mainDumpArgs(parts)).toEqual(['--exclude-table-data="shop"."orders"', '--exclude-table-data="shop"."items"']);
    expect(partDumpArgs(parts[0])).toEqual(['--data-only', '--strict-names', '--table="shop"."orders"']);
  });
});
