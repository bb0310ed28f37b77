/** The missing-backup check's activity: read the catalog, judge its age, alert when stale. */
import { log } from '@temporalio/activity';
import { checkFreshness, FreshnessReport } from '../src/operations/backup/freshness';
import { freshnessNotice } from '../src/operations/backup/notices';
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
      const report = checkFreshness(input.database, catalog, { maxBackupAgeHours, maxVerifiedAgeDays }, new Date(input.now));
      if (report.problems.length === 0) return { ...report, notified: false };
      log.error('backups missing or stale', { database: input.database, problems: report.problems });
      const results = await deliver(deps, freshnessNotice(report, input.workflowId));
      return { ...report, notified: results.some((r) => r.ok) };
    },
  };
}
