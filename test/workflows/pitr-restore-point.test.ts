/**
 * Restore points: `pitr mark` makes one on the server and records where it is, and a restore
 * to it by name starts from the base backup before it, even when a newer base backup exists
 * (before, the newest was always used, and recovery from it ended "before configured recovery
 * target was reached"). A point made in SQL and not recorded is still tried from the newest,
 * and its failure says why and what to do; from the older base backup (--base) it is found.
 */
import { Client } from 'pg';
import { WorkflowFailedError } from '@temporalio/client';
import type { PitrRestoreResult } from '../../activities/pitr';
import type { MarkedRestorePoint } from '../../activities/restore-points';
import type { RecoveryOptions } from '../../workflows/list-backups';
import type { PitrArchiveListing } from '../../activities/pitr-archive';
import { storedBaseVerification } from '../../src/operations/pitr/base-verification';
import { formatPitr } from '../../src/app/cli/commands/pitr';
import { formatTableRecovery } from '../../src/app/cli/commands/recover-table';
import { planRecoveryNames } from '../../src/operations/table-recovery/names';
import type { RecoverTableResult } from '../../workflows/recover-table';
import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { describeFailure } from '../../src/app/cli/failure';
import { Bucket } from '../../src/infra/storage/bucket';
import { baseVerificationKey, restorePointKey } from '../../src/infra/storage/layout';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { parseLsn } from '../../src/operations/pitr/wal-names';
import { pitrFixture } from '../support/pitr-fixture';

const fixture = pitrFixture();

