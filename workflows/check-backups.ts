/**
 * CheckBackupsWorkflow: the daily missing-backup alarm. Quiet when the newest backup and the
 * newest verified backup are recent enough; an e-mail and Slack alert, saying what is missing
 * and since when, when not.
 */
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FreshnessReport } from '../src/operations/backup/freshness';
import { DatabaseSA, OperationSA } from '../src/infra/temporal/search-attributes';

const { checkBackupFreshness } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

export async function CheckBackupsWorkflow(input: { database: string }): Promise<FreshnessReport & { notified: boolean }> {
  upsertSearchAttributes([
    { key: DatabaseSA, value: input.database },
    { key: OperationSA, value: 'check' },
  ]);
  return checkBackupFreshness({ database: input.database, now: new Date().toISOString(), workflowId: workflowInfo().workflowId });
}
