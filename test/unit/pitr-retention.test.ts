import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { decideArchiveRetention } from '../../src/operations/pitr/retention';
import { segmentName } from '../../src/operations/pitr/wal-names';

const SEG = 16 * 1024 * 1024;
const DAY = 86_400_000;
const now = new Date('2026-11-29T12:00:00Z');
const base = (id: string, daysAgo: number, startSegno: number) =>
  ({
    backupId: id,
    startedAt: new Date(now.getTime() - daysAgo * DAY).toISOString(),
    start: {
      lsn: `0/${(startSegno * SEG + 0x28).toString(16).toUpperCase()}`,
      timeline: 1,
      walFile: segmentName({ timeline: 1, segno: BigInt(startSegno) }),
    },
    serverInfo: { segmentBytes: SEG },
  }) as unknown as BaseBackupManifest;
const wal = (tl: number, ...n: number[]) => n.map((segno) => segmentName({ timeline: tl, segno: BigInt(segno) }));
const policy = { retentionDays: 30, keepLast: 1 };

describe('decideArchiveRetention', () => {
  it.each([
    [
      'removes base backups past retention and the WAL only they needed',
      [base('base_old', 40, 2), base('base_mid', 20, 5), base('base_new', 1, 8)],
      [...wal(1, 2, 3, 4, 5, 6, 7, 8, 9), '00000001.history', `${wal(1, 4)[0]}.partial`],
      { deleted: ['base_old'], keepWalFrom: wal(1, 5)[0], walToDelete: [...wal(1, 2, 3, 4), `${wal(1, 4)[0]}.partial`].sort() },
    ],
    [
      'keeps the newest base backup however old, and all WAL from its start',
      [base('base_only', 90, 6)],
      wal(1, 5, 6, 7),
      { deleted: [], keepWalFrom: wal(1, 6)[0], walToDelete: wal(1, 5) },
    ],
    [
      'removes old segments of every timeline, never histories',
      [base('base_new', 1, 8)],
      [...wal(1, 6, 7, 8), ...wal(2, 7, 8, 9), '00000002.history'],
      { deleted: [], keepWalFrom: wal(1, 8)[0], walToDelete: [...wal(1, 6, 7), ...wal(2, 7)].sort() },
    ],
    ['removes nothing without a base backup', [], wal(1, 1, 2, 3), { deleted: [], keepWalFrom: null, walToDelete: [] }],
    [
      'keeps the newest verified one past retention, and the WAL from it, when the newer ones are not',
      [base('base_old', 40, 2), base('base_good', 35, 5), base('base_new', 1, 8)],
      wal(1, 2, 3, 4, 5, 6, 7, 8, 9),
      { deleted: ['base_old'], keepWalFrom: wal(1, 5)[0], walToDelete: wal(1, 2, 3, 4) },
      new Set(['base_old', 'base_good']),
    ],
    [
      'keeps every base backup a kept incremental rests on, past retention, and the WAL from the full one',
      [
        base('base_full', 40, 2),
        { ...base('base_inc1', 35, 4), incremental: { parent: 'base_full', chain: ['base_full'] } },
        { ...base('base_inc2', 20, 6), incremental: { parent: 'base_inc1', chain: ['base_full', 'base_inc1'] } },
        base('base_new', 1, 8),
      ],
      wal(1, 1, 2, 3, 4, 5, 6, 7, 8, 9),
      { deleted: [], keepWalFrom: wal(1, 2)[0], walToDelete: wal(1, 1) },
    ],
    [
      'an incremental past retention goes, and then what only it rested on',
      [
        base('base_full', 40, 2),
        { ...base('base_inc1', 35, 4), incremental: { parent: 'base_full', chain: ['base_full'] } },
        base('base_new', 1, 8),
      ],
      wal(1, 2, 3, 4, 5, 6, 7, 8, 9),
      { deleted: ['base_inc1', 'base_full'], keepWalFrom: wal(1, 8)[0], walToDelete: wal(1, 2, 3, 4, 5, 6, 7) },
    ],
    [
      'keeps no older one when the newest is the newest verified',
      [base('base_good', 35, 5), base('base_new', 1, 8)],
      wal(1, 5, 6, 7, 8, 9),
      { deleted: ['base_good'], keepWalFrom: wal(1, 8)[0], walToDelete: wal(1, 5, 6, 7) },
      new Set(['base_good', 'base_new']),
    ],
  ])('%s', (_what, bases, names, expected, verified = new Set<string>()) => {
    const r = decideArchiveRetention(bases, names, policy, now, verified);
    expect({
      deleted: r.baseBackups.filter((d) => d.action === 'delete').map((d) => d.backupId),
      keepWalFrom: r.keepWalFrom,
      walToDelete: r.walToDelete,
    }).toEqual(expected);
  });
});