it('restores to a recorded restore point made before the newest base backup, from the base backup before it', async () => {
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('rpoint', ['CREATE TABLE marks (id int PRIMARY KEY)']);
  const workers = await fixture.hostWorkers('rpoint', settings);
  const { config, hostQueue } = workers;
  const storage = config.storage!;
  const bucket = new Bucket(storage, createS3Client(storage));
  const insert = (from: number, to: number) =>
    cluster.query(`INSERT INTO marks SELECT g FROM generate_series(${from}, ${to}) g`, [], db);
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  /** The marks in a recovered instance. */
  const marksOn = async (port: number) => {
    const c = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${port}/`) });
    await c.connect();
    try {
      return (await c.query<{ id: number }>('SELECT id FROM marks ORDER BY id')).rows.map((r) => r.id);
    } finally {
      await c.end();
    }
  };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected the run to fail');
      },
      (e: unknown) => {
        expect(e).toBeInstanceOf(WorkflowFailedError);
        return describeFailure(e);
      },
    );

  await workers.runUntil(async () => {
    await workers.archiveAndBaseBackup(db);
    await insert(1, 10);
    const point = await workers.run<MarkedRestorePoint>(WorkflowType.restorePoint, { server: db, name: 'before-cleanup' });
    expect(point).toMatchObject({ server: db, name: 'before-cleanup', timeline: 1 });
    // Returned once the archive holds it; recorded where restores look.
    expect(parseLsn(point.archivedUpTo) >= parseLsn(point.lsn)).toBe(true);
    const recorded = JSON.parse((await bucket.getText(restorePointKey(storage.prefix, db, 'before-cleanup')))!);
    expect(recorded).toMatchObject({ kind: 'pgwarden.restore-point', lsn: point.lsn, createdAt: point.createdAt });

    // A name is recorded once (PostgreSQL would stop at the first of two).
    const again = await failure(workers.run(WorkflowType.restorePoint, { server: db, name: 'before-cleanup' }));
    expect(again.exitCode).toBe(64);
    expect(again.lines.join(' ')).toBe(
      `restore point "before-cleanup" of ${db} already exists (made ${point.createdAt} at LSN ${point.lsn}); choose another name`,
    );

    await insert(11, 15);
    // One made in SQL, not recorded.
    await cluster.query(`SELECT pg_create_restore_point('sql-point')`, [], db);
    await insert(16, 20);
    await cluster.query('DELETE FROM marks', [], db);
    const newest = await workers.run<BaseBackupManifest>(WorkflowType.baseBackup, { server: db, reason: 'test', hostQueue });

    const restored = await workers.run<PitrRestoreResult>(WorkflowType.pitrRestore, {
      server: db,
      target: { kind: 'name', name: 'before-cleanup' },
      hostQueue,
    });
    fixture.restored(restored.dataDir);
    expect(restored.baseBackupId).not.toBe(newest.backupId);
    expect(parseLsn(restored.recoveredTo.lsn) >= parseLsn(point.lsn)).toBe(true);
    expect(await marksOn(restored.port)).toEqual(upTo(10));

    // Listed (pitr points, the console) with the base backup a restore to it starts from.
    const options = await workers.run<RecoveryOptions>(WorkflowType.recoveryOptions, { database: db });
    // And the base backups for the console's page, newest first.
    expect(options.baseBackups?.map((b) => b.backupId)).toEqual([newest.backupId, restored.baseBackupId]);
    expect(options.restorePoints).toEqual([
      { name: 'before-cleanup', lsn: point.lsn, createdAt: point.createdAt, fromBaseBackup: restored.baseBackupId },
    ]);

    // pitr list: both base backups, newest first, each recovering up to the newest WAL; the window from the older.
    const listing = await workers.run<PitrArchiveListing>(WorkflowType.pitrList, { server: db });
    expect(listing.baseBackups.map((b) => [b.backupId, b.firstMissing])).toEqual([
      [newest.backupId, null],
      [restored.baseBackupId, null],
    ]);
    expect(listing.baseBackups[0]).toMatchObject({ startLsn: newest.start.lsn, storedBytes: newest.data.storedBytes });
    expect(listing.window).toMatchObject({ fromBackup: restored.baseBackupId, to: expect.any(String) });
    expect(parseLsn(listing.archivedUpTo!) >= parseLsn(newest.stop.lsn)).toBe(true);
    expect(listing).toMatchObject({ problems: [], notes: [] });
    // pitr points reads them from the same listing.
    expect(listing.restorePoints).toEqual(options.restorePoints);

    // Not recorded: tried from the newest base backup, which starts after it; the line says why.
    const unrecorded = await failure(
      workers.run(WorkflowType.pitrRestore, { server: db, target: { kind: 'name', name: 'sql-point' }, hostQueue }),
    );
    expect(unrecorded.lines.join(' ')).toContain(
      `recovery ended before configured recovery target was reached; restore point "sql-point" was not found in the WAL after base backup ${newest.backupId} (from LSN ${newest.start.lsn}): pgwarden did not record it (pgwarden pitr mark does), so if it was made before that backup, restore from an older one (--base BASE_ID`,
    );

    // As the line says: from the older base backup (--base), the point made in SQL is found.
    const fromOlder = await workers.run<PitrRestoreResult>(WorkflowType.pitrRestore, {
      server: db,
      target: { kind: 'name', name: 'sql-point' },
      baseBackupId: restored.baseBackupId,
      hostQueue,
    });
    fixture.restored(fromOlder.dataDir);
    expect(fromOlder.baseBackupId).toBe(restored.baseBackupId);
    expect(await marksOn(fromOlder.port)).toEqual(upTo(15));
    // The newest failed its verification: a restore starts from the older one and says so.
    await bucket.putJson(
      baseVerificationKey(storage.prefix, db, newest.backupId),
      storedBaseVerification(
        {
          server: db,
          backupId: newest.backupId,
          status: 'failed',
          failures: ['pg_verifybackup: checksum mismatch for file "base/1/1259"'],
          verifyBackup: { ok: false, detail: 'checksum mismatch for file "base/1/1259"' },
          recovery: { ok: false, detail: 'not run', seconds: null, lsn: null },
          rowCounts: { compared: false, tables: 0, differences: [] },
          durationMs: 1,
        },
        new Date(),
        'test',
      ),
    );
    const pastFailed = await workers.run<PitrRestoreResult>(WorkflowType.pitrRestore, {
      server: db,
      target: { kind: 'latest' },
      stopAfter: true,
      hostQueue,
    });
    fixture.restored(pastFailed.dataDir);
    expect(pastFailed.baseBackupId).toBe(restored.baseBackupId);
    expect(pastFailed.notes).toEqual([
      expect.stringMatching(
        new RegExp(
          `^recovery starts from ${restored.baseBackupId}: the newer base backup before the target failed its verification \\(${newest.backupId} \\(\\d{4}-\\d{2}-\\d{2}\\)\\)`,
        ),
      ),
    ]);
    expect(formatPitr(pastFailed)).toContain(`\nnote: recovery starts from ${restored.baseBackupId}`);
    // And its evidence report says so too.
    const report = await bucket.getText(pastFailed.evidence!.markdown.replace(`s3://${storage.bucket}/`, ''));
    expect(report).toContain(`## Notes\n\n- recovery starts from ${restored.baseBackupId}: the newer base backup`);
    // A table recovery chooses the same way, and its evidence report says why.
    const tables = planRecoveryNames(['public.marks'], undefined, false);
    if ('problem' in tables) throw new Error(tables.problem);
    const table = await workers.run<RecoverTableResult>(WorkflowType.recoverTable, {
      server: db,
      into: db,
      hostQueue,
      tables,
      target: { kind: 'latest' },
    });
    const tableReport = await bucket.getText(table.evidence!.markdown.replace(`s3://${storage.bucket}/`, ''));
    expect(tableReport).toContain(
      `base backup ${restored.baseBackupId} and the WAL archive (recovery starts from ${restored.baseBackupId}: the newer`,
    );
    // The CLI says it as well, and where the report is.
    expect(table.notes).toEqual(pastFailed.notes);
    expect(formatTableRecovery(table)).toContain(`\nnote: recovery starts from ${restored.baseBackupId}: the newer`);
    expect(formatTableRecovery(table).split('\n').at(-1)).toBe(`report: ${table.evidence!.markdown} (and .json)`);
    const listing2 = await workers.run<PitrArchiveListing>(WorkflowType.pitrList, { server: db });
    expect(listing2.baseBackups[0].verification).toMatchObject({ status: 'failed' });
    expect(listing2.problems).toEqual([
      expect.stringMatching(new RegExp(`^base backup ${newest.backupId} FAILED its verification on `)),
    ]);

    // A base backup that is not there: exit 66 before anything is unpacked.
    const missing = await failure(
      workers.run(WorkflowType.pitrRestore, {
        server: db,
        target: { kind: 'latest' },
        baseBackupId: 'base_20200101_000000',
        hostQueue,
      }),
    );
    expect([missing.exitCode, missing.lines.join(' ')]).toEqual([
      66,
      `${db}: base backup base_20200101_000000 does not exist (pgwarden pitr list shows the base backups)`,
    ]);
  });
}, 300_000);

it('refuses a restore point for a user who may not make one, naming the grant (exit 64), and records nothing', async () => {
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('rpuser', []);
  const role = `${db}_app`;
  await cluster.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-secret'`);
  const url = new URL(settings.DATABASE_URL);
  url.username = role;
  url.password = 'app-secret';
  const workers = await fixture.hostWorkers('rpuser', { ...settings, DATABASE_URL: url.toString() });
  const storage = workers.config.storage!;
  const bucket = new Bucket(storage, createS3Client(storage));
  await workers.runUntil(async () => {
    const refused = await workers.run(WorkflowType.restorePoint, { server: db, name: 'before' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    const said = describeFailure(refused);
    expect([said.exitCode, said.lines.join(' ')]).toEqual([
      64,
      `${db}: ${role} may not make restore points: GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) TO ${role} (as a superuser)`,
    ]);
  });
  expect(await bucket.getText(restorePointKey(storage.prefix, db, 'before'))).toBeUndefined();
  await cluster.query(`DROP ROLE ${role}`);
}, 120_000);
