/**
 * RecoverTableWorkflow: tables brought back as they were at a point in time, beside the live
 * ones, into a running database whose other tables keep their newer data.
 *   1. check: the target schema, rights and new names, a base backup before the target, its key
 *   2. recover: the server to the target in a temporary instance on its host; the tables renamed there
 *   3. with --replace: wait for an approval (or give up after the timeout, nothing changed)
 *   4. load: copied into the target database in one transaction (with --replace, swapped into
 *      the live table's place in that same transaction), and counted
 *   5. always: the temporary instance stopped and removed, however the run ends
 */
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TableRecoveryResult } from '../activities/table-recovery';
import { describeTarget, type RecoveryTarget } from '../src/operations/pitr/target';
import { describeTable, finalName, type RecoveryName } from '../src/operations/table-recovery/names';
import type { RestoreStatus } from '../src/infra/temporal/messages';
import { ApprovalGate } from './approval-gate';
import { DatabaseSA, OperationSA } from '../src/infra/temporal/search-attributes';
import { onHost } from './host-queue';

export interface RecoverTableInput {
  /** The WAL_ARCHIVE server the tables come from. */
  server: string;
  /** The configured database they come back into (usually the server's own). */
  into: string;
  tables: RecoveryName[];
  target: RecoveryTarget;
  /** The task queue of the worker on the server's host (TASK_QUEUE_<SERVER>); default this run's queue. */
  hostQueue?: string;
  /** A replace (tables with keptAs) without waiting for an approval. */
  force?: boolean;
  /** How long a replace waits for its approval before giving up, changing nothing (default 60). */
  approvalTimeoutMinutes?: number;
}

export type RecoverTableResult = TableRecoveryResult & { durationMs: number; approvedBy?: string | null };

export async function RecoverTableWorkflow(input: RecoverTableInput): Promise<RecoverTableResult> {
  upsertSearchAttributes([
    { key: DatabaseSA, value: input.into },
    { key: OperationSA, value: 'recover-table' },
  ]);
  const started = Date.now();
  const { workflowId } = workflowInfo();
  const replace = input.tables.some((t) => t.keptAs);
  // The same status, query and approval Updates as an in-place restore: one approval path (pgwarden restore --approve).
  const status: RestoreStatus = {
    step: 'checking the target',
    database: input.into,
    backupId: null,
    mode: replace ? 'existing' : 'new',
    target: input.tables.map((t) => describeTable(finalName(t))).join(', '),
    awaitingApproval: false,
    approvedBy: null,
    rejectedBy: null,
  };
  const gate = new ApprovalGate(status, 'table recovery');
  const { checkTableRecovery } = proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 3 },
  });
  const onServerHost = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '24 hours',
    // They beat every few seconds however long a step runs: a dead worker is noticed in half a minute.
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
  });
  const { discardTableRecovery } = proxyActivities<Activities>({
    ...onHost(input.hostQueue),
    startToCloseTimeout: '10 minutes',
    retry: { maximumAttempts: 10 },
  });

  const work = { server: input.server, into: input.into, tables: input.tables, target: input.target };
  await checkTableRecovery(work);
  try {
    status.step = `recovering ${input.server} to ${describeTarget(input.target)}`;
    const copy = await onServerHost.prepareRecoveredTables({ ...work, workflowId });
    status.backupId = copy.baseBackupId;
    if (replace && !input.force) {
      gate.open();
      await gate.decided(input.approvalTimeoutMinutes ?? 60);
    }
    status.step = replace ? 'replacing the tables with their copies' : 'copying the tables into the target';
    const loaded = await onServerHost.loadRecoveredTables({ ...work, workflowId, copy });
    status.step = 'done';
    return { ...loaded, approvedBy: status.approvedBy, durationMs: Date.now() - started };
  } finally {
    await discardTableRecovery({ server: input.server, workflowId });
  }
}
