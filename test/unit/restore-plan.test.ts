import {
  loadsStreamed,
  keptName,
  needsRetrieval,
  parseRestoreFile,
  recoveryFigures,
  restoreFileRefusal,
  isOwnLeftover,
  earlierAttemptFinished,
  restoreMark,
  restoreMarkRun,
  restoreNotes,
  retrievalEstimate,
  stagingName,
  validDatabaseName,
  workDirRoomProblem,
} from '../../src/operations/restore/restore-plan';
import { ensureSearchAttributes } from '../../src/infra/temporal/ensure-search-attributes';
import { ConfigError } from '../../src/infra/errors/errors';

describe('--file', () => {
  it.each([
    ['backup_20240101_120000', { backupId: 'backup_20240101_120000', explicitPath: false }],
    ['backup_20240101_120000.dump.enc', { backupId: 'backup_20240101_120000', explicitPath: false }],
    ['db/shop/data/backup_20240101_120000.sql.gz.enc', { backupId: 'backup_20240101_120000', explicitPath: true }],
    [
      'backup_20240101_120000.sql.gz.enc',
      { backupId: 'backup_20240101_120000', legacyKey: 'db/backup_20240101_120000.sql.gz.enc', explicitPath: false },
    ],
    [
      'old/backup_20240101_120000.sql.gz.enc',
      { backupId: 'backup_20240101_120000', legacyKey: 'old/backup_20240101_120000.sql.gz.enc', explicitPath: true },
    ],
    ['backup_20241399_120000', undefined],
    ['yesterday', undefined],
  ])('%s', (file, expected) => expect(parseRestoreFile(file, 'db')).toEqual(expected));
});

describe('--file that cannot name a backup of the database', () => {
  const climbs = /^--file .*: a key may not start with "\/" or contain "\.\.", "\." or "\/\/" segments/;
  const elsewhere = /^--file .*: that key is not one of shop's backups \(they are under db\/shop\/data\/\)/;
  it.each([
    ['backup_20240101_120000', undefined],
    ['backup_20240101_120000.dump.enc', undefined],
    ['db/shop/data/backup_20240101_120000.dump.enc', undefined],
    ['old/backup_20240101_120000.sql.gz.enc', undefined],
    ['db/bench/data/backup_20240101_120000.dump.enc', elsewhere],
    ['shop/data/backup_20240101_120000.dump.enc', elsewhere],
    ['db/shop/data/x/backup_20240101_120000.dump.enc', elsewhere],
    ['db/shop/../bench/data/backup_20240101_120000.dump.enc', climbs],
    ['../../sample/data/backup_20240101_120000.dump.enc', climbs],
    ['/db/shop/data/backup_20240101_120000.dump.enc', climbs],
    ['db//shop/data/backup_20240101_120000.dump.enc', climbs],
    ['db/./shop/data/backup_20240101_120000.dump.enc', climbs],
  ])('%s', (file, expected) => {
    const refusal = restoreFileRefusal(file, 'db', 'shop');
    if (expected) expect(refusal).toMatch(expected);
    else expect(refusal).toBeUndefined();
  });
});

describe('restore names and figures', () => {
  it('names the staging and kept databases after the target, run and backup', () => {
    expect(stagingName('Shop', '01A2-B3C4-D5E6-F708')).toBe('shop_restore_01a2b3c4d5e6');
    expect(keptName('shop', 'backup_20240101_120000')).toBe('shop_before_20240101_120000');
  });
  // In place, the target is the database's own name, whatever it holds: the names made from it stay ASCII and within 63 bytes.
  it.each([
    ['Print Shop Ü', 'print_shop___restore_01a2b3c4d5e6', 'print_shop___before_20240101_120000'],
    ['o\'brien"x', 'o_brien_x_restore_01a2b3c4d5e6', 'o_brien_x_before_20240101_120000'],
    ['ü'.repeat(31), `${'_'.repeat(30)}_restore_01a2b3c4d5e6`, `${'_'.repeat(30)}_before_20240101_120000`],
    ['orders-eu_2$', 'orders-eu_2$_restore_01a2b3c4d5e6', 'orders-eu_2$_before_20240101_120000'],
  ])('names the databases of an in-place restore of %j', (target, staging, kept) => {
    expect(stagingName(target, '01A2-B3C4-D5E6-F708')).toBe(staging);
    expect(keptName(target, 'backup_20240101_120000')).toBe(kept);
    expect(Buffer.byteLength(staging)).toBeLessThanOrEqual(63);
    expect(validDatabaseName(kept)).toBe(true);
  });
  const run = { workflowId: 'wf-1', runId: 'run-1' };
  const mark = 'pgwarden restore wf-1 run-1';
  it('marks a database with its run, and reads the run back', () => {
    expect(restoreMark(run)).toBe(mark);
    expect(restoreMarkRun(mark)).toEqual(run);
    expect(restoreMarkRun('the shop')).toBeUndefined();
    expect(restoreMarkRun(null)).toBeUndefined();
  });
  it.each<[string | null, boolean, boolean, string]>([
    [mark, false, true, "its own mark: this run's earlier attempt"],
    [mark, true, true, 'its own mark under the staging name'],
    [null, true, true, 'unmarked under the staging name: the attempt died between CREATE and COMMENT'],
    ['the shop', true, true, "the backup's comment under the staging name: died between finishing and the swap"],
    [null, false, false, "unmarked under a name anybody may use: somebody else's"],
    ['pgwarden restore wf-2 run-2', true, false, "another run's mark, even under the staging name"],
    ['pgwarden restore wf-2 run-2', false, false, "another run's mark"],
    ['the shop', false, false, "somebody's own comment"],
  ])('a database found with comment %p (staging name: %p) is ours to drop: %p (%s)', (comment, staging, ours) =>
    expect(isOwnLeftover(comment, run, staging)).toBe(ours),
  );
  it.each<[{ name: string; comment: string | null } | undefined, boolean, string]>([
    [
      { name: 'shop', comment: 'the shop' },
      true,
      "under the target's name with the backup's comment: swapped in, or a new database finished",
    ],
    [{ name: 'shop', comment: null }, true, 'under the target with no comment: finished (the backup had none)'],
    [{ name: 'shop', comment: mark }, false, 'under the target still marked: a new database half loaded'],
    [{ name: 'shop_restore_abc', comment: 'the shop' }, false, 'still under the staging name: the swap never committed'],
    [{ name: 'shop_restore_abc', comment: mark }, false, 'under the staging name, marked: died while loading'],
    [undefined, false, 'gone: dropped by its own cleanup, or by somebody'],
  ])('the database an earlier attempt made, found as %p, means it finished: %p (%s)', (found, finished) =>
    expect(earlierAttemptFinished(found, 'shop', run)).toBe(finished),
  );
  it.each([
    ['shop_copy', true],
    ['postgres', false],
    ['template1', false],
    ['a b', false],
    ['x'.repeat(64), false],
  ])('%s is a valid target: %s', (n, ok) => expect(validDatabaseName(n)).toBe(ok));
  it('knows which classes need a retrieval and how long it takes', () => {
    expect([undefined, 'STANDARD_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'].map(needsRetrieval)).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
    expect(retrievalEstimate('DEEP_ARCHIVE').hours).toBe('12-48 h');
  });
  it('measures recovery against the RTO and the backup age against the RPO', () => {
    const startedAt = new Date('2024-01-02T06:00:00Z');
    expect(
      recoveryFigures({
        startedAt,
        finishedAt: new Date('2024-01-02T08:30:00Z'),
        backupTakenAt: new Date('2024-01-02T02:00:00Z'),
      }),
    ).toEqual({ recoveryMs: 9_000_000, backupAgeHours: 4, withinRto: true });
    expect(
      recoveryFigures({
        startedAt,
        finishedAt: new Date('2024-01-02T11:00:00Z'),
        backupTakenAt: new Date('2023-12-31T02:00:00Z'),
      }),
    ).toMatchObject({ withinRto: false, backupAgeHours: 52 });
  });
});

