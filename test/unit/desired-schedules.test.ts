import { loadConfig } from '../../src/infra/config/config';
import { desiredSchedules } from '../../src/operations/schedules/desired';

const env = { DATABASE_URL: 'postgres://u:p@db.internal:5432/app', BACKUP_DATABASES: 'app,billing' };

describe('desiredSchedules', () => {
  it('adds a weekly base backup for each server in WAL_ARCHIVE, and none for the others', () => {
    const ids = (e: Record<string, string>) => desiredSchedules(loadConfig(e)).map((d) => d.scheduleId);
    expect(ids(env)).not.toContain('pgwarden-baseBackup-app');
    const desired = desiredSchedules(loadConfig({ ...env, WAL_ARCHIVE: 'app', SCHEDULE_BASEBACKUP_CRON: '30 1 * * 6' }));
    expect(desired.filter((d) => d.operation === 'baseBackup')).toEqual([
      expect.objectContaining({
        scheduleId: 'pgwarden-baseBackup-app',
        workflowType: 'BaseBackupWorkflow',
        args: [{ server: 'app', reason: 'scheduled' }],
        cron: '30 1 * * 6',
      }),
    ]);
    // The other schedules are unchanged by it: same ids, same fingerprints.
    const before = new Map(desiredSchedules(loadConfig(env)).map((d) => [d.scheduleId, d.fingerprint]));
    for (const d of desired.filter((x) => x.operation !== 'baseBackup')) expect(before.get(d.scheduleId)).toBe(d.fingerprint);
  });
});
