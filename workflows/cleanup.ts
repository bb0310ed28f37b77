/**
 * CleanupWorkflow: the strategy's monthly cleanup_old_backups.sh.
 *   1. plan: which backups the retention policy keeps (and why) and which go; leftovers of
 *      interrupted runs; unfinished uploads
 *   2. unless --dry-run: delete (manifest first), remove leftovers, abort uploads
 *   3. apply the S3 lifecycle rule for data objects, and warn about rules that expire early
 *   4. report and notify; a run that fails notifies too
 */
import { log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureOf, tellDespiteCancel } from './failure-notice';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { Leftover } from '../activities/cleanup';
import type { ArchiveCleanup, CleanupReport } from '../src/operations/cleanup/notices';
import { tagRun } from './tag-run';

export interface CleanupInput {
  database: string;
  /** List what would go and why; change nothing. */
  dryRun?: boolean;
}

const CLEANUP_INPUT: InputSpec<CleanupInput> = { database: 'string', dryRun: 'boolean?' };

export type CleanupResult = CleanupReport & {
  plan: Array<{ backupId: string; action: string; reasons: string[] }>;
  leftovers: Leftover[];
};

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { maximumAttempts: 3 },
});

export async function CleanupWorkflow(input: CleanupInput): Promise<CleanupResult> {
  checkInput(WorkflowType.cleanup, CLEANUP_INPUT, input);
  tagRun(input.database, 'cleanup');
  let steps: Awaited<ReturnType<typeof cleanUp>>;
  try {
    steps = await cleanUp(input);
  } catch (err) {
    // A scheduled monthly run has nobody watching it: its failure must reach people.
    if (!input.dryRun && patched('cleanup-failure-notice')) {
      const { errorType, message } = failureOf(err, 'the cleanup was cancelled');
      log.error('cleanup failed', { database: input.database, errorType, message });
      await tellDespiteCancel('cleanup failure notice', () =>
        acts.notifyCleanupFailed({ database: input.database, errorType, message, workflowId: workflowInfo().workflowId }),
      );
    }
    throw err;
  }
  const { plan, applied, lifecycle, archive } = steps;
  const report: CleanupReport = {
    database: input.database,
    dryRun: input.dryRun ?? false,
    kept: plan.decisions.filter((d) => d.action === 'keep').map((d) => ({ backupId: d.backupId, reasons: d.reasons })),
    locked: plan.decisions.filter((d) => d.action === 'locked').map((d) => ({ backupId: d.backupId, until: d.lockedUntil! })),
    deleted: applied?.deleted ?? [],
    orphansRemoved: applied?.orphansRemoved.length ?? 0,
    uploadsAborted: applied?.uploadsAborted ?? 0,
    lifecycle: lifecycle?.status ?? 'not applied (dry run)',
    warnings: lifecycle?.warnings ?? [],
    workflowId: workflowInfo().workflowId,
    ...(archive ? { archive } : {}),
    // Plain data from the plan: no command, so runs recorded before it replay the same.
    ...(plan.staleRecords ? { runRecords: { count: plan.staleRecords.length, olderThanDays: plan.recordsKeepDays! } } : {}),
  };
  if (!input.dryRun) await acts.notifyCleanup(report);
  return {
    ...report,
    plan: plan.decisions.map((d) => ({ backupId: d.backupId, action: d.action, reasons: d.reasons })),
    leftovers: plan.leftovers ?? [],
  };
}

async function cleanUp(input: CleanupInput) {
  const plan = await acts.planCleanup({ database: input.database, now: new Date().toISOString() });
  const applied = input.dryRun ? undefined : await acts.applyCleanup(plan);
  const lifecycle = input.dryRun ? undefined : await acts.applyLifecycle();
  // A server in WAL_ARCHIVE: its base backups by the same policy, then the WAL none of the kept ones needs.
  let archive: ArchiveCleanup | undefined;
  if (patched('pitr-archive-cleanup')) {
    const archivePlan = await acts.planArchiveCleanup({ database: input.database, now: new Date().toISOString() });
    if (archivePlan) {
      const done = input.dryRun ? undefined : await acts.applyArchiveCleanup(archivePlan);
      archive = {
        baseBackupsKept: archivePlan.baseBackupsKept,
        baseBackupsDeleted: archivePlan.baseBackupsDeleted.map((b) => b.backupId),
        keepWalFrom: archivePlan.keepWalFrom,
        walDeleted: done?.walDeleted ?? 0,
      };
    }
  }
  return { plan, applied, lifecycle, archive };
}
