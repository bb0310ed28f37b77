/**
 * RestorePointWorkflow: a named restore point on a server of WAL_ARCHIVE, recorded where
 * point-in-time restores find it, done once the archive holds it.
 */
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MarkedRestorePoint } from '../activities/restore-points';
import { DatabaseSA, OperationSA } from '../src/infra/temporal/search-attributes';

export interface RestorePointInput {
  server: string;
  name: string;
}

const { markRestorePoint } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

export async function RestorePointWorkflow(input: RestorePointInput): Promise<MarkedRestorePoint> {
  upsertSearchAttributes([
    { key: DatabaseSA, value: input.server },
    { key: OperationSA, value: 'restore-point' },
  ]);
  const { workflowId, runId } = workflowInfo();
  return markRestorePoint({ ...input, workflowId, runId });
}
