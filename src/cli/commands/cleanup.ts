/** `pgwarden cleanup [--dry-run]`: retention, leftovers and the S3 lifecycle, on the worker. */
import { DatabaseSA, OperationSA } from '../../temporal/search-attributes';
import { WorkflowType, workflowId } from '../../temporal/definitions';
import type { CleanupReport } from '../../backup/notices';
import { CommandContext } from '../context';
import { runLink, warnIfNoWorker } from './check';

type Result = CleanupReport & { plan: Array<{ backupId: string; action: string; reasons: string[] }> };

export function formatCleanup(r: Result): string {
  const lines = r.plan.map((p) => `${p.action === 'delete' ? (r.dryRun ? 'would delete' : 'deleted') : p.action === 'locked' ? 'locked' : 'keep'}`.padEnd(13) + `${p.backupId}  ${p.reasons.join('; ')}`);
  lines.push(
    r.dryRun
      ? `dry run: ${r.plan.filter((p) => p.action === 'delete').length} backup(s) would be deleted, ${r.kept.length} kept, ${r.locked.length} locked; nothing was changed`
      : `${r.deleted.length} backup(s) deleted, ${r.kept.length} kept, ${r.locked.length} locked; ${r.orphansRemoved} leftover object(s) removed, ${r.uploadsAborted} unfinished upload(s) aborted; lifecycle: ${r.lifecycle}`,
  );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export async function runCleanupCommand(ctx: CommandContext, options: { database?: string; dryRun?: boolean; json?: boolean }): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  const client = await ctx.temporalClient();
  try {
    await warnIfNoWorker(client, config.temporal.taskQueue);
    const id = workflowId(options.dryRun ? 'cleanup-dry-run' : 'cleanup', database, new Date());
    const handle = await client.workflow.start(WorkflowType.cleanup, {
      taskQueue: config.temporal.taskQueue,
      workflowId: id,
      args: [{ database, dryRun: options.dryRun }],
      typedSearchAttributes: [
        { key: DatabaseSA, value: database },
        { key: OperationSA, value: 'cleanup' },
      ],
      staticSummary: `Cleanup of ${database} backups${options.dryRun ? ' (dry run)' : ''}`,
    });
    const link = runLink(config.temporal.uiUrl, client.options.namespace, id);
    if (!options.json) process.stderr.write(`pgwarden: cleaning up ${database} (workflow ${id}${link ? `, ${link}` : ''})\n`);
    const result: Result = await handle.result();
    process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : formatCleanup(result) + '\n');
  } finally {
    await client.connection.close();
  }
}
