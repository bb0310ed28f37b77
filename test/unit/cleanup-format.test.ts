import { formatCleanup } from '../../src/app/cli/commands/cleanup';
import type { CleanupResult } from '../../workflows/cleanup';

describe('cleanup lists every leftover', () => {
  const base: CleanupResult = {
    database: 'shop',
    dryRun: false,
    kept: [],
    locked: [],
    deleted: [],
    orphansRemoved: 1,
    uploadsAborted: 0,
    lifecycle: 'unchanged',
    warnings: [],
    workflowId: 'cleanup-shop',
    plan: [],
    leftovers: [],
  };
  it('says what it removed and what waits for the grace period', () => {
    const text = formatCleanup({
      ...base,
      leftovers: [
        {
          kind: 'object',
          key: 'db/shop/data/backup_20261129_020000.globals.sql.gz.enc',
          bytes: 384,
          since: '2026-11-29T02:00:03.000Z',
          action: 'remove',
        },
        {
          kind: 'upload',
          key: 'db/shop/data/backup_20261129_120000.dump.enc',
          since: '2026-11-29T12:00:01.000Z',
          action: 'wait',
        },
      ],
    });
    expect(text.split('\n')).toEqual([
      'removed      db/shop/data/backup_20261129_020000.globals.sql.gz.enc  (object without a manifest, 384 B, written 2026-11-29T02:00:03.000Z)',
      'later        db/shop/data/backup_20261129_120000.dump.enc  (unfinished upload started 2026-11-29T12:00:01.000Z; younger than CLEANUP_GRACE_HOURS, it may belong to a running backup)',
      '0 backup(s) deleted, 0 kept, 0 locked; 1 leftover object(s) removed, 0 unfinished upload(s) aborted; lifecycle: unchanged',
    ]);
  });
});
