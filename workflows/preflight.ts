/**
 * PreflightWorkflow: checks that a database can be backed up from this worker: database,
 * pg_dump, bucket and key. `pgwarden check` runs it; the backup workflow does the same step
 * first. Transient failures are retried with backoff; configuration errors are not.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities, PreflightInput, PreflightReport } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';

const { preflight } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const PREFLIGHT_INPUT: InputSpec<PreflightInput> = { database: 'string', channels: 'boolean?' };

export async function PreflightWorkflow(input: PreflightInput): Promise<PreflightReport> {
  checkInput(WorkflowType.preflight, PREFLIGHT_INPUT, input);
  log.info('preflight started', { database: input.database });
  const report = await preflight(input);
  log.info('preflight passed', { database: report.database, serverVersion: report.serverVersion });
  return report;
}
