/**
 * `pgwarden backup`: starts BackupWorkflow, shows live progress from the dump's heartbeats,
 * prints a summary, and exits with the strategy's codes.
 */
import { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { BackupSummary } from '../../../../workflows/backup';
import { BackupProgress, formatBytes } from '../../../operations/backup/progress';
import { BusyError } from '../../../infra/errors/errors';
import { DatabaseSA } from '../../../infra/temporal/search-attributes';
import { backupStatusQuery } from '../../../infra/temporal/messages';
import { WorkflowType } from '../../../infra/temporal/definitions';
import { announce, startRun } from '../start-run';
import { runLink } from '../../../infra/temporal/links';
import { CommandContext } from '../context';
import { progressLine } from '../progress-line';
import { latestStatus, STATUS_WAIT_MS } from '../latest-status';

export interface BackupOptions {
  database?: string;
  reason?: string;
  wait: boolean;
  json?: boolean;
  failFast?: boolean;
  /** Start even while another backup of the same database runs (two dumps load the server twice). */
  allowConcurrent?: boolean;
}

/** A backup of the database that is still running, scheduled or manual, if any. */
async function runningBackup(client: Client, database: string): Promise<{ id: string; startTime: Date } | undefined> {
  // Database ids are [a-z0-9_-] (config), safe inside the quotes.
  const query = `WorkflowType = '${WorkflowType.backup}' AND ExecutionStatus = 'Running' AND ${DatabaseSA.name} = '${database}'`;
  for await (const w of client.workflow.list({ query, pageSize: 1 })) return { id: w.workflowId, startTime: w.startTime };
  return undefined;
}

function minutesAgo(t: Date): string {
  const min = Math.round((Date.now() - t.getTime()) / 60_000);
  return min < 1 ? 'less than a minute ago' : min === 1 ? '1 minute ago' : `${min} minutes ago`;
}

async function latestProgress(handle: WorkflowHandle): Promise<BackupProgress | undefined> {
  const { raw } = await handle.describe();
  const details = raw.pendingActivities?.find((a) => a.activityType?.name === 'dumpAndUpload')?.heartbeatDetails?.payloads?.[0];
  return details ? defaultPayloadConverter.fromPayload<BackupProgress>(details) : undefined;
}

/** Redraws one line on a terminal; elsewhere prints a line when the phase changes or every 10 s. */
async function showProgress(handle: WorkflowHandle, done: Promise<unknown>): Promise<void> {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  let lastPhase = '';
  let lastPrint = 0;
  const status = latestStatus(() => handle.query(backupStatusQuery), STATUS_WAIT_MS);
  while (!finished) {
    try {
      const [p, s] = await Promise.all([latestProgress(handle), status()]);
      const step = s?.step ?? 'starting';
      const line = progressLine(p, step, Date.now() - started);
      const phase = `${step}/${p?.phase}`;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (phase !== lastPhase || Date.now() - lastPrint > 10_000) {
        process.stderr.write(`${line}\n`);
        lastPrint = Date.now();
      }
      lastPhase = phase;
    } catch {
      /* a transient describe failure only skips one redraw */
    }
    await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, tty ? 500 : 1000))]);
  }
  if (tty) process.stderr.write('\r\x1b[2K');
}

export function formatSummary(s: BackupSummary): string {
  const failed = s.notifications.filter((n) => !n.ok);
  return [
    `backup     ${s.backupId} of ${s.database}: OK`,
    `stored     s3://${s.bucket}/${s.dataKey}`,
    `manifest   s3://${s.bucket}/${s.manifestKey}`,
    `size       ${formatBytes(s.storedBytes)} stored, ${formatBytes(s.rawBytes)} from pg_dump`,
    `contents   ${s.tables} tables, ${s.rows} rows`,
    `duration   ${(s.durationMs / 1000).toFixed(1)}s`,
    `encryption ${s.encryption.algorithm}, key ${s.encryption.keyId}; sha256 ${s.sha256}`,
    `notified   ${s.notifications.map((n) => `${n.channel} ${n.skipped ? `not sent (${n.skipped})` : n.ok ? 'ok' : 'FAILED'}`).join(', ') || 'no channel configured'}`,
    ...failed.map((n) => `warning    ${n.channel} notice not delivered: ${n.error}`),
  ].join('\n');
}

export async function runBackupCommand(ctx: CommandContext, options: BackupOptions): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  await ctx.withTemporalClient(async (client) => {
    const reason = options.reason ?? 'manual';
    if (!options.allowConcurrent) {
      const running = await runningBackup(client, database);
      if (running) {
        const link = runLink(config.temporal.uiUrl, client.options.namespace, running.id);
        throw new BusyError(
          `a backup of ${database} is already running (workflow ${running.id}, started ${minutesAgo(running.startTime)}${link ? `, ${link}` : ''}); wait for it, or pass --allow-concurrent to start another`,
        );
      }
    }
    const run = await startRun(client, config, {
      workflow: 'backup',
      operation: 'backup',
      database,
      args: [{ database, reason, failFast: options.failFast, retryWindowMinutes: config.backup.retryWindowMinutes }],
      summary: `Backup of ${database} (${reason})`,
    });
    const { handle, id, link } = run;
    if (!options.wait) {
      process.stdout.write(
        options.json
          ? JSON.stringify({ workflowId: id, runId: handle.firstExecutionRunId, link }) + '\n'
          : `started ${id}${link ? `\nwatch: ${link}` : ''}\n`,
      );
      return;
    }
    if (!options.json) announce(`backing up ${database}`, run);
    const result = handle.result() as Promise<BackupSummary>;
    if (!options.json) await showProgress(handle, result);
    const summary = await result;
    process.stdout.write(
      options.json
        ? JSON.stringify({ workflowId: id, link, ...summary }, null, 2) + '\n'
        : formatSummary(summary) + (link ? `\nrun        ${link}` : '') + '\n',
    );
  });
}
