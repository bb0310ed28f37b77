/**
 * CheckBackupsWorkflow: the daily missing-backup alarm. Quiet when the newest backup and the
 * newest verified backup are recent enough; an e-mail and Slack alert, saying what is missing
 * and since when, when not; and one when it cannot look at all.
 */
import { log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureOf, tellDespiteCancel } from './failure-notice';
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

const { notifyCheckFailed } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

export async function CheckBackupsWorkflow(input: { database: string }): Promise<FreshnessReport & { notified: boolean }> {
  checkInput(WorkflowType.check, CHECK_INPUT, input);
  tagRun(input.database, 'check');
  const { workflowId } = workflowInfo();
  try {
    return await checkBackupFreshness({ database: input.database, now: new Date().toISOString(), workflowId });
  } catch (err) {
    // The alarm that cannot look must say so: silence would read as "nothing missing".
    if (patched('check-failure-notice')) {
      const { errorType, message } = failureOf(err, 'the check was cancelled');
      log.error('backups could not be checked', { database: input.database, errorType, message });
      await tellDespiteCancel('check failure notice', () =>
        notifyCheckFailed({ database: input.database, errorType, message, workflowId }),
      );
    }
    throw err;
  }
}
