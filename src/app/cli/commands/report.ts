/**
 * `pgwarden report [--days N] [--database NAME] [--json]`: the strategy's metrics per
 * database, read from the manifests and records in the bucket (on the worker).
 */
import { startRun } from '../start-run';
import { UsageError } from '../../../infra/errors/errors';
import { formatReport } from '../../../operations/report/format';
import type { DatabaseReport } from '../../../operations/report/report';
import { CommandContext } from '../context';

export interface ReportOptions {
  database?: string;
  days?: string;
  json?: boolean;
}

export function parseDays(text: string | undefined): number {
  const days = text === undefined ? 30 : Number(text);
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new UsageError(`--days ${text}: expected a whole number of days from 1 to 3650, e.g. 30`);
  return days;
}

export async function runReportCommand(ctx: CommandContext, options: ReportOptions): Promise<void> {
  const days = parseDays(options.days);
  const config = ctx.config();
  const databases = options.database ? [ctx.pickDatabase(config, options.database)] : config.databases.map((d) => d.id);
  if (databases.length === 0) throw new UsageError('no database given; pass --database NAME (or set DATABASE_URL)');
  await ctx.withTemporalClient(async (client) => {
    const { handle } = await startRun(client, config, {
      workflow: 'report',
      operation: 'report',
      database: databases.length === 1 ? databases[0] : 'all',
      args: [{ databases, days }],
      uniqueId: true,
    });
    const reports: DatabaseReport[] = await handle.result();
    process.stdout.write(options.json ? JSON.stringify(reports, null, 2) + '\n' : reports.map(formatReport).join('\n\n') + '\n');
  });
}
