/**
 * Every compression, both formats, through the real workflows: backed up, verified (decrypted
 * and decompressed to the byte count pg_dump wrote, test-restored, rows counted) and restored
 * into a new database with the same contents. A backup taken with gzip inside pg_dump, as
 * pgwarden did before zstd, still verifies and restores.
 */
import { tableFingerprints } from '../support/databases';
import { workflowSuite } from '../support/workflow-suite';

const suite = workflowSuite('compression');

describe('compression (dev server, real PostgreSQL, S3, zstd and lz4)', () => {
  it.each([
    ['custom', 'zstd', '3', /\.dump\.zst\.enc$/],
    ['custom', 'lz4', '1', /\.dump\.lz4\.enc$/],
    ['custom', 'none', '0', /\.dump\.enc$/],
    ['custom', 'gzip', '6', /\.dump\.enc$/],
    ['plain', 'zstd', '1', /\.sql\.zst\.enc$/],
    ['plain', 'none', '0', /\.sql\.enc$/],
  ])('%s + %s (level %s): stored as %s, verified and restored identical', async (format, algorithm, level, key) => {
    const db = await suite.freshDatabase('comp', 'awkward.sql');
    const copy = `${db}_copy`;
    suite.track(copy);
    const { taskQueue } = await suite.workerFor(db, {
      BACKUP_FORMAT: format,
      BACKUP_COMPRESSION: algorithm,
      BACKUP_COMPRESSION_LEVEL: level,
    });
    const backup = await suite.backup(db, taskQueue);
    expect(backup.dataKey).toMatch(key);

    const verified = await suite.verify(db, taskQueue, backup.backupId);
    expect(verified.verified.map((v) => [v.status, v.failures])).toEqual([['passed', []]]);

    const restored = await suite.restoreNew(db, taskQueue, backup.backupId, copy);
    expect(restored.restoredInto).toBe(copy);
    expect(await tableFingerprints(copy)).toEqual(await tableFingerprints(db));
  });
});
