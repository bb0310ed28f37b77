/** `pgwarden cleanup [--dry-run]`: retention, leftovers and the S3 lifecycle, on the worker. */
import { WorkflowType } from '../../temporal/definitions';
import { announce, startRun } from '../start-run';
import type { CleanupReport } from '../../backup/notices';
import { CommandContext } from '../context';

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
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflowType: WorkflowType.cleanup,
      operation: 'cleanup',
      idWord: options.dryRun ? 'cleanup-dry-run' : 'cleanup',
      database,
      args: [{ database, dryRun: options.dryRun }],
      summary: `Cleanup of ${database} backups${options.dryRun ? ' (dry run)' : ''}`,
    });
    if (!options.json) announce(`cleaning up ${database}`, run);
    const { handle } = run;
    const result: Result = await handle.result();
    process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : formatCleanup(result) + '\n');
  });
}
