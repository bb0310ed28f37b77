import { stillOwnObject, uncommittableObject, type FoundObject } from '../../src/operations/backup/commit-check';

describe("a backup's objects at commit", () => {
  const expected = { key: 'db/shop/data/backup_1.dump.enc', storedBytes: 100 };
  it.each<[FoundObject | undefined, number | undefined, string | undefined]>([
    [{ size: 100, attempt: '2' }, 2, undefined],
    [{ size: 100, attempt: undefined }, undefined, undefined], // a result recorded before objects named their attempt
    [undefined, 2, 'db/shop/data/backup_1.dump.enc is gone'],
    [undefined, undefined, 'db/shop/data/backup_1.dump.enc is gone'],
    [{ size: 100, attempt: '1' }, 2, 'db/shop/data/backup_1.dump.enc was written by attempt 1 since attempt 2 stored it'],
    [
      { size: 100, attempt: undefined },
      2,
      'db/shop/data/backup_1.dump.enc was written by something else since attempt 2 stored it',
    ],
    [{ size: 99, attempt: '2' }, 2, 'db/shop/data/backup_1.dump.enc holds 99 bytes where 100 were stored'],
    [{ size: 99, attempt: undefined }, undefined, 'db/shop/data/backup_1.dump.enc holds 99 bytes where 100 were stored'],
  ])('found %p, stored by attempt %p: %p', (found, attempt, problem) =>
    expect(uncommittableObject(expected, found, attempt)).toBe(problem),
  );

  it.each<[FoundObject | undefined, boolean]>([
    [{ size: 1, attempt: '1' }, true],
    [{ size: 1, attempt: '2' }, false],
    [{ size: 1, attempt: undefined }, false],
    [undefined, false],
  ])('a failed attempt 1 may remove an object found as %p: %p', (found, own) => expect(stillOwnObject(found, 1)).toBe(own));
});
