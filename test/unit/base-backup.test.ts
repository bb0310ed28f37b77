import { pgBasebackupCompressArg } from '../../src/infra/compression/compression';
import { baseBackupKeys } from '../../src/infra/storage/layout';
import { outsideDataDirectory } from '../../src/infra/postgres/tablespaces';
import {
  baseBackupIdFor,
  nextBaseBackupId,
  baseBackupObjects,
  baseBackupStoredBytes,
  parseBaseBackupManifest,
  spoolBytesNeeded,
  spoolRoomProblem,
  walPoint,
} from '../../src/operations/pitr/base-backup';
import { BasebackupOutput } from '../../src/operations/pitr/basebackup-output';

const SEG = 16 * 1024 * 1024;

/** What pg_basebackup 15 writes on stderr with --verbose --progress --wal-method=fetch, not on a terminal. */
const SAID = [
  'pg_basebackup: initiating base backup, waiting for checkpoint to complete',
  'pg_basebackup: checkpoint completed',
  'pg_basebackup: write-ahead log start point: E/AC000060 on timeline 2',
  '     0/795810 kB (0%), 0/1 tablespace (-/base/1/112                        )',
  '397905/795810 kB (50%), 0/1 tablespace (-/base/16384/16398               )',
  'pg_basebackup: write-ahead log end point: E/AD000138',
  '812194/812194 kB (100%), 1/1 tablespace                                         ',
  'pg_basebackup: syncing data to disk ...',
  'pg_basebackup: base backup completed',
];

describe('BasebackupOutput', () => {
  it('reads the WAL range and the progress from what pg_basebackup says', () => {
    const out = new BasebackupOutput();
    SAID.forEach((l) => out.line(l));
    expect(out.points(SEG)).toEqual({
      start: { lsn: 'E/AC000060', timeline: 2, walFile: '000000020000000E000000AC' },
      stop: { lsn: 'E/AD000138', timeline: 2, walFile: '000000020000000E000000AD' },
    });
    expect(out.doneBytes).toBe(812194 * 1024);
    expect(out.percent).toBe(100);
  });

  it('shows the progress as it comes', () => {
    const out = new BasebackupOutput();
    SAID.slice(0, 5).forEach((l) => out.line(l));
    expect([out.doneBytes, out.totalBytes, out.percent]).toEqual([397905 * 1024, 795810 * 1024, 50]);
  });

  it.each([
    ['start', []],
    ['end', [2]],
  ])('says which WAL point pg_basebackup did not report (%s)', (missing, keep) => {
    const out = new BasebackupOutput();
    keep.forEach((i) => out.line(SAID[i]));
    expect(() => out.points(SEG)).toThrow(`pg_basebackup did not report its WAL ${missing} point`);
  });
});

it.each([
  [{ algorithm: 'zstd' as const, level: 1 }, '--compress=client-zstd:level=1,workers=2'],
  [{ algorithm: 'gzip' as const, level: 6 }, '--compress=client-gzip:level=6'],
  [{ algorithm: 'lz4' as const, level: 3 }, '--compress=client-lz4:level=3'],
  [{ algorithm: 'none' as const, level: 0 }, null],
])('compresses a base backup inside pg_basebackup: %j', (policy, arg) => {
  expect(pgBasebackupCompressArg(policy)).toBe(arg);
});

it('names base backups by their start time', () => {
  expect(baseBackupIdFor(new Date('2026-11-29T18:05:07.123Z'))).toBe('base_20261129_180507');
  expect(nextBaseBackupId('base_20261129_180507')).toBe('base_20261129_180508');
  expect(nextBaseBackupId('base_20261231_235959')).toBe('base_20270101_000000');
  expect(walPoint('16/B374D848', 2, SEG)).toEqual({ lsn: '16/B374D848', timeline: 2, walFile: '0000000200000016000000B3' });
});

