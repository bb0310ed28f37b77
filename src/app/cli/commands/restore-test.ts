/** `pgwarden restore-test`: the monthly restore test now (RestoreTestWorkflow), its report printed. */
import { BackupError } from '../../../infra/errors/errors';
import { hostQueueInput } from '../../../infra/config/wal';
import { describeRestoreTest, type RestoreTestReport } from '../../../operations/restore-test/restore-test';
import { CommandContext } from '../context';
import { announce, startRun } from '../start-run';

export interface RestoreTestOptions {
  database?: string;
  json?: boolean;
}

export function formatRestoreTest(r: RestoreTestReport): string {
  return [...describeRestoreTest(r), ...(r.evidence ? [`report: ${r.evidence.markdown} (and .json)`] : [])].join('\n');
}

export async function runRestoreTestCommand(ctx: CommandContext, options: RestoreTestOptions): Promise<void> {
  const config = ctx.config();
  const database = ctx.pickDatabase(config, options.database);
  await ctx.withTemporalClient(async (client) => {
    const run = await startRun(client, config, {
      workflow: 'restoreTest',
      operation: 'restore-test',
      database,
      args: [{ database, ...hostQueueInput(config, database) }],
      summary: `Restore test of ${database}`,
    });
    if (!options.json) announce(`testing the restore of ${database}`, run);
    const report: RestoreTestReport = await run.handle.result();
    process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatRestoreTest(report) + '\n');
    if (!report.passed)
      throw new BackupError(`the restore test of ${database} failed; see ${report.evidence?.markdown ?? 'its report'}`);
  });
}
