import { readyFiles, slotNameFor, streamStart } from '../../src/operations/pitr/spool';
import { SEGMENT_HEADER_BYTES, segmentSystemIdentifier } from '../../src/operations/pitr/system-identifier';

const SEG = 16 * 1024 * 1024;

describe('readyFiles', () => {
  it.each([
    [
      'complete segments oldest first, the partial apart',
      [
        { name: '000000010000000000000004', size: SEG },
        { name: '000000010000000000000003', size: SEG },
        { name: '000000010000000000000005.partial', size: SEG },
      ],
      { ready: ['000000010000000000000003', '000000010000000000000004'], partial: '000000010000000000000005.partial' },
    ],
    [
      "a timeline's history before its segments; the old timeline's last segment before the new one's",
      [
        { name: '000000020000000000000006', size: SEG },
        { name: '000000010000000000000006', size: SEG },
        { name: '00000002.history', size: 42 },
        { name: '000000010000000000000005', size: SEG },
      ],
      {
        ready: ['00000002.history', '000000010000000000000005', '000000010000000000000006', '000000020000000000000006'],
      },
    ],
    [
      'a short segment waits; other files are not WAL',
      [
        { name: '000000010000000000000003', size: SEG - 1 },
        { name: 'notes.txt', size: 10 },
        { name: '000000010000000000000003.partial.tmp', size: SEG },
      ],
      { ready: [] },
    ],
    ['nothing yet', [], { ready: [] }],
  ])('%s', (_what, files, expected) => {
    expect(readyFiles(files, SEG)).toEqual(expected);
  });
});

describe('streamStart', () => {
  it.each([
    [
      'an empty archive starts where the slot holds WAL from, on the server timeline',
      { slotRestartLsn: 0x5000028n, serverTimeline: 2 },
      { start: { timeline: 2, segno: 5n } },
    ],
    [
      'after the newest archived segment',
      { newestArchived: { timeline: 1, segno: 7n }, slotRestartLsn: 0x8000000n, serverTimeline: 1 },
      { start: { timeline: 1, segno: 8n } },
    ],
    [
      'the slot behind the archive (a retry after the upload, before the slot moved) is fine',
      { newestArchived: { timeline: 1, segno: 7n }, slotRestartLsn: 0x6000000n, serverTimeline: 1 },
      { start: { timeline: 1, segno: 8n } },
    ],
    [
      'the old timeline continues where the archive ends: pg_receivewal follows the switch',
      { newestArchived: { timeline: 1, segno: 7n }, slotRestartLsn: 0x8000000n, serverTimeline: 2 },
      { start: { timeline: 1, segno: 8n } },
    ],
    [
      'a slot just created (a promoted standby) ahead of the archive: streaming starts after the archive, the server says if it is gone',
      { newestArchived: { timeline: 1, segno: 7n }, slotRestartLsn: 0xa000100n, slotCreated: true, serverTimeline: 2 },
      { start: { timeline: 1, segno: 8n } },
    ],
    [
      'a failover that lost WAL: the archive holds the old timeline past the fork, so archiving goes on from the fork on the new one',
      {
        newestArchived: { timeline: 1, segno: 9n },
        slotRestartLsn: 0x7000000n,
        slotCreated: true,
        serverTimeline: 2,
        serverHistory: [{ parent: 1, switchpoint: 0x7000100n }],
      },
      { start: { timeline: 2, segno: 7n } },
    ],
    [
      'the archive ends before the fork: the old timeline first, up to the fork',
      {
        newestArchived: { timeline: 1, segno: 5n },
        slotRestartLsn: 0x7000000n,
        slotCreated: true,
        serverTimeline: 2,
        serverHistory: [{ parent: 1, switchpoint: 0x7000100n }],
      },
      { start: { timeline: 1, segno: 6n } },
    ],
    [
      'the archive ends in the fork segment: the old timeline up to the fork, then the new one',
      {
        newestArchived: { timeline: 1, segno: 6n },
        slotRestartLsn: 0x7000000n,
        slotCreated: true,
        serverTimeline: 3,
        serverHistory: [
          { parent: 1, switchpoint: 0x7000100n },
          { parent: 2, switchpoint: 0x9000000n },
        ],
      },
      { start: { timeline: 1, segno: 7n } },
    ],
  ])('%s', (_what, input, expected) => {
    expect(streamStart({ segmentBytes: SEG, ...input })).toEqual(expected);
  });

  it('says a gap when the slot is ahead of the archive', () => {
    expect(
      streamStart({
        newestArchived: { timeline: 1, segno: 7n },
        slotRestartLsn: 0xa000100n,
        serverTimeline: 1,
        segmentBytes: SEG,
      }),
    ).toEqual({
      gap: 'the archive ends before 000000010000000000000008 but the replication slot only holds WAL from 0/A000100: WAL from 0/8000000 to there is lost (was the slot dropped or advanced by hand?); go on archiving past the gap (pgwarden wal start --accept-gap), then take a new base backup (pgwarden basebackup) to start a new recoverable window',
    });
  });

  it.each([
    [
      'an accepted gap: on from what the slot holds',
      { timeline: 1, segno: 7n },
      0xa000100n,
      1,
      { start: { timeline: 1, segno: 10n } },
    ],
    [
      'on the server timeline after a failover',
      { timeline: 1, segno: 7n },
      0xa000100n,
      2,
      { start: { timeline: 2, segno: 10n } },
    ],
    [
      'no gap to accept: right after the archive, as always',
      { timeline: 1, segno: 7n },
      0x7000100n,
      1,
      { start: { timeline: 1, segno: 8n } },
    ],
  ] as const)('%s', (_what, newestArchived, slotRestartLsn, serverTimeline, expected) => {
    expect(streamStart({ newestArchived, slotRestartLsn, serverTimeline, acceptGap: true, segmentBytes: SEG })).toEqual(expected);
  });
});

