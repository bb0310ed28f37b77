/**
 * CheckBackupsWorkflow: the daily missing-backup alarm. Quiet when the newest backup and the
 * newest verified backup are recent enough; an e-mail and Slack alert, saying what is missing
 * and since when, when not.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { FreshnessReport } from '../src/operations/backup/freshness';
import { tagRun } from './tag-run';

const { checkBackupFreshness } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

const CHECK_INPUT: InputSpec<{ database: string }> = { database: 'string' };

export async function CheckBackupsWorkflow(input: { database: string }): Promise<FreshnessReport & { notified: boolean }> {
  checkInput(WorkflowType.check, CHECK_INPUT, input);
  tagRun(input.database, 'check');
  return checkBackupFreshness({ database: input.database, now: new Date().toISOString(), workflowId: workflowInfo().workflowId });
}
