/** What the storage budget tells people: the estimate over STORAGE_BUDGET_USD, and what costs most. */
import { factIf, type Notice } from '../../infra/notify/notice';
import { formatBytes } from '../backup/progress';
import type { BudgetOverrun } from './budget';
import { usd } from './format';

/** A warning, not a page: nothing is lost, but the bill grows past what was agreed. */
export function overBudgetNotice(o: BudgetOverrun, workflowId: string): Notice {
  return {
    event: 'storage.over-budget',
    about: o.database,
    severity: 'warning',
    title: `Backups of ${o.database} cost about ${usd(o.usage.monthlyUsd)}/month, over the ${usd(o.budgetUsd)} budget`,
    facts: [
      ['Database', o.database],
      ['Estimate', `${usd(o.usage.monthlyUsd)}/month for ${formatBytes(o.usage.bytes)} in ${o.usage.objects} objects`],
      ['Budget', `${usd(o.budgetUsd)}/month (STORAGE_BUDGET_USD)`],
      [
        'By storage class',
        o.usage.byClass.map((c) => `${c.storageClass} ${formatBytes(c.bytes)} ${usd(c.monthlyUsd)}`).join(', '),
      ],
      ...factIf(
        'Not in the estimate',
        o.usage.unpricedClasses.length > 0 && `${o.usage.unpricedClasses.join(', ')} (no price: set S3_STORAGE_PRICES)`,
      ),
      ['Workflow', workflowId],
    ],
    action:
      'see what grew with pgwarden report; keep less (BACKUP_RETENTION_DAYS, BACKUP_KEEP_LAST, BACKUP_GFS_*), move it sooner to cheaper classes (S3_LIFECYCLE_GLACIER_DAYS, S3_LIFECYCLE_DEEP_ARCHIVE_DAYS), compress harder (BACKUP_COMPRESSION_LEVEL), or raise STORAGE_BUDGET_USD; said daily while over',
  };
}
