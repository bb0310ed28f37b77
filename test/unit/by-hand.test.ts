/** The pure parts of recovering by hand: which object holds a WAL file, what a name says to undo. */
import { compressionOfName, manifestKeyOf, recordedSha256 } from '../../src/operations/by-hand/decrypt-object';
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

describe('manifestKeyOf', () => {
  it.each([
    ['pgw/shop/data/backup_20261124_020000.dump.zst.enc', 'pgw/shop/manifests/backup_20261124_020000.json'],
    ['pgw/shop/data/backup_20261124_020000.part2.dump.zst.enc', 'pgw/shop/manifests/backup_20261124_020000.json'],
    ['pgw/shop/data/backup_20261124_020000.globals.sql.gz.enc', 'pgw/shop/manifests/backup_20261124_020000.json'],
    ['shop/data/backup_20261124_020000.sql.enc', 'shop/manifests/backup_20261124_020000.json'],
    ['pgw/shop/basebackups/base_20261129_010000.tar.zst.enc', 'pgw/shop/basebackups/base_20261129_010000.json'],
    ['pgw/shop/basebackups/base_20261129_010000.tablespace-16390.tar.zst.enc', 'pgw/shop/basebackups/base_20261129_010000.json'],
    ['pgw/shop/basebackups/base_20261129_010000.backup_manifest.zst.enc', 'pgw/shop/basebackups/base_20261129_010000.json'],
    ['pgw/backup_20240101_120000.sql.gz.enc', undefined],
    [`pgw/shop/wal/${SEG}.zst.enc`, undefined],
  ])('%s', (key, expected) => expect(manifestKeyOf(key)).toBe(expected));
});

describe('recordedSha256', () => {
  const manifest = {
    data: { key: 'k/data', sha256: 'a'.repeat(64) },
    dataParts: [{ key: 'k/part2', sha256: 'b'.repeat(64), tables: [] }],
    tablespaces: [{ oid: 16390, data: { key: 'k/ts', sha256: 'c'.repeat(64) } }],
    globals: { key: 'k/globals', sha256: 'd'.repeat(64) },
  };
  it.each([
    ['k/data', 'a'.repeat(64)],
    ['k/part2', 'b'.repeat(64)],
    ['k/ts', 'c'.repeat(64)],
    ['k/globals', 'd'.repeat(64)],
    ['k/other', undefined],
  ])('%s', (key, expected) => expect(recordedSha256(manifest, key)).toBe(expected));
  it('reads nothing from what is no manifest', () => {
    expect(recordedSha256(null, 'k')).toBeUndefined();
    expect(recordedSha256('k', 'k')).toBeUndefined();
    expect(recordedSha256({ key: 'k', sha256: 5 }, 'k')).toBeUndefined();
  });
});
