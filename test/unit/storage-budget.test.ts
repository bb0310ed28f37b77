/** The strategy's cost overrun alert: the estimate against STORAGE_BUDGET_USD, and what it says. */
import { loadConfig } from '../../src/infra/config/config';
import { DEFAULT_STORAGE_PRICES } from '../../src/infra/config/prices';
import { ConfigError } from '../../src/infra/errors/errors';
import { budgetOverrun } from '../../src/operations/report/budget';
import { overBudgetNotice } from '../../src/operations/report/notices';
import { storageUsage } from '../../src/operations/report/prices';

const GB = 1024 ** 3;
const objects = [
  { size: 400 * GB, storageClass: 'STANDARD_IA' }, // $5.00
  { size: 100 * GB }, // STANDARD as S3 lists it: $2.30
  { size: 1000 * GB, storageClass: 'DEEP_ARCHIVE' }, // $0.99
  { size: 10 * GB, storageClass: 'REDUCED_REDUNDANCY' }, // no price
];

describe('storage usage', () => {
  it('costs each class at its price, largest first, and names the classes without one', () => {
    const usage = storageUsage(objects, DEFAULT_STORAGE_PRICES);
    expect(usage.byClass.map((c) => [c.storageClass, c.objects, c.monthlyUsd && Number(c.monthlyUsd.toFixed(4))])).toEqual([
      ['DEEP_ARCHIVE', 1, 0.99],
      ['STANDARD_IA', 1, 5],
      ['STANDARD', 1, 2.3],
      ['REDUCED_REDUNDANCY', 1, null],
    ]);
    expect(Number(usage.monthlyUsd.toFixed(2))).toBe(8.29);
    expect(usage.unpricedClasses).toEqual(['REDUCED_REDUNDANCY']);
    expect(usage.bytes).toBe(1510 * GB);
  });
});

describe('budgetOverrun', () => {
  const usage = storageUsage(objects, DEFAULT_STORAGE_PRICES);
  it.each([
    [5, true],
    [8.28, true],
    [8.3, false],
    [100, false],
  ])('a budget of $%s: over %s', (budget, over) => {
    expect(budgetOverrun('shop', usage, budget) !== null).toBe(over);
  });

  it('warns with the estimate, the budget, each class and what to change', () => {
    const notice = overBudgetNotice(budgetOverrun('shop', usage, 5)!, 'check-shop-1');
    expect(notice).toMatchObject({
      event: 'storage.over-budget',
      about: 'shop',
      severity: 'warning',
      title: 'Backups of shop cost about $8.29/month, over the $5.00 budget',
    });
    expect(Object.fromEntries(notice.facts)).toEqual({
      Database: 'shop',
      Estimate: '$8.29/month for 1.5 TiB in 4 objects',
      Budget: '$5.00/month (STORAGE_BUDGET_USD)',
      'By storage class':
        'DEEP_ARCHIVE 1000.0 GiB $0.99, STANDARD_IA 400.0 GiB $5.00, STANDARD 100.0 GiB $2.30, REDUCED_REDUNDANCY 10.0 GiB no price',
      'Not in the estimate': 'REDUCED_REDUNDANCY (no price: set S3_STORAGE_PRICES)',
      Workflow: 'check-shop-1',
    });
    expect(notice.action).toMatch(/^see what grew with pgwarden report; keep less/);
  });
});

describe('STORAGE_BUDGET_USD', () => {
  const env = { DATABASE_URL: 'postgres://u:p@h/shop' };
  it.each([
    ['25', 25],
    ['12.50', 12.5],
    [undefined, undefined],
  ])('%s reads as %s', (value, budget) => {
    expect(loadConfig({ ...env, ...(value ? { STORAGE_BUDGET_USD: value } : {}) }).report.budgetUsd).toBe(budget);
  });

  it.each(['0', '-5', '$25', '25 USD'])('refuses %s in one line', (value) => {
    try {
      loadConfig({ ...env, STORAGE_BUDGET_USD: value });
      throw new Error('accepted');
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        `STORAGE_BUDGET_USD: expected US dollars a month above 0, e.g. 25 or 12.50, got "${value}"`,
      ]);
    }
  });
});
