/** `pgwarden check`: runs PreflightWorkflow on the worker and prints what it found. */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { PreflightReport } from '../../../activities';
import { WorkflowType } from '../../temporal/definitions';
import { announce, startRun } from '../start-run';
import { CommandContext } from '../context';

export interface CheckOptions {
  database?: string;
  json?: boolean;
}

/**
 * Warns (without failing) when no worker polls the queue: the run would wait for one. A
 * worker that is just starting gets a few seconds to show up first.
 */
export async function warnIfNoWorker(client: Client, taskQueue: string, graceMs = 5000): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((res.pollers ?? []).length > 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`pgwarden: no worker is polling task queue "${taskQueue}"; the run waits until one starts (pgwarden worker)\n`);
}

export { runLink } from '../../temporal/links';

export function formatPreflight(report: PreflightReport): string {
  return [
    `database   ${report.database} at ${report.host}: PostgreSQL ${report.serverVersion}`,
    `pg_dump    ${report.pgDump.version} (${report.pgDump.path})`,
    `storage    s3://${report.storage.bucket}/${report.storage.prefix}${report.storage.endpoint ? ` via ${report.storage.endpoint}` : ''}: writable`,
    `encryption ${report.encryption.algorithm}, active key ${report.encryption.keyId}`,
    `notify     e-mail ${report.notifications.email ? 'on' : 'off'}, Slack ${report.notifications.slack ? 'on' : 'off'}`,
  ].join('\n');
}

export async function runCheckCommand(ctx: CommandContext, options: CheckOptions): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, { workflowType: WorkflowType.preflight, operation: 'preflight', database, args: [{ database }], summary: `Preflight check of database ${database}` });
    if (!options.json) announce(`checking ${database}`, run);
    const { handle, id } = run;
    const report: PreflightReport = await handle.result();
    process.stdout.write(options.json ? JSON.stringify({ workflowId: id, ...report }, null, 2) + '\n' : formatPreflight(report) + '\nall checks passed\n');
  });
}
