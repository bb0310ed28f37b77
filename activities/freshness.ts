/** The missing-backup check's activity: read the catalog, judge its age, alert when stale. */
import { log } from '@temporalio/activity';
import { checkFreshness, FreshnessReport } from '../src/operations/backup/freshness';
import { freshnessNotice } from '../src/operations/backup/notices';
import { archiveStatus } from '../src/operations/pitr/archive';
import { ActivityDeps } from './deps';
import { deliver } from './notify';

export function freshnessActivities(deps: ActivityDeps) {
  return {
    async checkBackupFreshness(input: {
      database: string;
      now: string;
      workflowId: string;
    }): Promise<FreshnessReport & { notified: boolean }> {
      const catalog = await deps.store.catalog(input.database);
      const { maxBackupAgeHours, maxVerifiedAgeDays } = deps.config.schedules;
      const dumps = checkFreshness(input.database, catalog, { maxBackupAgeHours, maxVerifiedAgeDays }, new Date(input.now));
      // A server in WAL_ARCHIVE: its base backups and the WAL continuity after them are checked too.
      const pitr = deps.config.wal.servers.includes(input.database)
        ? await archiveStatus(deps.bucket, deps.keyring, deps.config.storage.prefix, input.database)
        : undefined;
      const report: FreshnessReport = pitr ? { ...dumps, pitr, problems: [...dumps.problems, ...pitr.problems] } : dumps;
      if (report.problems.length === 0) return { ...report, notified: false };
      log.error('backups missing or stale', { database: input.database, problems: report.problems });
      const results = await deliver(deps, freshnessNotice(report, input.workflowId));
      return { ...report, notified: results.some((r) => r.ok) };
    },
  };
}
