/** The pure parts of recovering by hand: which object holds a WAL file, what a name says to undo. */
import { compressionOfName } from '../../src/operations/by-hand/decrypt-object';
import { pickWalObject } from '../../src/operations/by-hand/fetch-wal-file';

const W = 'pgw/shop/wal/';
const SEG = '000000010000000A000000F3';

describe('pickWalObject', () => {
  it.each([
    ['the file itself', [`${W}${SEG}.zst.enc`], SEG, { key: `${W}${SEG}.zst.enc`, partial: false }],
    ['uncompressed', [`${W}${SEG}.enc`], SEG, { key: `${W}${SEG}.enc`, partial: false }],
    [
      'whole before its .partial (both stored a moment)',
      [`${W}${SEG}.partial.zst.enc`, `${W}${SEG}.zst.enc`],
      SEG,
      { key: `${W}${SEG}.zst.enc`, partial: false },
    ],
    [
      'only the .partial: the newest WAL',
      [`${W}${SEG}.partial.zst.enc`],
      SEG,
      { key: `${W}${SEG}.partial.zst.enc`, partial: true },
    ],
    [
      'a history file',
      [`${W}00000002.history.zst.enc`],
      '00000002.history',
      { key: `${W}00000002.history.zst.enc`, partial: false },
    ],
    ['nothing stored', [], SEG, undefined],
    ['a longer name sharing the prefix is not it', [`${W}${SEG}0.zst.enc`], SEG, undefined],
    ['an object that is no WAL file', [`${W}${SEG}.zst.enc.tmp`], SEG, undefined],
  ])('%s', (_what, keys, file, expected) => {
    expect(pickWalObject(keys, file)).toEqual(expected);
  });
});

describe('compressionOfName', () => {
  it.each([
    ['backup_20261124_020000.dump.zst.enc', 'zstd'],
    ['backup_20261124_020000.sql.gz.enc', 'gzip'],
    ['base_20261124_020000.tar.lz4.enc', 'lz4'],
    ['backup_20261124_020000.dump.enc', 'none'],
    ['backup_20261124_020000.sql.enc', 'none'],
    ['backup_20240101_120000.sql.gz.enc', 'gzip'],
  ])('%s: %s', (name, expected) => {
    expect(compressionOfName(name)).toBe(expected);
  });
});
