/**
 * CheckBackupsWorkflow: the daily missing-backup alarm. Quiet when the newest backup and the
 * newest verified backup are recent enough; an e-mail and Slack alert, saying what is missing
 * and since when, when not.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FreshnessReport } from '../src/operations/backup/freshness';
import { tagRun } from './tag-run';

const { checkBackupFreshness } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

export async function CheckBackupsWorkflow(input: { database: string }): Promise<FreshnessReport & { notified: boolean }> {
  tagRun(input.database, 'check');
  return checkBackupFreshness({ database: input.database, now: new Date().toISOString(), workflowId: workflowInfo().workflowId });
}
