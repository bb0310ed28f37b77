/**
 * A pg_dump 16 built without zstd and lz4 (the pgserver wheel's 16.2, against the stack's
 * PostgreSQL 15). pg_dump 16+ normally compresses the custom format itself; this build refuses
 * `--compress=zstd:1` ("this build does not support compression with ZSTD"), and every backup
 * failed at its start after preflight said OK. Now the build is asked first, and the stream is
 * compressed after pg_dump, as with pg_dump 15.
 */
import { join } from 'node:path';
import type { PreflightReport } from '../../activities';
import { ensurePostgres16WithoutZstd } from '../../devstack/tools';
import { compressionMajor } from '../../src/infra/postgres/dump-compression';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { tableFingerprints } from '../support/databases';
import { stackEnv } from '../support/stack-env';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const suite = workflowSuite('without-zstd');

describe('a pg_dump built without zstd (real pgserver 16.2 build)', () => {
  let bin: string;
  beforeAll(() => {
    bin = ensurePostgres16WithoutZstd();
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
