/**
 * RestorePointWorkflow: a named restore point on a server of WAL_ARCHIVE, recorded where
 * point-in-time restores find it, done once the archive holds it.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { MarkedRestorePoint } from '../activities/restore-points';
import { tagRun } from './tag-run';

export interface RestorePointInput {
  server: string;
  name: string;
}

const RESTORE_POINT_INPUT: InputSpec<RestorePointInput> = { server: 'string', name: 'string' };

const { markRestorePoint } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

export async function RestorePointWorkflow(input: RestorePointInput): Promise<MarkedRestorePoint> {
  checkInput(WorkflowType.restorePoint, RESTORE_POINT_INPUT, input);
  tagRun(input.server, 'restore-point');
  const { workflowId, runId } = workflowInfo();
  return markRestorePoint({ ...input, workflowId, runId });
}
