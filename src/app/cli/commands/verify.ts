/**
 * `pgwarden verify`: verification runs of the newest, one or every unverified backup; or, for a
 * server in WAL_ARCHIVE, of one base backup alone (`--base`), e.g. an older one, or one again
 * after its verification failed.
 */
import { BackupError, UsageError } from '../../../infra/errors/errors';
import type { VerifyResult } from '../../../../workflows/verify';
import { hostQueueInput } from '../../../infra/config/wal';
import { describeBaseVerification } from '../../../operations/pitr/base-verification';
import { describeWalVerification } from '../../../operations/pitr/wal-verification';
import { baseBackupIdProblem } from '../../../operations/pitr/base-backup';
import { CommandContext } from '../context';
import { announce, startRun } from '../start-run';

export interface VerifyOptions {
  database?: string;
  backup?: string;
  allUnverified?: boolean;
  base?: string;
  json?: boolean;
}

/** The base backups a run verified, in the order it did: never-verified older ones, then the newest (or the named). */
const baseVerificationsIn = (r: VerifyResult) => [...(r.olderBaseBackups ?? []), ...(r.baseBackup ? [r.baseBackup] : [])];

export function formatVerifyResult(r: VerifyResult): string {
  const dumps = r.baseOnly
    ? []
    : r.verified.length
      ? r.verified.flatMap((v) => [
          `${v.backupId}: ${v.status === 'passed' ? 'PASSED' : 'FAILED'}${v.restoreMs !== null ? ` (test restore ${(v.restoreMs / 1000).toFixed(1)}s, total ${(v.durationMs / 1000).toFixed(1)}s)` : ''}`,
          ...v.failures.map((f) => `  failed:  ${f}`),
          ...v.warnings.map((w) => `  warning: ${w}`),
        ])
      : [`nothing to verify for ${r.database}`];
  const pitr = r.pitr
    ? [
        `point-in-time archive: ${r.pitr.problems.length ? 'FAILED' : 'PASSED'} (${r.pitr.baseBackups} base backup(s), ${r.pitr.walSegments} WAL segment(s)${r.pitr.window ? `, window from ${r.pitr.window.from} to WAL ${r.pitr.window.toLsn}` : ''})`,
        ...r.pitr.problems.map((p) => `  failed:  ${p}`),
        ...(r.pitr.notes ?? []).map((n) => `  note:    ${n}`),
      ]
    : [];
  const wal = r.walContents
    ? [describeWalVerification(r.walContents), ...r.walContents.failures.map((f) => `  failed:  ${f}`)]
    : [];
  const base = baseVerificationsIn(r).map(describeBaseVerification);
  return [...dumps, ...pitr, ...wal, ...base].join('\n');
}

export async function runVerifyCommand(ctx: CommandContext, options: VerifyOptions): Promise<void> {
  if ([options.backup, options.allUnverified, options.base].filter((o) => o !== undefined).length > 1)
    throw new UsageError('--backup, --all-unverified and --base exclude each other; pass one');
  const baseProblem = options.base === undefined ? undefined : baseBackupIdProblem(options.base);
  if (baseProblem) throw new UsageError(baseProblem);
  // An old script's file name (backup_..._sql.gz.enc) names the same backup as its id.
  if (options.backup) options = { ...options, backup: options.backup.replace(/^.*\//, '').replace(/\.sql\.gz\.enc$/, '') };
  if (options.backup && !/^backup_\d{8}_\d{6}$/.test(options.backup))
    throw new UsageError(
      `--backup ${options.backup}: expected a backup id like backup_20240101_120000 or an old script's backup_20240101_120000.sql.gz.enc (see pgwarden restore --list)`,
    );
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  if (options.base && !config.wal.servers.includes(database))
    throw new UsageError(
      `--base ${options.base}: ${database} is not in WAL_ARCHIVE, so it has no base backups${config.wal.servers.length ? ` (archived: ${config.wal.servers.join(', ')}; pass --database)` : ''}`,
    );
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'verify',
      operation: 'verify',
      database,
      args: [
        {
          database,
          backupId: options.backup,
          allUnverified: options.allUnverified,
          ...(options.base ? { baseBackupId: options.base } : {}),
          ...hostQueueInput(config, database),
        },
      ],
      summary: `Verification of ${database} ${options.base ? `base backup ${options.base}` : (options.backup ?? (options.allUnverified ? 'unverified backups' : 'newest backup'))}`,
    });
    if (!options.json) announce(`verifying ${database}`, run);
    const { handle, id } = run;
    const result: VerifyResult = await handle.result();
    process.stdout.write(
      options.json ? JSON.stringify({ workflowId: id, ...result }, null, 2) + '\n' : formatVerifyResult(result) + '\n',
    );
    const failed = result.verified.filter((v) => v.status === 'failed');
    if (failed.length)
      throw new BackupError(
        `${failed.length} of ${result.verified.length} verification(s) failed: ${failed.map((f) => f.backupId).join(', ')}`,
      );
    if (result.pitr?.problems.length)
      throw new BackupError(`the point-in-time archive of ${database} failed its check: ${result.pitr.problems[0]}`);
    if (result.walContents?.status === 'failed')
      throw new BackupError(`the archived WAL of ${database} failed its read-back: ${result.walContents.failures[0]}`);
    const failedBase = baseVerificationsIn(result).find((b) => b.status === 'failed');
    if (failedBase)
      throw new BackupError(`base backup ${failedBase.backupId} of ${database} failed verification: ${failedBase.failures[0]}`);
  });
}
