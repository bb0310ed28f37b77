/**
 * Sends notices. Never fails: a channel that cannot be reached is logged and
 * reported in the result, and the backup's own outcome stands.
 */
import { log } from '@temporalio/activity';
import { BackupOutcome, backupNotice } from '../src/operations/backup/notices';
import { Notice } from '../src/infra/notify/notice';
import { Channel, ChannelResult, emailRecipients } from '../src/infra/notify/notifier';
import { ActivityDeps } from './deps';

/** Sends a notice from an activity; undelivered channels are logged, never thrown. */
export async function deliver(
  deps: ActivityDeps,
  notice: Notice,
  to?: string[],
  channels?: Channel[],
  thread?: string,
): Promise<ChannelResult[]> {
  const results = await deps.notifier.send(notice, { to, channels, thread });
  for (const r of results) {
    // One line per channel, e-mail with whom it went to: what NOTIFICATION_LOG_FILE keeps (the strategy's notification log).
    const facts = {
      event: notice.event,
      channel: r.channel,
      ...(r.channel === 'email' ? { to: emailRecipients(deps.config.notifications, to).join(', ') } : {}),
    };
    if (r.ok) log.info('notice sent', { ...facts, ...(r.skipped ? { skipped: r.skipped } : {}) });
    else log.warn('notification not delivered', { ...facts, error: r.error });
  }
  return results;
}

export function notifyBackupActivity(deps: ActivityDeps) {
  return async function notifyBackup(outcome: BackupOutcome): Promise<ChannelResult[]> {
    return deliver(deps, backupNotice(outcome));
  };
}
