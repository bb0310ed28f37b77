/**
 * `pgwarden restore`: restore a backup into a new database (--new-db) or in place (after an
 * approval: typed at the prompt, given by another operator with --approve, or sent as a
 * signal from the Temporal UI; --force skips it). Also --approve/--reject ID and --list.
 */
import { userInfo } from 'node:os';
import { OBJECTIVES } from '../../../infra/config/objectives';
import { operatorIdentity } from '../operator';
import { createInterface } from 'node:readline/promises';
import { WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { newDatabaseRefusal, restoreFileRefusal, validDatabaseName } from '../../../operations/restore/restore-plan';
import { UsageError } from '../../../infra/errors/errors';
import { approveRestoreUpdate, rejectRestoreUpdate, restoreStatusQuery } from '../../../infra/temporal/messages';
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
    `recovery   ${(r.recoveryMs / 60000).toFixed(1)} min (restore ${(r.restoreMs / 1000).toFixed(1)}s); ${OBJECTIVES.restore.text}: ${r.withinRto ? 'met' : 'MISSED'}`,
    `backup age ${r.backupAgeHours === null ? 'unknown' : `${r.backupAgeHours} h (${OBJECTIVES.dataLoss.text})`}`,
  ].join('\n');
}

async function decide(ctx: CommandContext, id: string, approve: boolean, by: string, note: string | undefined): Promise<void> {
  await ctx.withTemporalClient(async (client) => {
    try {
      const status = await client.workflow
        .getHandle(id)
        .executeUpdate(approve ? approveRestoreUpdate : rejectRestoreUpdate, { args: [{ by, note }] });
      process.stdout.write(`${approve ? 'approved' : 'rejected'} ${id} as ${by}; restore is now: ${status.step}\n`);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new UsageError(`${id}: ${(err.cause as Error)?.message ?? err.message}`);
      if (err instanceof WorkflowNotFoundError || /already completed/.test((err as Error).message)) {
        throw new UsageError(
          `${id} is not a restore waiting for approval (it has finished, or the id is wrong); see pgwarden restore --list or the Temporal UI`,
        );
      }
      throw err;
    }
  });
}

/** On a terminal, asks for the database name as confirmation; elsewhere explains how to approve. */
async function obtainApproval(handle: WorkflowHandle, database: string, backupId: string, by: string): Promise<void> {
  if (!process.stdin.isTTY) {
    process.stderr.write(
      `pgwarden: waiting for approval to restore ${backupId} over ${database}: pgwarden restore --approve ${handle.workflowId} --as <name> (or --reject), or send approveRestoreSignal from the Temporal UI\n`,
    );
    return;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = (
    await rl.question(
      `Restore ${backupId} over the live database "${database}"? Its current data is kept renamed. Type the database name to approve: `,
    )
  ).trim();
  rl.close();
  const update = answer === database ? approveRestoreUpdate : rejectRestoreUpdate;
  await handle.executeUpdate(update, {
    args: [{ by, note: answer === database ? 'confirmed at the CLI prompt' : 'not confirmed at the CLI prompt' }],
  });
}

export async function runRestoreCommand(ctx: CommandContext, options: RestoreOptions): Promise<void> {
  if (options.list) return runListCommand(ctx, options);
  const identity = () => operatorIdentity(options.as, ctx.env, userInfo().username);
  if (options.approve || options.reject)
    return decide(ctx, (options.approve ?? options.reject)!, Boolean(options.approve), identity(), options.note);
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
    const result = handle.result() as Promise<RestoreResult>;
    let finished = false;
    void result.finally(() => (finished = true)).catch(() => undefined);
    let lastStep = '';
    let asked = false;
    while (!finished) {
      const status = await handle.query(restoreStatusQuery).catch(() => undefined);
      if (status && status.step !== lastStep) {
        lastStep = status.step;
        if (!options.json)
          process.stderr.write(
            `pgwarden: ${status.step}${status.backupId ? ` (${status.backupId} into ${status.target})` : ''}\n`,
          );
      }
      if (status?.awaitingApproval && !asked) {
        asked = true;
        await obtainApproval(handle, database, status.backupId ?? 'the backup', by);
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    }
    const r = await result;
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
    e.takenAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    formatBytes(e.storedBytes),
    e.format,
    e.verification.status === 'never' ? 'no' : e.verification.status,
    e.storageClass,
    e.reason,
  ]);
  const header = ['BACKUP', 'SNAPSHOT (UTC)', 'SIZE', 'FORMAT', 'VERIFIED', 'CLASS', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
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
