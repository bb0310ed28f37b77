/**
 * The strategy's "Overall Budget: set alerts for cost overruns": what a database's backups,
 * base backups and WAL cost a month in the bucket (estimated from the storage prices), against
 * STORAGE_BUDGET_USD. Pure.
 */
import type { StorageUsage } from './prices';

export interface BudgetOverrun {
  database: string;
  budgetUsd: number;
  /** The estimate over it (`usage.monthlyUsd`), by storage class. */
  usage: StorageUsage;
}

/** An overrun, or null within the budget (an estimate over unpriced classes is said as such by the notice). */
export function budgetOverrun(database: string, usage: StorageUsage, budgetUsd: number): BudgetOverrun | null {
  return usage.monthlyUsd > budgetUsd ? { database, budgetUsd, usage } : null;
}
