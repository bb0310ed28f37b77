import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { segmentName } from '../../src/operations/pitr/wal-names';
import {
  failedVerificationProblems,
  listedBaseBackups,
  notArchived,
  pitrCheck,
  recoverableWindow,
} from '../../src/operations/pitr/window';
import { formatBaseBackup, formatPitrListing } from '../../src/app/cli/commands/pitr';

const SEG = 16 * 1024 * 1024;
const base = (id: string, finishedAt: string, start: string, stop: string) =>
  ({
    backupId: id,
    startedAt: finishedAt.replace(':10:', ':00:'),
    finishedAt,
    start: { lsn: start, timeline: 1 },
    stop: { lsn: stop, timeline: 1 },
    serverInfo: { segmentBytes: SEG, version: '15.18' },
    compression: { algorithm: 'zstd', level: 1, data: 'zstd' },
    data: { storedBytes: 3 * 1024 * 1024 },
    reason: 'scheduled',
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
    // An iterator, as the activities pass the archive's keys(): read once, counted right.
    expect(pitrCheck('shop', bases, { segments: segments.values(), histories })).toMatchObject(expected);
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

describe('pitrCheck with incremental base backups', () => {
  const incremental = (id: string, finishedAt: string, start: string, stop: string, chain: string[]) =>
    ({ ...base(id, finishedAt, start, stop), incremental: { parent: chain.at(-1), chain } }) as BaseBackupManifest;

  it.each([
    [
      'a whole chain: the window starts at its full one',
      [incremental('base_3', '2026-11-30T02:10:00Z', '0/6000028', '0/6000100', ['base_1']), ...bases],
      { baseBackups: 3, window: { fromBackup: 'base_1', toLsn: '0/7000000' }, problems: [] },
    ],
    [
      'an incremental whose full one is gone: named, and the window is of the others',
      [incremental('base_3', '2026-11-30T02:10:00Z', '0/6000028', '0/6000100', ['base_0', 'base_1']), ...bases],
      {
        baseBackups: 2,
        window: { fromBackup: 'base_1', toLsn: '0/7000000' },
        problems: [
          'incremental base backup base_3 of shop rests on base_0, which is no longer stored: nothing can be restored from it, and restores pass over it; take a new base backup (pgwarden basebackup), and cleanup removes this one in its turn',
        ],
      },
    ],
    [
      'only broken incrementals: nothing to restore from',
      [incremental('base_3', '2026-11-30T02:10:00Z', '0/6000028', '0/6000100', ['base_0'])],
      {
        baseBackups: 0,
        window: null,
        problems: [
          expect.stringMatching(/^incremental base backup base_3 of shop rests on base_0, which is no longer stored/),
          'no restorable base backup of shop exists, so no point in time can be restored; run pgwarden basebackup (pgwarden schedules apply adds a weekly one)',
        ],
      },
    ],
  ])('%s', (_what, withIncrementals, expected) => {
    expect(pitrCheck('shop', withIncrementals, { segments: segs(2, 3, 4, 5, 6), histories })).toMatchObject(expected);
  });
});

describe('listedBaseBackups', () => {
  it.each([
    [
      'both reach the newest WAL',
      segs(2, 3, 4, 5, 6),
      [
        ['base_2', '0/7000000', null],
        ['base_1', '0/7000000', null],
      ],
    ],
    [
      'a gap before the newest stops the older one there',
      segs(2, 3, 5, 6),
      [
        ['base_2', '0/7000000', null],
        ['base_1', '0/4000000', '000000010000000000000004'],
      ],
    ],
    [
      'a gap after the newest stops both',
      segs(2, 3, 4, 5, 7),
      [
        ['base_2', '0/6000000', '000000010000000000000006'],
        ['base_1', '0/6000000', '000000010000000000000006'],
      ],
    ],
    [
      'no WAL after a base backup reaches its start',
      [],
      [
        ['base_2', '0/5000028', null],
        ['base_1', '0/2000028', null],
      ],
    ],
  ])('%s', (_what, segments, expected) => {
    const listed = listedBaseBackups([...bases].reverse(), { segments: segments.values(), histories });
    expect(listed.map((b) => [b.backupId, b.reachesLsn, b.firstMissing])).toEqual(expected);
  });

  it('says what each one is, newest first', () => {
    expect(listedBaseBackups(bases, { segments: segs(2, 3, 4, 5, 6), histories })[0]).toEqual({
      backupId: 'base_2',
      startedAt: '2026-11-29T02:00:00Z',
      finishedAt: '2026-11-29T02:10:00Z',
      timeline: 1,
      startLsn: '0/5000028',
      stopLsn: '0/5000100',
      storedBytes: 3 * 1024 * 1024,
      compression: 'zstd',
      serverVersion: '15.18',
      reason: 'scheduled',
      reachesLsn: '0/7000000',
      firstMissing: null,
      verification: null,
    });
    expect(listedBaseBackups([], { segments: segs(2), histories })).toEqual([]);
  });
});

describe('formatPitrListing', () => {
  const listing = (segments: string[], verifications = new Map()) => {
    const status = pitrCheck('shop', bases, { segments, histories });
    return {
      server: 'shop',
      baseBackups: listedBaseBackups(bases, { segments, histories }, verifications),
      window: status.window && { ...status.window, to: '2026-11-29T09:41:59.120Z' },
      archivedUpTo: '0/7001F20',
      walSegments: segments.length,
      problems: status.problems,
      notes: status.notes ?? [],
    };
  };

  it('shows the base backups, the window and how to restore into it', () => {
    expect(formatPitrListing(listing(segs(2, 3, 4, 5, 6)))).toBe(
      [
        'BASE BACKUP  FINISHED (UTC)        SIZE     TIMELINE  WAL FROM   VERIFIED  RECOVERS UP TO',
        'base_2       2026-11-29 02:10:00Z  3.0 MiB  1         0/5000028  no        the newest WAL archived',
        'base_1       2026-11-22 02:10:00Z  3.0 MiB  1         0/2000028  no        the newest WAL archived',
        'point in time: from 2026-11-22 02:10:00Z (base_1) to 2026-11-29 09:41:59Z; WAL archived up to 0/7001F20 (5 complete segments)',
        'restore with pgwarden restore --pitr --to TIME, --to-lsn LSN or --to-name POINT (pgwarden pitr points)',
        '2 base backups were never verified: pgwarden verify --all-unverified (or --base BASE_ID)',
      ].join('\n'),
    );
    const oneVerified = new Map([['base_2', { status: 'passed', verifiedAt: '2026-11-29T03:20:00.000Z', failures: [] }]]);
    expect(
      formatPitrListing(listing(segs(2, 3, 4, 5, 6), oneVerified))
        .split('\n')
        .at(-1),
    ).toBe('1 base backup was never verified: pgwarden verify --all-unverified (or --base BASE_ID)');
  });

  it('sizes a base backup with other tablespaces by all its objects, and says how many tablespaces it holds', () => {
    const object = (storedBytes: number) => ({ key: 'k', rawBytes: 0, storedBytes, sha256: '', md5: '' });
    const withSpaces = {
      ...bases[0],
      tablespaces: [{ oid: 16384, name: 'archive', location: '/srv/archive', data: object(2 * 1024 * 1024) }],
      backupManifest: object(1024 * 1024),
    };
    const listed = listedBaseBackups([withSpaces, bases[1]], { segments: segs(2, 3, 4, 5, 6), histories });
    expect(listed.map((b) => [b.storedBytes, b.tablespaces])).toEqual([
      [6 * 1024 * 1024, 1],
      [3 * 1024 * 1024, undefined],
    ]);
    expect(formatPitrListing({ ...listing(segs(2, 3, 4, 5, 6)), baseBackups: listed })).toContain(
      'base_2       2026-11-29 02:10:00Z  6.0 MiB (2 tablespaces)  1         0/5000028',
    );
  });

  it('says which base backup an incremental one is on', () => {
    const incremental = { ...bases[0], incremental: { parent: 'base_1', chain: ['base_1'] } };
    const listed = listedBaseBackups([incremental, bases[1]], { segments: segs(2, 3, 4, 5, 6), histories });
    expect(listed.map((b) => b.incrementalOn)).toEqual(['base_1', undefined]);
    expect(formatPitrListing({ ...listing(segs(2, 3, 4, 5, 6)), baseBackups: listed })).toContain(
      'base_2       2026-11-29 02:10:00Z  3.0 MiB (incremental on base_1)  1         0/5000028',
    );
  });

  it.each([
    [{}, 'base_2: 3.0 MiB stored, WAL from 0/5000028 (000000010000000000000005) to 0/5000100, in 4.2 s\n'],
    [
      { incremental: { parent: 'base_1b', chain: ['base_1', 'base_1b'] } },
      'base_2: incremental on base_1b (chain of 3 from the full base_1), 3.0 MiB stored, WAL from 0/5000028 (000000010000000000000005) to 0/5000100, in 4.2 s\n',
    ],
    [
      { fullBecause: 'there is no base backup yet to build on' },
      'base_2: full (there is no base backup yet to build on), 3.0 MiB stored, WAL from 0/5000028 (000000010000000000000005) to 0/5000100, in 4.2 s\n',
    ],
  ])('pgwarden basebackup says what it took: %j', (change, line) => {
    const start = { ...bases[0].start, walFile: '000000010000000000000005' };
    const m = { ...bases[0], start, durationMs: 4200, ...change } as BaseBackupManifest;
    expect(formatBaseBackup(m)).toBe(line);
  });

  it('names a gap where an older base backup stops, and the note the daily check makes of it', () => {
    const text = formatPitrListing(listing(segs(2, 3, 5, 6)));
    expect(text).toContain(
      'base_1       2026-11-22 02:10:00Z  3.0 MiB  1         0/2000028  no        0/4000000 (000000010000000000000004 is missing)',
    );
    expect(text).toContain('point in time: from 2026-11-29 02:10:00Z (base_2)');
    expect(text).toContain('\nnote: the WAL archive of shop has a gap before base backup base_2');
  });

  it("shows each one's latest verification, and a failed one as a problem with what to do", () => {
    const verified = new Map([
      ['base_2', { status: 'failed', verifiedAt: '2026-11-29T03:20:00.000Z', failures: ['pg_verifybackup: checksum mismatch'] }],
      ['base_1', { status: 'passed', verifiedAt: '2026-11-22T03:20:00.000Z', failures: [] }],
    ]);
    const l = listing(segs(2, 3, 4, 5, 6), verified);
    const text = formatPitrListing({ ...l, problems: [...l.problems, ...failedVerificationProblems(l.baseBackups)] });
    expect(text).toContain(
      'base_2       2026-11-29 02:10:00Z  3.0 MiB  1         0/5000028  FAILED 2026-11-29  the newest WAL archived',
    );
    expect(text).toContain(
      'base_1       2026-11-22 02:10:00Z  3.0 MiB  1         0/2000028  passed 2026-11-22  the newest WAL archived',
    );
    expect(text.split('\n').at(-1)).toBe(
      'problem: base backup base_2 FAILED its verification on 2026-11-29 (pg_verifybackup: checksum mismatch): point-in-time restores start from an older one while it stays failed; take a new one (pgwarden basebackup), or verify it again once mended (pgwarden verify --base base_2)',
    );
  });

  it('counts the restore points recorded, naming the newest', () => {
    const text = formatPitrListing({
      ...listing(segs(2, 3, 4, 5, 6)),
      restorePoints: [
        { name: 'before-migration-42', lsn: '0/6000100', createdAt: '2026-11-29T09:15:00.120Z', fromBaseBackup: 'base_2' },
        { name: 'old', lsn: '0/3000100', createdAt: '2026-11-23T09:15:00.000Z', fromBaseBackup: 'base_1' },
      ],
    });
    expect(text.split('\n').at(-2)).toBe(
      'restore points: 2 recorded, the newest "before-migration-42" made 2026-11-29 09:15:00Z (pgwarden pitr points)',
    );
  });

  it.each([
    [
      { upTo: '000000010000000000000005', checkedAt: '2026-11-29T03:02:00.000Z', pending: 0, failed: [] },
      'WAL read back by verify up to 000000010000000000000005 (2026-11-29 03:02:00Z)',
    ],
    [
      { upTo: '000000010000000000000004', checkedAt: '2026-11-29T03:02:00.000Z', pending: 2, failed: [] },
      'WAL read back by verify up to 000000010000000000000004 (2026-11-29 03:02:00Z); 2 segment(s) archived since, read by the next pgwarden verify',
    ],
    [
      { upTo: null, checkedAt: null, pending: 5, failed: [] },
      'WAL not read back yet: pgwarden verify reads the 5 archived segment(s) back',
    ],
    [
      {
        upTo: '000000010000000000000005',
        checkedAt: '2026-11-29T03:02:00.000Z',
        pending: 0,
        failed: [],
        lastFullPassAt: '2026-11-01T03:00:00.000Z',
      },
      'WAL read back by verify up to 000000010000000000000005 (2026-11-29 03:02:00Z); every segment read since 2026-11-01 03:00:00Z',
    ],
    [
      {
        upTo: '000000010000000000000005',
        checkedAt: '2026-11-29T03:02:00.000Z',
        pending: 0,
        failed: [],
        reread: { startedAt: '2026-11-29T03:00:00.000Z', left: 3 },
      },
      'WAL read again: the pass begun 2026-11-29 03:00:00Z has 3 segment(s) left, read by the next pgwarden verify',
    ],
  ])('says how far verify has read the WAL back: %j', (walReadBack, line) => {
    const text = formatPitrListing({ ...listing(segs(2, 3, 4, 5, 6)), walReadBack });
    expect(text.split('\n')).toContain(line);
  });

  it('without a base backup or WAL, says what to run', () => {
    expect(
      formatPitrListing({
        server: 'shop',
        baseBackups: [],
        window: null,
        archivedUpTo: null,
        walSegments: 0,
        problems: ['no base backup of shop exists, so no point in time can be restored; run pgwarden basebackup'],
        notes: [],
      }),
    ).toBe(
      'no WAL archived yet (pgwarden wal start)\nproblem: no base backup of shop exists, so no point in time can be restored; run pgwarden basebackup',
    );
  });
});

describe('recoverableWindow', () => {
  const window = { from: '2026-11-22T02:10:00.000Z', fromBackup: 'base_1', toLsn: '0/7000000' };
  it.each<[string, Parameters<typeof recoverableWindow>[1], number | null, ReturnType<typeof recoverableWindow>]>([
    [
      'from the base backup to the newest WAL stored',
      window,
      Date.parse('2026-11-29T09:41:59.120Z'),
      { from: window.from, to: '2026-11-29T09:41:59.120Z' },
    ],
    [
      'no base backup',
      null,
      Date.parse('2026-11-29T09:41:59.120Z'),
      { unavailable: 'no base backup of shop exists yet (pgwarden basebackup)' },
    ],
    ['no WAL', window, null, { unavailable: 'no WAL of shop is archived yet' }],
    [
      'neither: the base backup is said first',
      null,
      null,
      { unavailable: 'no base backup of shop exists yet (pgwarden basebackup)' },
    ],
  ])('%s', (_what, w, newestStoredAt, expected) => {
    expect(recoverableWindow('shop', w, newestStoredAt)).toEqual(expected);
  });
  it('a database not archived', () => expect(notArchived('shop')).toEqual({ unavailable: 'shop is not in WAL_ARCHIVE' }));
});
