/**
 * The missing-backup check's activity: read the catalog, judge its age, alert when stale; and,
 * with STORAGE_BUDGET_USD, warn when the database's part of the bucket costs more than agreed.
 */
import { log } from '@temporalio/activity';
import { checkFreshness, FreshnessReport, overdueProblem } from '../src/operations/backup/freshness';
import { checkedNotice, checkFailedNotice, freshnessNotice } from '../src/operations/backup/notices';
import { judgeArchive } from './archive-judgement';
import { restoreTestProblem } from '../src/operations/restore-test/restore-test';
import { ActivityDeps } from './deps';
import { storedRestoreTests } from './restore-test';
import { storedDrills } from './evidence';
import { deliver } from './notify';
import type { RunFailed } from '../src/infra/notify/notice';
import { storageUsage } from '../src/operations/report/prices';
import { budgetOverrun } from '../src/operations/report/budget';
import { overBudgetNotice } from '../src/operations/report/notices';
import { databaseRoot } from '../src/infra/storage/layout';

/** The strategy's budget: what the database's part of the bucket costs a month, said daily while over. */
async function checkBudget(
  deps: ActivityDeps,
  database: string,
  budgetUsd: number,
  workflowId: string,
): Promise<NonNullable<FreshnessReport['storage']>> {
  const usage = storageUsage(
    await deps.bucket.list(databaseRoot(deps.config.storage.prefix, database)),
    deps.config.report.prices,
  );
  const overrun = budgetOverrun(database, usage, budgetUsd);
  if (overrun) {
    log.warn('storage over budget', { database, monthlyUsd: usage.monthlyUsd, budgetUsd });
    await deliver(deps, overBudgetNotice(overrun, workflowId));
  }
  return { monthlyUsd: usage.monthlyUsd, budgetUsd };
}

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
        ? await judgeArchive(deps, input.database, new Date(input.now))
        : undefined;
      const report: FreshnessReport = pitr ? { ...dumps, pitr, problems: [...dumps.problems, ...pitr.problems] } : dumps;
      // The monthly restore test, while its schedule is on: one that stopped passing (or running) is said here.
      const { restoreTestCron, maxRestoreTestAgeDays } = deps.config.schedules;
      if (restoreTestCron) {
        const tests = await storedRestoreTests(deps, input.database);
        const firstBackupAt = catalog.at(-1)?.takenAt ?? null;
        const problem = restoreTestProblem(input.database, tests, maxRestoreTestAgeDays, new Date(input.now), firstBackupAt);
        report.restoreTest = tests[0] ? { id: tests[0].id, finishedAt: tests[0].finishedAt, passed: tests[0].passed } : null;
        if (problem) report.problems = [...report.problems, problem];
      }
      // The quarterly drill, while its schedule is on: resolved counts as passed.
      if (deps.config.schedules.drDrillCron) {
        const drills = (await storedDrills(deps, input.database)).map((d) => ({
          id: d.id,
          finishedAt: d.closedAt ?? d.generatedAt,
          passed: d.status === 'resolved',
        }));
        const problem = overdueProblem({
          what: 'disaster recovery drill',
          database: input.database,
          command: `pgwarden dr start --drill --summary "drill" --database ${input.database}`,
          runs: drills,
          maxDays: deps.config.schedules.maxDrillAgeDays,
          now: new Date(input.now),
          firstBackupAt: catalog.at(-1)?.takenAt ?? null,
        });
        report.drill = drills[0] ?? null;
        if (problem) report.problems = [...report.problems, problem];
      }
      // The annual complete recovery scenario, for a server in WAL_ARCHIVE while its schedule is on.
      if (deps.config.schedules.drScenarioCron && deps.config.wal.servers.includes(input.database)) {
        const scenarios = (await storedDrills(deps, input.database))
          .filter((d) => d.scenario === 'server-lost')
          .map((d) => ({ id: d.id, finishedAt: d.closedAt ?? d.generatedAt, passed: d.status === 'resolved' }));
        const problem = overdueProblem({
          what: 'complete recovery scenario (a server-lost drill)',
          database: input.database,
          command: `pgwarden dr start --drill --scenario server-lost --summary "scenario" --database ${input.database}`,
          runs: scenarios,
          maxDays: deps.config.schedules.maxScenarioAgeDays,
          now: new Date(input.now),
          firstBackupAt: catalog.at(-1)?.takenAt ?? null,
        });
        if (problem) report.problems = [...report.problems, problem];
      }
      if (deps.config.report.budgetUsd !== undefined)
        report.storage = await checkBudget(deps, input.database, deps.config.report.budgetUsd, input.workflowId);
      if (report.problems.length === 0) {
        // Nothing missing: the pager's alerts of earlier checks end (nobody else is told).
        await deliver(deps, checkedNotice(input.database, input.workflowId), undefined, ['pagerduty']);
        return { ...report, notified: false };
      }
      log.error('backups missing or stale', { database: input.database, problems: report.problems });
      const results = await deliver(deps, freshnessNotice(report, input.workflowId));
      return { ...report, notified: results.some((r) => r.ok) };
    },

    async notifyCheckFailed(failure: RunFailed) {
      return deliver(deps, checkFailedNotice(failure));
    },
  };
}
