import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { segmentName } from '../../src/operations/pitr/wal-names';
import { pitrCheck } from '../../src/operations/pitr/window';

const SEG = 16 * 1024 * 1024;
const base = (id: string, finishedAt: string, start: string, stop: string) =>
  ({
    backupId: id,
    finishedAt,
    start: { lsn: start, timeline: 1 },
    stop: { lsn: stop, timeline: 1 },
    serverInfo: { segmentBytes: SEG },
  }) as unknown as BaseBackupManifest;
const segs = (...n: number[]) => n.map((segno) => segmentName({ timeline: 1, segno: BigInt(segno) }));
const bases = [
  base('base_2', '2026-11-29T02:10:00Z', '0/5000028', '0/5000100'),
  base('base_1', '2026-11-22T02:10:00Z', '0/2000028', '0/2000100'),
];
const histories = new Map();

describe('pitrCheck', () => {
  it.each([
    [
      'a whole window from the oldest base backup',
      segs(2, 3, 4, 5, 6),
      { window: { fromBackup: 'base_1', toLsn: '0/7000000' }, walSegments: 5, firstMissing: null, problems: [] },
    ],
    [
      'a gap after the newest base backup, named, with how far recovery reaches',
      segs(2, 3, 4, 5, 7),
      {
        window: { fromBackup: 'base_1', toLsn: '0/6000000' },
        firstMissing: '000000010000000000000006',
        problems: [
          expect.stringMatching(
            /^the WAL archive of shop has a gap \(000000010000000000000006\): WAL segment 000000010000000000000006 is missing/,
          ),
        ],
        notes: [],
      },
    ],
    [
      'a gap before the newest base backup: the window starts there, and the gap is a note',
      segs(2, 3, 5, 6),
      {
        window: { fromBackup: 'base_2', toLsn: '0/7000000' },
        walSegments: 2,
        firstMissing: null,
        problems: [],
        notes: [
          'the WAL archive of shop has a gap before base backup base_2 (000000010000000000000004): older base backups recover only up to 0/4000000, and no point in the gap can be restored',
        ],
      },
    ],
    [
      'nothing archived after the newest base backup',
      segs(2, 3, 4),
      {
        problems: [
          'no WAL of shop was archived after its newest base backup base_2: is archiving running? (pgwarden wal status; pgwarden wal start)',
        ],
      },
    ],
  ])('%s', (_what, segments, expected) => {
    expect(pitrCheck('shop', bases, { segments, histories })).toMatchObject(expected);
  });

  it('says there is nothing to restore from without a base backup', () => {
    expect(pitrCheck('shop', [], { segments: segs(2), histories })).toEqual({
      server: 'shop',
      baseBackups: 0,
      window: null,
      walSegments: 1,
      firstMissing: null,
      problems: [
        'no base backup of shop exists, so no point in time can be restored; run pgwarden basebackup (pgwarden schedules apply adds a weekly one)',
      ],
      notes: [],
    });
  });
});
