/** `pgwarden check`: runs PreflightWorkflow on the worker and prints what it found. */
import type { PreflightReport } from '../../../../activities';
import type { NotifyOn } from '../../../infra/config/notifications';
import { announce, startRun } from '../start-run';
import { CommandContext } from '../context';
import { ConfigError } from '../../../infra/errors/errors';
import { usd } from '../../../operations/report/format';
import type { ChannelCheck } from '../../../infra/notify/notifier';

export interface CheckOptions {
  database?: string;
  json?: boolean;
}

export function formatPreflight(report: PreflightReport): string {
  return [
    `database   ${report.database} at ${report.host}: PostgreSQL ${report.serverVersion}${report.standby ? ', a standby (in recovery)' : ''}`,
    `pg_dump    ${report.pgDump.version} (${report.pgDump.path})`,
    // Reports from workers older than this line have no compression: nothing to say then.
    ...(report.compression
      ? [
          report.compression.algorithm === 'none'
            ? 'compress   none'
            : `compress   ${report.compression.algorithm} level ${report.compression.level}, ${report.compression.insidePgDump ? 'inside pg_dump' : 'after pg_dump'}`,
        ]
      : []),
    `storage    s3://${report.storage.bucket}/${report.storage.prefix}${report.storage.endpoint ? ` via ${report.storage.endpoint}` : ''}: writable`,
    `encryption ${report.encryption.algorithm}, active key ${report.encryption.keyId}`,
    `notify     e-mail ${channelState(report.notifications.email, report.notifications.emailOn)}, Slack ${channelState(report.notifications.slack, report.notifications.slackOn)}${
      // Reports of older workers do not say.
      report.notifications.pagerDuty === undefined ? '' : `, PagerDuty ${report.notifications.pagerDuty ? 'on' : 'off'}`
    }`,
    ...(report.notifications.checks ?? []).map((c) => `notify     ${CHANNEL_NAMES[c.channel]}: ${checkLine(c)}`),
    ...(report.logs
      ? [
          `logs       ${Object.entries(report.logs)
            .filter(([, path]) => path)
            .map(([kind, path]) => `${kind} ${path}`)
            .join(', ')}`,
        ]
      : []),
    ...(report.budgetUsd !== undefined ? [`budget     ${usd(report.budgetUsd)} a month per database (STORAGE_BUDGET_USD)`] : []),
    ...(report.warnings ?? []).map((w) => `warning    ${w}`),
  ].join('\n');
}

const CHANNEL_NAMES: Record<ChannelCheck['channel'], string> = { email: 'e-mail', slack: 'Slack', pagerduty: 'PagerDuty' };

function checkLine(c: ChannelCheck): string {
  if (c.status === 'failed') return 'FAILED (below)';
  return c.status === 'unchecked' ? `not checked: ${c.detail}` : c.detail;
}

/** The channels that failed their check, one line each: what failed and what to change. Pure. */
export function channelProblems(report: PreflightReport): string[] {
  return (report.notifications.checks ?? [])
    .filter((c) => c.status === 'failed')
    .map((c) => `${CHANNEL_NAMES[c.channel]} notices cannot go out: ${c.detail}`);
}

function channelState(configured: boolean, on: NotifyOn | undefined): string {
  if (!configured) return 'off';
  if (on === 'failures') return 'on (failures only)';
  if (on === 'warnings') return 'on (warnings and failures)';
  return 'on';
}

/** The closing line: every check passed, and how many warnings to read. Pure. */
export function preflightVerdict(report: PreflightReport): string {
  const n = report.warnings?.length ?? 0;
  return n === 0 ? 'all checks passed' : `all checks passed, with ${n} warning${n === 1 ? '' : 's'} above`;
}

export async function runCheckCommand(ctx: CommandContext, options: CheckOptions): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'preflight',
      operation: 'preflight',
      database,
      args: [{ database, channels: true }],
      summary: `Preflight check of database ${database}`,
    });
    if (!options.json) announce(`checking ${database}`, run);
    const { handle, id } = run;
    const report: PreflightReport = await handle.result();
    const problems = channelProblems(report);
    process.stdout.write(
      options.json
        ? JSON.stringify({ workflowId: id, ...report }, null, 2) + '\n'
        : `${formatPreflight(report)}\n${problems.length ? '' : `${preflightVerdict(report)}\n`}`,
    );
    // Backups would run, but their notices would not reach anyone: a configuration to fix (exit 78).
    if (problems.length) throw new ConfigError(problems);
  });
}