describe('streamStart with the server behind its archive', () => {
  it.each([
    ['a new cluster on timeline 1 far behind the archive', { timeline: 1, segno: 0x2a0n }, 1, 0x3000060n, false],
    ['a new cluster on timeline 1 and an archive on timeline 3', { timeline: 3, segno: 5n }, 1, 0x9000000n, false],
    ['the same server, its current segment the next one', { timeline: 1, segno: 7n }, 1, 0x8000100n, true],
    ['the same server right at the next segment', { timeline: 1, segno: 7n }, 1, 0x8000000n, true],
    ['a promoted standby on a later timeline, the archive on the old one', { timeline: 1, segno: 7n }, 2, 0x7000200n, true],
  ] as const)('%s: streams %s', (_what, newestArchived, serverTimeline, serverLsn, streams) => {
    const start = streamStart({
      newestArchived,
      slotRestartLsn: 0x2000000n,
      slotCreated: true,
      serverTimeline,
      serverLsn,
      segmentBytes: SEG,
    });
    expect('start' in start).toBe(streams);
    if (!streams)
      expect(start).toEqual({
        notThisServer: expect.stringMatching(
          /^the archive goes on to [0-9A-F]{24} but the server's WAL ends at [0-9A-F]+\/[0-9A-F]+ on timeline \d+, so it is not the server archived so far \(a new cluster, or one put back from a backup or a snapshot\) and its WAL cannot continue this archive; archive it under an id of its own/,
        ),
      });
  });
});

describe("streamStart with another cluster than the archive's", () => {
  const base = { newestArchived: { timeline: 1, segno: 7n }, slotRestartLsn: 0x8000000n, serverTimeline: 1, segmentBytes: SEG };
  it.each([
    ['the same cluster', '7714285449713375643', '7714285449713375643', 0x8000100n, true],
    ['another cluster whose WAL is past the archive', '7714285449713375643', '7714285430547630216', 0x9000100n, false],
    [
      'another cluster, behind the archive too: named by its identifier',
      '7714285449713375643',
      '7714285430547630216',
      0x3000000n,
      false,
    ],
    ['an archive segment from before identifiers were recorded, none read', undefined, '7714285430547630216', 0x8000100n, true],
    ['no identifier for the server', '7714285449713375643', undefined, 0x8000100n, true],
  ] as const)('%s: streams %s', (_what, archiveSystem, serverSystem, serverLsn, streams) => {
    const start = streamStart({ ...base, archiveSystem, serverSystem, serverLsn });
    expect('start' in start).toBe(streams);
    if (!streams)
      expect(start).toEqual({
        notThisServer: `the archive holds the WAL of database system ${archiveSystem} but the server is database system ${serverSystem}, so it is another cluster (a new one after a disaster or a pg_upgrade, or another server given this id) and its WAL cannot continue this archive; archive it under an id of its own (DATABASE_URL_<ID> and WAL_ARCHIVE), or move this server's wal/, basebackups/ and restore-points/ folders in the bucket aside, then start archiving and take a base backup`,
      });
  });

  it('an empty archive takes any cluster', () => {
    expect(streamStart({ ...base, newestArchived: undefined, archiveSystem: undefined, serverSystem: '1' })).toEqual({
      start: { timeline: 1, segno: 8n },
    });
  });

  it("an archive holding only an open segment's copy of another cluster refuses it", () => {
    expect(streamStart({ ...base, newestArchived: undefined, archiveSystem: '2', serverSystem: '1' })).toEqual({
      notThisServer: expect.stringMatching(
        /^the archive holds the WAL of database system 2 but the server is database system 1, /,
      ),
    });
  });
});

describe('segmentSystemIdentifier', () => {
  /** A segment's first page header as PostgreSQL writes it (little-endian). */
  const header = (o: { info?: number; sysid?: bigint; segSize?: number; length?: number } = {}) => {
    const b = Buffer.alloc(o.length ?? 8192);
    if (b.length >= SEGMENT_HEADER_BYTES) {
      b.writeUInt16LE(0xd118, 0);
      b.writeUInt16LE(o.info ?? 0x0006, 2);
      b.writeUInt32LE(1, 4);
      b.writeBigUInt64LE(0x8000000n, 8);
      b.writeBigUInt64LE(o.sysid ?? 7714285449713375643n, 24);
      b.writeUInt32LE(o.segSize ?? SEG, 32);
      b.writeUInt32LE(8192, 36);
    }
    return b;
  };
  it.each([
    ['a first page', header(), '7714285449713375643'],
    ['only the header bytes', header().subarray(0, SEGMENT_HEADER_BYTES), '7714285449713375643'],
    ['a short page header: not a segment start', header({ info: 0x0004 }), undefined],
    ['another segment size', header({ segSize: 64 * 1024 * 1024 }), undefined],
    ['nothing written yet (a new .partial is zeros)', Buffer.alloc(8192), undefined],
    ['fewer bytes than a header', header({ length: 30 }), undefined],
    ['the largest identifier', header({ sysid: 2n ** 64n - 1n }), '18446744073709551615'],
  ])('%s', (_what, bytes, expected) => expect(segmentSystemIdentifier(bytes, SEG)).toBe(expected));
});

describe('slotNameFor', () => {
  it.each([
    ['shop', 'pgwarden_shop'],
    ['Billing-EU', 'pgwarden_billing_eu'],
    ['x'.repeat(80), `pgwarden_${'x'.repeat(54)}`],
  ])('%s -> %s', (server, slot) => {
    expect(slotNameFor(server)).toBe(slot);
  });
});
