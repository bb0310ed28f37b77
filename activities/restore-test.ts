/**
 * The monthly restore test's own work; the restores themselves are RestoreWorkflow and
 * PitrRestoreWorkflow, run as children. Here: the recoverable window to pick a point in, the
 * temporary database and instance removed whatever happened, and the report stored beside the
 * backups (and said to people when the test failed). Also read back for the daily check.
 */
import { log } from '@temporalio/activity';
import { evidenceKeys } from '../src/infra/storage/layout';
import { readArchive } from '../src/operations/pitr/archive';
import { notArchived, pitrCheck, RecoverableWindow, recoverableWindow } from '../src/operations/pitr/window';
import { RestoreTestReport, restoreTestMarkdown } from '../src/operations/restore-test/restore-test';
import { restoreTestNotice, restoreTestRunFailedNotice, type RestoreTestRunFailed } from '../src/operations/restore-test/notices';
import { testRestoreServer } from '../src/infra/config/config';
import { ActivityDeps } from './deps';
import { dropScratchDatabase } from './scratch-database';
import { storedEvidence } from './evidence';
import { deliver } from './notify';
import { discardInstance, runFolder } from './recover-instance';

export function restoreTestActivities(deps: ActivityDeps) {
  return {
    /**
     * The recoverable window as the daily check sees it (from the oldest base backup whose WAL
     * reaches the end, not one a gap cut short) to the newest WAL stored; or why there is none.
     */
    async pitrWindow(input: { server: string }): Promise<RecoverableWindow> {
      const { config } = deps;
      if (!config.wal.servers.includes(input.server)) return notArchived(input.server);
      const { bases, wal } = await readArchive(deps.bucket, deps.keyring, config.storage.prefix, input.server);
      const status = pitrCheck(input.server, bases, { segments: wal.segments.keys(), histories: wal.histories });
      return recoverableWindow(input.server, status.window, wal.newestStoredAt);
    },

    /** Drops a restore test's temporary database (and only such a database). */
    async dropRestoreTestDatabase(input: { database: string; name: string; onTestServer?: boolean }): Promise<void> {
      const server = input.onTestServer ? testRestoreServer(deps.config, input.database) : input.database;
      await dropScratchDatabase(deps, server, input.name, 'restoretest');
    },

    /** Stops and removes the instance a restore test's point-in-time restore made (or began), on its host. */
    async discardRestoreTestInstance(input: { server: string; workflowId: string }): Promise<void> {
      await discardInstance(runFolder(deps.config.verify.workDir, input.server, input.workflowId), deps.config.tools.pgBinDir);
    },

    /** The report stored beside the backups (JSON and markdown), and told to people, passed or failed. */
    async recordRestoreTest(input: { report: RestoreTestReport }): Promise<{ json: string; markdown: string }> {
      const r = input.report;
      const keys = evidenceKeys(deps.config.storage.prefix, r.database, r.finishedAt, r.id);
      await deps.bucket.putJson(keys.json, r);
      await deps.bucket.putText(keys.markdown, restoreTestMarkdown(r), 'text/markdown; charset=utf-8');
      const where = { json: deps.bucket.where(keys.json), markdown: deps.bucket.where(keys.markdown) };
      if (!r.passed) log.error('restore test failed', { database: r.database, id: r.id });
      await deliver(deps, restoreTestNotice(r, where.markdown));
      return where;
    },

    /** A restore test that could not finish (its report not stored), said to people. */
    async notifyRestoreTestRunFailed(failure: RestoreTestRunFailed) {
      return deliver(deps, restoreTestRunFailedNotice(failure));
    },
  };
}

/** The restore tests stored for a database, newest first (the daily check and the report read them). */
export async function storedRestoreTests(deps: ActivityDeps, database: string): Promise<RestoreTestReport[]> {
  return (await storedEvidence<RestoreTestReport>(deps, database, /_restore-?test/i)).filter((r) => r.type === 'restore-test');
}
