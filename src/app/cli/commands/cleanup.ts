/** `pgwarden cleanup [--dry-run]`: retention, leftovers and the S3 lifecycle, on the worker. */
import { announce, startRun } from '../start-run';
import type { Leftover } from '../../../../activities/cleanup';
import { formatBytes } from '../../../operations/backup/progress';
import type { CleanupResult } from '../../../../workflows/cleanup';
import { CommandContext } from '../context';

type Result = CleanupResult;

function leftoverLine(l: Leftover, dryRun: boolean): string {
  const what =
    l.kind === 'object'
      ? `object without a manifest, ${formatBytes(l.bytes ?? 0)}, written ${l.since}`
      : `unfinished upload started ${l.since}`;
  if (l.action === 'wait')
    return `${'later'.padEnd(13)}${l.key}  (${what}; younger than CLEANUP_GRACE_HOURS, it may belong to a running backup)`;
  const verb = l.kind === 'object' ? (dryRun ? 'would remove' : 'removed') : dryRun ? 'would abort' : 'aborted';
  return `${verb.padEnd(13)}${l.key}  (${what})`;
}

export function formatCleanup(r: Result): string {
  const lines = r.plan.map(
    (p) =>
      `${p.action === 'delete' ? (r.dryRun ? 'would delete' : 'deleted') : p.action === 'locked' ? 'locked' : 'keep'}`.padEnd(
        13,
      ) + `${p.backupId}  ${p.reasons.join('; ')}`,
  );
  lines.push(...(r.leftovers ?? []).map((l) => leftoverLine(l, r.dryRun)));
  lines.push(
    r.dryRun
      ? `dry run: ${r.plan.filter((p) => p.action === 'delete').length} backup(s) would be deleted, ${r.kept.length} kept, ${r.locked.length} locked; ` +
          `${(r.leftovers ?? []).filter((l) => l.action === 'remove').length} leftover(s) would be removed; nothing was changed`
      : `${r.deleted.length} backup(s) deleted, ${r.kept.length} kept, ${r.locked.length} locked; ${r.orphansRemoved} leftover object(s) removed, ${r.uploadsAborted} unfinished upload(s) aborted; lifecycle: ${r.lifecycle}`,
  );
  if (r.runRecords?.count)
    lines.push(
      `${r.runRecords.count} run record(s) older than ${r.runRecords.olderThanDays} days (RECORDS_KEEP_DAYS) ${r.dryRun ? 'would be removed' : 'removed'}`,
    );
  if (r.archive)
    lines.push(
      `point-in-time archive: ${r.archive.baseBackupsDeleted.length} base backup(s) ${r.dryRun ? 'would be deleted' : 'deleted'} (${r.archive.baseBackupsDeleted.join(', ') || 'none'}), ${r.archive.baseBackupsKept.length} kept; ` +
        (r.dryRun
          ? `WAL before ${r.archive.keepWalFrom ?? 'the first base backup'} would be deleted`
          : `${r.archive.walDeleted} WAL file(s) deleted, kept from ${r.archive.keepWalFrom ?? 'the start'}`),
    );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export async function runCleanupCommand(
  ctx: CommandContext,
  options: { database?: string; dryRun?: boolean; json?: boolean },
): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'cleanup',
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