describe('search attributes at worker start', () => {
  const connection = (names: string[]) => ({
    operatorService: { listSearchAttributes: async () => ({ customAttributes: Object.fromEntries(names.map((n) => [n, 2])) }) },
  });
  it('passes when all are registered and names the command when some are missing', async () => {
    await expect(
      ensureSearchAttributes(
        connection([
          'PgwardenDatabase',
          'PgwardenOperation',
          'PgwardenIncidentStatus',
          'PgwardenIncidentStep',
          'PgwardenEscalationLevel',
          'PgwardenSeverity',
        ]),
        'default',
      ),
    ).resolves.toBeUndefined();
    const err = await ensureSearchAttributes(connection(['PgwardenDatabase']), 'prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0]).toContain(
      'temporal operator search-attribute create --namespace prod --name PgwardenOperation --type Keyword && ',
    );
    expect((err as ConfigError).problems[0]).toContain('--name PgwardenEscalationLevel --type Int');
  });
});

describe('room for the decrypted dump', () => {
  const GiB = 1024 ** 3;
  it.each([
    [10 * GiB, 4 * GiB, undefined],
    [4.2 * GiB, 4 * GiB, undefined],
    [
      4.1 * GiB,
      4 * GiB,
      'PGWARDEN_WORK_DIR: /tmp/pgwarden-work has 4.1 GiB free, and the decrypted dump of backup_20240101_120000 needs 4.0 GiB; point PGWARDEN_WORK_DIR at a larger disk',
    ],
    [
      0,
      1024,
      'PGWARDEN_WORK_DIR: /tmp/pgwarden-work has 0 B free, and the decrypted dump of backup_20240101_120000 needs 1.0 KiB; point PGWARDEN_WORK_DIR at a larger disk',
    ],
  ])('%d bytes free for %d', (free, needed, expected) =>
    expect(workDirRoomProblem(free, needed, '/tmp/pgwarden-work', 'backup_20240101_120000')).toBe(expected),
  );
});

describe('a restore streams into one pg_restore when one table holds nearly all the rows', () => {
  const rows = (...n: number[]) => n.map((r) => ({ rows: r }));
  it.each([
    ['pgbench: accounts holds 99.9%', rows(10_000_000, 1000, 100, 0), 0, true],
    ['exactly the share', rows(80, 20), 0, true],
    ['just under it', rows(79, 21), 0, false],
    ['a print shop: four tables share the rows', rows(1_200_000, 400_000, 400_000, 40_000), 0, false],
    ['a parallel backup keeps its parts and --jobs', rows(10_000_000, 10), 1, false],
    ['no rows at all', rows(0, 0), 0, false],
    ['no tables', rows(), 0, false],
  ])('%s', (_what, tables, parts, expected) => expect(loadsStreamed(tables, parts)).toBe(expected));
});

describe('what a restore did beyond loading the backup', () => {
  it.each([
    [{}, []],
    [{ rolesCreated: [], warnings: [] }, []],
    [{ rolesCreated: ['app_owner', 'app'] }, ["roles created from the backup's globals: app_owner, app"]],
    [{ warnings: ['tablespace fast does not exist on this server'] }, ['tablespace fast does not exist on this server']],
    [{ rolesCreated: ['app'], warnings: ['a', 'b'] }, ["roles created from the backup's globals: app", 'a', 'b']],
  ])('%j', (restored, notes) => expect(restoreNotes(restored)).toEqual(notes));
});
