/**
 * The schedules configuration asks for, one set per configured database: the strategy's
 * crontab (daily backup, weekly verification, monthly cleanup) as Temporal Schedules, plus the
 * daily missing-backup check, the monthly restore test, and weekly base backups of the servers in WAL_ARCHIVE. Each
 * carries a fingerprint of what it should be, so `schedules apply` can tell "unchanged" from
 * "update in place" without comparing Temporal's structured calendars.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../../infra/config/config';
import type { PgwardenWorkflows } from '../../../workflows/by-key';
import { WorkflowType } from '../../infra/temporal/definitions';
import { hostQueueInput } from '../../infra/config/wal';

/** The workflows that run on a schedule. */
type ScheduledKey = 'backup' | 'verify' | 'check' | 'cleanup' | 'baseBackup' | 'restoreTest' | 'disasterRecovery';

export const SCHEDULE_PREFIX = 'pgwarden-';

export interface DesiredSchedule {
  scheduleId: string;
  database: string;
  operation: ScheduledKey;
  workflowType: (typeof WorkflowType)[ScheduledKey];
  args: Parameters<PgwardenWorkflows[ScheduledKey]>;
  cron: string;
  timezone: string;
  note: string;
  /** Missed runs within this window are caught up once after downtime, not replayed many times. */
  catchupWindowMinutes: number;
  /** The runs' ids begin `<idWord>-<database>-` and their PgwardenOperation is `operationLabel` (default: the operation). */
  idWord?: string;
  operationLabel?: string;
  fingerprint: string;
}

export function desiredSchedules(config: Config): DesiredSchedule[] {
  const s = config.schedules;
  const out: DesiredSchedule[] = [];
  for (const db of config.databases) {
    // The operation is the workflow's key: its arguments are checked against the workflow's own.
    const make = <K extends ScheduledKey>(
      operation: K,
      args: Parameters<PgwardenWorkflows[K]>,
      cron: string,
      note: string,
      catchupWindowMinutes: number,
      /** The schedule's own name, its runs' id word and operation when the workflow's key does not say what it is for. */
      named: { name: string; idWord: string; operationLabel: string } | undefined = undefined,
    ): DesiredSchedule => {
      const name = named?.name ?? operation;
      const base = {
        scheduleId: `${SCHEDULE_PREFIX}${name}-${db.id}`,
        database: db.id,
        operation,
        workflowType: WorkflowType[operation],
        args,
        cron,
        timezone: s.timezone,
        note,
        catchupWindowMinutes,
        // Undefined for the others, so their fingerprints stay what they were.
        idWord: named?.idWord,
        operationLabel: named?.operationLabel,
        taskQueue: config.temporal.taskQueue,
      };
      const fingerprint = createHash('sha256').update(JSON.stringify(base)).digest('hex').slice(0, 16);
      const { taskQueue: _t, ...rest } = base;
      return { ...rest, fingerprint };
    };
    out.push(
      make(
        'backup',
        [{ database: db.id, reason: 'scheduled', retryWindowMinutes: config.backup.retryWindowMinutes }],
        s.backupCron,
        `Daily backup of ${db.id} (strategy: 02:00 UTC), replaces backup_database.sh in cron`,
        6 * 60,
      ),
    );
    out.push(
      make(
        'verify',
        [{ database: db.id, ...hostQueueInput(config, db.id) }],
        s.verifyCron,
        `Weekly verification of ${db.id}'s newest backup (strategy: Sundays 03:00 UTC), replaces verify_backup.sh`,
        24 * 60,
      ),
    );
    out.push(
      make(
        'check',
        [{ database: db.id }],
        s.checkCron,
        `Daily missing-backup check of ${db.id}: alerts when the newest backup is over ${s.maxBackupAgeHours} h or the newest verified over ${s.maxVerifiedAgeDays} days old`,
        6 * 60,
      ),
    );
    out.push(
      make(
        'cleanup',
        [{ database: db.id }],
        s.cleanupCron,
        `Monthly cleanup of ${db.id}'s backups (strategy: the 1st, 04:00 UTC), replaces cleanup_old_backups.sh`,
        7 * 24 * 60,
      ),
    );
    if (s.restoreTestCron)
      out.push(
        make(
          'restoreTest',
          [{ database: db.id, ...hostQueueInput(config, db.id) }],
          s.restoreTestCron,
          `Monthly restore test of ${db.id} (strategy: "Monthly: full restore test"): the newest backup restored into a temporary database${config.wal.servers.includes(db.id) ? ' and the server recovered to a random point in a temporary instance' : ''}, checked, timed against the RTO`,
          7 * 24 * 60,
          { name: 'restoreTest', idWord: 'restore-test', operationLabel: 'restore-test' },
        ),
      );
    if (s.drDrillCron)
      out.push(
        make(
          'disasterRecovery',
          [
            {
              summary: 'quarterly disaster recovery drill',
              database: db.id,
              drill: true,
              ...(config.incident.drillAttended ? { attended: true } : {}),
              openedBy: 'schedule',
            },
          ],
          s.drDrillCron,
          `Quarterly disaster recovery drill of ${db.id} (strategy: "Quarterly: disaster recovery drill"): severity DRILL, level 1 only, the newest backup restored into a database of its own, checked, measured`,
          24 * 60,
          { name: 'drDrill', idWord: 'dr-drill', operationLabel: 'dr' },
        ),
      );
    if (s.drScenarioCron && config.wal.servers.includes(db.id))
      out.push(
        make(
          'disasterRecovery',
          [
            {
              summary: 'annual complete recovery scenario: the server is lost',
              database: db.id,
              drill: true,
              scenario: 'server-lost',
              ...(config.incident.drillAttended ? { attended: true } : {}),
              openedBy: 'schedule',
            },
          ],
          s.drScenarioCron,
          `Annual complete recovery scenario of ${db.id} (strategy: "Annually: complete recovery scenario testing"): a drill with the server lost, recovered from its WAL archive into a new instance, checked, measured, removed`,
          24 * 60,
          { name: 'drScenario', idWord: 'dr-scenario', operationLabel: 'dr' },
        ),
      );
    // Point-in-time recovery starts from a base backup: the servers archived get them on a schedule too.
    if (config.wal.servers.includes(db.id))
      out.push(
        make(
          'baseBackup',
          [{ server: db.id, reason: 'scheduled', ...hostQueueInput(config, db.id) }],
          s.baseBackupCron,
          `Weekly base backup of ${db.id}'s server for point-in-time recovery (WAL_ARCHIVE)`,
          24 * 60,
        ),
      );
  }
  return out;
}