describe('a base backup with tablespaces', () => {
  /** What pg_basebackup 15 writes with --pgdata=DIR for a server with one tablespace besides the main one. */
  const SAID_TO_A_FOLDER = [
    'pg_basebackup: write-ahead log start point: 0/4000028 on timeline 1',
    ' 6683/29625 kB (22%), 0/2 tablespaces (/tmp/spool/16384.tar.zst    )',
    '46022/46022 kB (100%), 1/2 tablespaces (/tmp/spool/base.tar.zst     )',
    '46022/46022 kB (100%), 2/2 tablespaces                                         ',
    'pg_basebackup: write-ahead log end point: 0/4000138',
  ];

  it('reads the progress of every tablespace together', () => {
    const out = new BasebackupOutput();
    SAID_TO_A_FOLDER.forEach((l) => out.line(l));
    expect([out.doneBytes, out.percent]).toEqual([46022 * 1024, 100]);
    expect(out.points(SEG).stop.lsn).toBe('0/4000138');
  });

  const object = (key: string, storedBytes: number) => ({ key, rawBytes: 0, storedBytes, sha256: '', md5: '' });
  it.each([
    ['main tablespace only', { data: object('d', 10) }, ['d'], 10],
    [
      'tablespaces and PostgreSQL manifest beside it',
      {
        data: object('d', 10),
        tablespaces: [
          { oid: 16384, name: 'a', location: '/a', data: object('t1', 5) },
          { oid: 16385, name: 'b', location: '/b', data: object('t2', 7) },
        ],
        backupManifest: object('m', 1),
      },
      ['d', 't1', 't2', 'm'],
      23,
    ],
  ])('%s: its objects (data first) and stored size', (_what, m, keys, bytes) => {
    expect(baseBackupObjects(m).map((o) => o.key)).toEqual(keys);
    expect(baseBackupStoredBytes(m)).toBe(bytes);
  });

  it('names its objects beside the main tar, all under the backup id', () => {
    const keys = baseBackupKeys('p', 'shop', 'base_20261202_010000', { algorithm: 'zstd', level: 3 });
    expect([keys.data, keys.tablespace(16384), keys.backupManifest, keys.manifest]).toEqual([
      'p/shop/basebackups/base_20261202_010000.tar.zst.enc',
      'p/shop/basebackups/base_20261202_010000.tablespace-16384.tar.zst.enc',
      'p/shop/basebackups/base_20261202_010000.backup_manifest.zst.enc',
      'p/shop/basebackups/base_20261202_010000.json',
    ]);
    expect(baseBackupKeys('', 'shop', 'base_20261202_010000', { algorithm: 'none', level: 0 }).tablespace(1)).toBe(
      'shop/basebackups/base_20261202_010000.tablespace-1.tar.enc',
    );
  });

  it.each([
    [100, 100, false, undefined],
    [2 ** 40, 10 * 2 ** 30, false, undefined],
    [
      5 * 2 ** 30,
      8 * 2 ** 30,
      false,
      'PGWARDEN_WORK_DIR: /w has 5.0 GiB free, and a base backup of shop (copied through it: the server has tablespaces, or BASEBACKUP_INCREMENTALS is on) may need 8.0 GiB; point PGWARDEN_WORK_DIR at a larger disk',
    ],
    [
      2 ** 29,
      2 ** 30,
      true,
      'PGWARDEN_WORK_DIR: /w has 512.0 MiB free, and a base backup of shop (copied through it: the server has tablespaces, or BASEBACKUP_INCREMENTALS is on) may need 1.0 GiB; lower BASEBACKUP_SPOOL_MB or point PGWARDEN_WORK_DIR at a larger disk',
    ],
  ])('spool room: %d bytes free for %d needed (limited: %s)', (free, needed, limited, problem) => {
    expect(spoolRoomProblem(free, needed, '/w', 'shop', limited)).toBe(problem);
  });

  const newest = (algorithm: string, rawBytes: number, stored: number[]) => ({
    compression: { algorithm: algorithm as 'zstd', level: 3 },
    data: { ...object('d', stored[0]), rawBytes },
    tablespaces: stored.slice(1).map((n, i) => ({ oid: i, name: `t${i}`, location: '/t', data: object('t', n) })),
  });
  it.each([
    ['no base backup yet: the whole size', undefined, 1000, 1000],
    ['compressed 4x last time: a quarter more than that', newest('zstd', 4000, [600, 400]), 1000, 313],
    ['another algorithm last time: the whole size', newest('gzip', 4000, [1000]), 1000, 1000],
    ['barely compressed: never more than the whole size', newest('zstd', 1000, [950]), 1000, 1000],
    ['a manifest without sizes: the whole size', newest('zstd', 0, [10]), 1000, 1000],
  ])('spool size: %s', (_what, last, cluster, needed) => {
    expect(spoolBytesNeeded(cluster, 'zstd', last)).toBe(needed);
  });

  it.each([
    ['a cluster larger than twice the limit: twice the limit', undefined, 10_000, 300, 600],
    ['compressed smaller than that: the compressed size', newest('zstd', 4000, [600, 400]), 1000, 300, 313],
    ['a small cluster: its size', undefined, 500, 300, 500],
  ])('spool size where read bytes are given back (BASEBACKUP_SPOOL_MB): %s', (_what, last, cluster, limit, needed) => {
    expect(spoolBytesNeeded(cluster, 'zstd', last, limit)).toBe(needed);
  });

  it('manifests of versions 2 and 3 read; one newer says to upgrade', () => {
    const text = (formatVersion: number) =>
      JSON.stringify({
        kind: 'pgwarden.basebackup',
        formatVersion,
        backupId: 'b',
        server: 's',
        start: {},
        stop: {},
        data: {},
        encryption: {},
      });
    expect(parseBaseBackupManifest(text(2), 'k').formatVersion).toBe(2);
    expect(parseBaseBackupManifest(text(3), 'k').formatVersion).toBe(3);
    expect(() => parseBaseBackupManifest(text(4), 'k')).toThrow(
      /has format version 4; this pgwarden reads versions 1, 2 and 3: upgrade pgwarden/,
    );
  });
});

it('counts only tablespaces outside the data directory: an in-place one is copied with the main tablespace', () => {
  expect(
    outsideDataDirectory([
      { oid: 16384, name: 'archive', location: '/srv/pg/archive' },
      { oid: 16399, name: 'ip', location: 'pg_tblspc/16399' },
    ]).map((t) => t.name),
  ).toEqual(['archive']);
});
