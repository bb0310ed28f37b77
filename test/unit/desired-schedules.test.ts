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
    // The other schedules are unchanged by it (same ids, same fingerprints), but the archived
    // server's restore test, which now recovers it to a point in time too.
    const before = new Map(desiredSchedules(loadConfig(env)).map((d) => [d.scheduleId, d.fingerprint]));
    const newForArchived = ['pgwarden-restoreTest-app', 'pgwarden-drScenario-app'];
    for (const d of desired.filter((x) => x.operation !== 'baseBackup' && !newForArchived.includes(x.scheduleId)))
      expect(before.get(d.scheduleId)).toBe(d.fingerprint);
    expect(before.get('pgwarden-restoreTest-app')).not.toBe(
      desired.find((d) => d.scheduleId === 'pgwarden-restoreTest-app')!.fingerprint,
    );
  });

  it('runs the monthly restore test of every database unless SCHEDULE_RESTORE_TEST_CRON=off', () => {
    const tests = (e: Record<string, string>) => desiredSchedules(loadConfig(e)).filter((d) => d.operation === 'restoreTest');
    expect(tests(env)).toEqual([
      expect.objectContaining({
        scheduleId: 'pgwarden-restoreTest-app',
        workflowType: 'RestoreTestWorkflow',
        args: [{ database: 'app' }],
        cron: '0 5 2 * *',
        note: expect.stringMatching(
          /^Monthly restore test of app .*: the newest backup restored into a temporary database, checked, timed against the RTO$/,
        ),
      }),
      expect.objectContaining({ scheduleId: 'pgwarden-restoreTest-billing' }),
    ]);
    const archived = tests({ ...env, WAL_ARCHIVE: 'app', TASK_QUEUE_APP: 'pgwarden-db1' });
    expect(archived[0]).toMatchObject({
      args: [{ database: 'app', hostQueue: 'pgwarden-db1' }],
      note: expect.stringContaining('and the server recovered to a random point in a temporary instance'),
    });
    expect(tests({ ...env, SCHEDULE_RESTORE_TEST_CRON: 'off' })).toEqual([]);
    expect(() => loadConfig({ ...env, SCHEDULE_RESTORE_TEST_CRON: 'monthly' })).toThrow(/SCHEDULE_RESTORE_TEST_CRON/);
  });

  it('runs the quarterly drill of every database, level 1 only and unattended unless configured, or off', () => {
    const drills = (e: Record<string, string>) =>
      desiredSchedules(loadConfig(e)).filter((d) => d.scheduleId.startsWith('pgwarden-drDrill-'));
    expect(drills(env)).toEqual([
      expect.objectContaining({
        scheduleId: 'pgwarden-drDrill-app',
        workflowType: 'DisasterRecoveryWorkflow',
        args: [{ summary: 'quarterly disaster recovery drill', database: 'app', drill: true, openedBy: 'schedule' }],
        cron: '0 10 15 1,4,7,10 *',
      }),
      expect.objectContaining({ scheduleId: 'pgwarden-drDrill-billing' }),
    ]);
    expect(drills({ ...env, DR_DRILL_ATTENDED: 'true' })[0].args).toEqual([expect.objectContaining({ attended: true })]);
    expect(drills({ ...env, SCHEDULE_DR_DRILL_CRON: 'off' })).toEqual([]);
  });

  it('runs the annual server-lost scenario for the servers in WAL_ARCHIVE only, or off', () => {
    const scenarios = (e: Record<string, string>) =>
      desiredSchedules(loadConfig(e)).filter((d) => d.scheduleId.startsWith('pgwarden-drScenario-'));
    expect(scenarios(env)).toEqual([]);
    expect(scenarios({ ...env, WAL_ARCHIVE: 'app' })).toEqual([
      expect.objectContaining({
        scheduleId: 'pgwarden-drScenario-app',
        workflowType: 'DisasterRecoveryWorkflow',
        args: [expect.objectContaining({ database: 'app', drill: true, scenario: 'server-lost' })],
        cron: '0 10 1 2 *',
        idWord: 'dr-scenario',
      }),
    ]);
    expect(scenarios({ ...env, WAL_ARCHIVE: 'app', SCHEDULE_DR_SCENARIO_CRON: 'off' })).toEqual([]);
  });
});
