/**
 * Sends the end-of-run notice. Never fails: a channel that cannot be reached is logged and
 * reported in the result, and the backup's own outcome stands.
 */
import { log } from '@temporalio/activity';
import { BackupOutcome, backupNotice } from '../src/backup/notices';
import { ChannelResult } from '../src/notify/notifier';
import { ActivityDeps } from './deps';

export function notifyBackupActivity(deps: ActivityDeps) {
  return async function notifyBackup(outcome: BackupOutcome): Promise<ChannelResult[]> {
    const results = await deps.notifier.send(backupNotice(outcome));
    for (const r of results.filter((r) => !r.ok)) log.warn('notification not delivered', { channel: r.channel, error: r.error });
    return results;
  };
}
