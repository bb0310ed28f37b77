/**
 * Failed backup runs that left no failure record in the bucket: the record is written by the
 * failing run itself, and when the very failure is that S3 is unreachable (or the worker died
 * and the run was terminated) there is none. Temporal keeps every run's outcome, so the
 * report asks it for the failed, terminated and timed-out runs of the window and counts those
 * the bucket does not know. Runs older than the namespace's retention are gone from Temporal;
 * the bucket's records cover those.
 */
import { Context } from '@temporalio/activity';
import { backupIdFor } from '../src/operations/backup/naming';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { DatabaseSA } from '../src/infra/temporal/search-attributes';

export interface UnrecordedFailure {
  backupId: string;
  failedAt: string;
  errorType: string;
  message: string;
  workflowId: string;
}

interface ProtoFailure {
  message?: string | null;
  cause?: ProtoFailure | null;
  applicationFailureInfo?: { type?: string | null } | null;
}

/** The innermost failure's type and line, as a backup's own record would carry them. Pure. */
export function innermost(failure: ProtoFailure | null | undefined): { errorType: string; message: string } {
  let f = failure;
  while (f?.cause) f = f.cause;
  return { errorType: f?.applicationFailureInfo?.type || 'Error', message: f?.message || 'the run failed' };
}

/** Database ids are [a-z0-9_-] (config), safe inside the query's quotes. */
export async function unrecordedBackupFailures(
  database: string,
  since: Date,
  knownWorkflowIds: Set<string>,
): Promise<UnrecordedFailure[]> {
  const client = Context.current().client;
  const query =
    `WorkflowType = '${WorkflowType.backup}' AND ${DatabaseSA.name} = '${database}' AND CloseTime >= '${since.toISOString()}'` +
    ` AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')`;
  const found: UnrecordedFailure[] = [];
  for await (const run of client.workflow.list({ query })) {
    if (knownWorkflowIds.has(run.workflowId)) continue;
    const failedAt = (run.closeTime ?? new Date()).toISOString();
    const backupId = backupIdFor(run.startTime);
    if (run.status.name !== 'FAILED') {
      found.push({
        backupId,
        failedAt,
        errorType: run.status.name === 'TERMINATED' ? 'Terminated' : 'TimedOut',
        message: `the run was ${run.status.name === 'TERMINATED' ? 'terminated' : 'timed out'} before it finished`,
        workflowId: run.workflowId,
      });
      continue;
    }
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const closing = history.events?.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
    found.push({ backupId, failedAt, ...innermost(closing?.failure as ProtoFailure | undefined), workflowId: run.workflowId });
  }
  return found;
}
