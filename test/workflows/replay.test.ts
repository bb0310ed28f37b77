/**
 * Determinism guard: histories recorded from real runs (test/fixtures/histories, exported
 * with `temporal workflow show -o json`) must replay against the current workflow code. A
 * change that would break running workflows fails here; such a change needs patching
 * (`patched()`) or a new workflow type, and a new recorded history.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { bundlePath } from '../support/run-state';
import { quietRuntime } from '../support/temporal';

const dir = join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json')
  .sort();
/** Histories whose workflow derives ids from its own (a DR incident's child restore) replay under their recorded id. */
const workflowIds: Record<string, string> = JSON.parse(readFileSync(join(dir, 'workflow-ids.json'), 'utf8'));

describe('recorded histories replay against the current workflows', () => {
  beforeAll(() => quietRuntime());

  it('has histories of successful, failed and retried runs', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'backup-succeeded.json',
        'backup-retried-after-worker-crash.json',
        'backup-failed-storage.json',
        'preflight-succeeded.json',
        'verify-passed.json',
        'verify-failed-checksum.json',
        'verify-failed-notified.json',
        'list-backups.json',
        'restore-approved.json',
        'restore-newdb.json',
        'restore-rejected.json',
        'cleanup-deleted.json',
        'cleanup-dry-run.json',
        'cleanup-failed-notified.json',
        'backup-failed-recorded.json',
        'restore-recorded.json',
        'report.json',
        'dr-resolved-in-place.json',
        'dr-aborted.json',
        'dr-escalated-aborted.json',
        'dr-reminders-on-grid.json',
        'wal-archive-stopped.json',
        'wal-archive-watchdog.json',
        'verify-base-backup-passed.json',
        'verify-named-base-backup.json',
        'verify-named-base-backup-missing.json',
        'verify-all-unverified-base-backups.json',
        'base-backup-succeeded.json',
        'base-backup-notified.json',
        'base-backup-failed-notified.json',
        'pitr-restore-succeeded.json',
        'pitr-restore-refused.json',
        'pitr-restore-cancelled.json',
        'pitr-restore-retry-policy.json',
        'check-pitr-gap.json',
        'check-failed-notified.json',
        'dr-resolved-select-checked.json',
        'dr-not-opened.json',
        'dr-opened-late.json',
        'recover-table-succeeded.json',
        'recover-table-cancelled.json',
        'recover-table-refused-name-taken.json',
        'recover-table-refused-no-table.json',
        'recover-table-retried-after-worker-crash.json',
        'restore-point-marked.json',
        'recovery-options-restore-points.json',
        'recovery-options-base-backups.json',
        'recovery-options-one-read.json',
        'pitr-list.json',
        'recover-table-replace-approved.json',
        'recover-table-replace-rejected.json',
        'recover-table-replace-conflict.json',
        'recover-table-from-logical-backup.json',
        'dr-resolved-with-evidence.json',
        'oncall-roster-stand-ins.json',
        'oncall-roster-handovers.json',
        'oncall-roster-upgraded.json',
        'oncall-roster-handover-notes.json',
        'oncall-roster-backup-reminders.json',
        'dr-resolved-tables-beside.json',
        'dr-resolved-point-in-time.json',
        'restore-test-passed.json',
        'restore-test-failed-smoke.json',
        'restore-test-run-failed-notified.json',
        'dr-drill-resolved.json',
        'dr-drill-refused.json',
        'restore-approved-with-evidence.json',
        'pitr-restore-with-evidence.json',
        'pitr-restore-notified.json',
        'pitr-restore-refused-with-evidence.json',
        'dr-scenario-server-lost.json',
        'dr-reselected-after-rejected-restore.json',
        'recover-table-replace-with-evidence.json',
        'recover-table-notified.json',
        'verify-passed-restore-first.json',
        'verify-failed-restore-first.json',
        'restore-newdb-notice-beside.json',
        'restore-failed-notice-beside.json',
        'restore-newdb-outcome-together.json',
        'verify-passed-finish-together.json',
        'dr-acknowledged-notice.json',
        'dr-note-update.json',
        'dr-handover.json',
        'dr-escalate-by-hand.json',
        'recover-table-started-notice.json',
        'dr-update-reminder.json',
        'dr-update-due-to-lead.json',
        'dr-live-slack-message.json',
        'dr-oncall-backup.json',
        'dr-responder.json',
        'verify-wal-read-back.json',
        'verify-wal-read-back-failed.json',
      ]),
    );
  });

  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: { code: readFileSync(bundlePath, 'utf8') } }, history, workflowIds[file]);
  });
});
