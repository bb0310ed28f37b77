import { pgBasebackupCompressArg } from '../../src/infra/compression/compression';
import { baseBackupIdFor, walPoint } from '../../src/operations/pitr/base-backup';
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
  expect(walPoint('16/B374D848', 2, SEG)).toEqual({ lsn: '16/B374D848', timeline: 2, walFile: '0000000200000016000000B3' });
});
