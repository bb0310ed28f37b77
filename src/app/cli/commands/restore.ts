/**
 * `pgwarden restore`: restore a backup into a new database (--new-db) or in place (after an
 * approval: typed at the prompt, given by another operator with --approve, or sent as a
 * signal from the Temporal UI; --force skips it). Also --approve/--reject ID and --list.
 */
import { cliTime, columns } from '../columns';
import { userInfo } from 'node:os';
import { OBJECTIVES } from '../../../infra/config/objectives';
import { operatorIdentity } from '../operator';
import { newDatabaseRefusal, restoreFileRefusal, validDatabaseName } from '../../../operations/restore/restore-plan';
import { UsageError } from '../../../infra/errors/errors';
import { askApproval, decideApproval, followWithApproval } from '../approval';
import { announce, startRun } from '../start-run';
import type { RestoreResult } from '../../../../workflows/restore';
import { CommandContext } from '../context';
import type { CatalogEntry } from '../../../operations/catalog/catalog';
import { formatBytes } from '../../../operations/backup/progress';

export interface RestoreOptions {
  database?: string;
  file?: string;
  newDb?: string;
  force?: boolean;
  createRoles?: boolean;
  /** false with --no-owner (commander's negated option). */
  owner?: boolean;
  approvalTimeout?: string;
  approve?: string;
  reject?: string;
  as?: string;
  note?: string;
  list?: boolean;
  wait: boolean;
  json?: boolean;
}

export function formatRestoreResult(r: RestoreResult): string {
  return [
    `restore    ${r.backupId} of ${r.database}: OK${r.source === 'legacy' ? " (an old script's backup)" : ''}`,
    `into       ${r.restoredInto}${r.keptAs ? ` (previous data kept as ${r.keptAs}; drop it when no longer needed)` : ''}`,
    ...(r.approvedBy ? [`approved   by ${r.approvedBy}`] : []),
    `checked    ${r.rowCountsChecked ? 'row counts match the manifest' : 'no manifest to check row counts against'}`,
    ...(r.rolesCreated ? [`roles      created ${r.rolesCreated.join(', ')} from the backup's globals`] : []),
    ...(r.warnings ?? []).map((w) => `warning    ${w}`),
    `recovery   ${(r.recoveryMs / 60000).toFixed(1)} min (restore ${(r.restoreMs / 1000).toFixed(1)}s); ${OBJECTIVES.restore.text}: ${r.withinRto ? 'met' : 'MISSED'}`,
    `backup age ${r.backupAgeHours === null ? 'unknown' : `${r.backupAgeHours} h (${OBJECTIVES.dataLoss.text})`}`,
    ...(r.evidence ? [`report     ${r.evidence.markdown} (and .json)`] : []),
  ].join('\n');
}

export async function runRestoreCommand(ctx: CommandContext, options: RestoreOptions): Promise<void> {
  if (options.list) return runListCommand(ctx, options);
  const identity = () => operatorIdentity(options.as, ctx.env, userInfo().username);
  if (options.approve || options.reject)
    return decideApproval(ctx, (options.approve ?? options.reject)!, Boolean(options.approve), identity(), options.note);
  // Who approves at the prompt is recorded and notified: known before the restore starts.
  const by = !options.newDb && !options.force && process.stdin.isTTY ? identity() : 'the CLI';
  if (options.newDb && options.force)
    throw new UsageError('--force is for restores in place; a restore into --new-db needs no approval');
  const timeout = options.approvalTimeout === undefined ? 60 : Number(options.approvalTimeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError(`--approval-timeout ${options.approvalTimeout}: expected minutes, e.g. 60`);

  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  // Refused inputs change nothing and notify nobody: checked before a run exists.
  if (options.newDb !== undefined && !validDatabaseName(options.newDb)) throw new UsageError(newDatabaseRefusal(options.newDb));
  const refused =
    options.file === undefined ? undefined : restoreFileRefusal(options.file, config.storage?.prefix ?? '', database);
  if (refused) throw new UsageError(refused);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'restore',
      operation: 'restore',
      database,
      args: [
        {
          database,
          file: options.file,
          newDatabase: options.newDb,
          force: options.force,
          approvalTimeoutMinutes: timeout,
          ...(options.owner === false ? { noOwner: true } : {}),
          ...(options.createRoles ? { createRoles: true } : {}),
        },
      ],
      summary: `Restore of ${database} ${options.file ?? '(newest backup)'} into ${options.newDb ?? `${database} (in place)`}`,
    });
    const { handle, id, link } = run;
    if (!options.wait) {
      process.stdout.write(
        options.json ? JSON.stringify({ workflowId: id, link }) + '\n' : `started ${id}${link ? `\nwatch: ${link}` : ''}\n`,
      );
      return;
    }
    if (!options.json) announce(`restoring ${database}`, run);
    const r = await followWithApproval(handle, handle.result() as Promise<RestoreResult>, {
      quiet: options.json,
      describe: (status) => `${status.step}${status.backupId ? ` (${status.backupId} into ${status.target})` : ''}`,
      ask: (status, signal) => {
        const backupId = status.backupId ?? 'the backup';
        return askApproval(
          handle,
          {
            what: `restore ${backupId} over ${database}`,
            question: `Restore ${backupId} over the live database "${database}"? Its current data is kept renamed.`,
            expected: database,
            by,
          },
          signal,
        );
      },
    });
    process.stdout.write(
      options.json ? JSON.stringify({ workflowId: id, link, ...r }, null, 2) + '\n' : formatRestoreResult(r) + '\n',
    );
  });
}

// --- restore --list: the backups a restore can choose from.

export function formatCatalog(database: string, entries: CatalogEntry[]): string {
  if (entries.length === 0) return `no complete backups of ${database}`;
  const rows = entries.map((e) => [
    e.backupId,
    cliTime(e.takenAt),
    formatBytes(e.storedBytes),
    e.format,
    e.verification.status === 'never' ? 'no' : e.verification.status,
    e.storageClass,
    e.reason,
  ]);
  return columns(['BACKUP', 'SNAPSHOT (UTC)', 'SIZE', 'FORMAT', 'VERIFIED', 'CLASS', 'REASON'], rows);
}

export async function runListCommand(ctx: CommandContext, options: { database?: string; json?: boolean }): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  await ctx.withTemporalClient(async (client) => {
    const { handle } = await startRun(client, config, {
      workflow: 'listBackups',
      operation: 'list',
      database,
      args: [{ database }],
      uniqueId: true,
    });
    const entries: CatalogEntry[] = await handle.result();
    process.stdout.write(options.json ? JSON.stringify(entries, null, 2) + '\n' : formatCatalog(database, entries) + '\n');
  });
}
