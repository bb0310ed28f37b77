/** The one way a record kept in the bucket is read: each way it can be wrong, said with its key. */
import { parseStoredRecord } from '../../src/infra/storage/stored-record';

interface Thing {
  kind: string;
  formatVersion: number;
  name: string;
  size: number;
}
const shape = { what: 'thing record', kindName: 'a pgwarden thing', kind: 'pgwarden.thing', required: ['name', 'size'] as const };
const good = { kind: 'pgwarden.thing', formatVersion: 2, name: 'a', size: 0 };

describe('parseStoredRecord', () => {
  it('returns a record of a known kind and version with its fields', () => {
    expect(parseStoredRecord<Thing>(JSON.stringify(good), 'k', { ...shape, versions: [1, 2] })).toEqual(good);
  });

  it.each([
    ['not JSON', '{', [1], 'thing record k is not valid JSON'],
    ['JSON null', 'null', [1], 'k is not a pgwarden thing'],
    ['another kind', JSON.stringify({ ...good, kind: 'pgwarden.other' }), [2], 'k is not a pgwarden thing'],
    [
      'a newer version, one known',
      JSON.stringify(good),
      [1],
      'thing record k has format version 2; this pgwarden reads version 1: upgrade pgwarden',
    ],
    [
      'a newer version, several known',
      JSON.stringify({ ...good, formatVersion: 4 }),
      [1, 2, 3],
      'thing record k has format version 4; this pgwarden reads versions 1, 2 and 3: upgrade pgwarden',
    ],
    [
      'no version',
      JSON.stringify({ ...good, formatVersion: undefined }),
      [1],
      'thing record k has format version undefined; this pgwarden reads version 1: upgrade pgwarden',
    ],
    ['a field missing (0 is there)', JSON.stringify({ ...good, name: undefined }), [2], 'thing record k lacks "name"'],
  ])('refuses %s', (_, text, versions, message) => {
    expect(() => parseStoredRecord<Thing>(text, 'k', { ...shape, versions })).toThrow(message);
  });
});
