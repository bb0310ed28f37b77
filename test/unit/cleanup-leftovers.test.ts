/** What cleanup counts as left over: objects of backup ids no manifest commits. */
import { backupIdOfObject, committedBaseBackups, withoutManifest } from '../../src/operations/cleanup/leftovers';

describe('backupIdOfObject', () => {
  it.each([
    ['p/db/data/backup_20261124_020000.dump.zst.enc', 'backup_20261124_020000'],
    ['p/db/data/backup_20261124_020000.claim', 'backup_20261124_020000'],
    ['p/db/data/backup_20261124_020000.part2.dump.zst.enc', 'backup_20261124_020000'],
    ['p/db/verifications/backup_20261124_020000.json', 'backup_20261124_020000'],
    ['p/srv/basebackups/base_20261124_020000.tar.zst.enc', 'base_20261124_020000'],
    ['p/srv/basebackups/base_20261124_020000.tablespace-16384.tar.zst.enc', 'base_20261124_020000'],
    ['p/srv/basebackup-verifications/base_20261124_020000.json', 'base_20261124_020000'],
    // Not a real second, another name around an id, a longer stamp, another tool's file.
    ['p/db/data/backup_20261324_020000.dump.enc', undefined],
    ['p/db/data/copy-of-backup_20261124_020000.dump.enc', undefined],
    ['p/db/data/backup_20261124_0200001.dump.enc', undefined],
    ['p/db/data/README', undefined],
  ])('%s', (key, expected) => {
    expect(backupIdOfObject(key)).toBe(expected);
  });
});

describe('committedBaseBackups', () => {
  it('counts a base backup whose manifest is listed, not one with only its copy', () => {
    const listed = [
      'p/s/basebackups/base_20261101_010000.tar.zst.enc',
      'p/s/basebackups/base_20261101_010000.json',
      'p/s/basebackups/base_20261108_010000.tar.zst.enc',
      'p/s/basebackups/base_20261108_010000.backup_manifest.zst.enc',
    ].map((key) => ({ key }));
    expect([...committedBaseBackups(listed)]).toEqual(['base_20261101_010000']);
  });
});

describe('withoutManifest', () => {
  const objects = [
    'p/db/data/backup_20261101_010000.dump.zst.enc',
    'p/db/data/backup_20261102_010000.dump.zst.enc',
    'p/db/verifications/backup_20240101_120000.json',
    'p/db/verifications/backup_20240102_120000.json',
    'p/db/data/notes.txt',
  ].map((key) => ({ key }));
  it.each([
    ['nothing kept: every object named for an id', [], [0, 1, 2, 3]],
    ['a committed backup keeps its objects', ['backup_20261101_010000'], [1, 2, 3]],
    ["an old script's file keeps its verification record", ['backup_20261101_010000', 'backup_20240101_120000'], [1, 3]],
  ])('%s', (_, kept, left) => {
    expect(withoutManifest(objects, new Set(kept as string[]))).toEqual((left as number[]).map((i) => objects[i]));
  });
});
