/**
 * BackupReportWorkflow: the strategy's metrics per database, read from the bucket on the
 * worker so the operator's machine needs no S3 credentials (`pgwarden report`).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { DatabaseReport } from '../src/operations/report/report';

const { backupReport } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3 },
});

export interface ReportInput {
  databases: string[];
  days: number;
}

const REPORT_INPUT: InputSpec<ReportInput> = { databases: 'array', days: 'number' };

export async function BackupReportWorkflow(input: ReportInput): Promise<DatabaseReport[]> {
  checkInput(WorkflowType.report, REPORT_INPUT, input);
  return Promise.all(input.databases.map((database) => backupReport({ database, days: input.days })));
}
