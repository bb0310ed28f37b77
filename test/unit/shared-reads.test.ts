import { SharedReads } from '../../src/app/console/shared-reads';

describe('SharedReads', () => {
  let clock = 0;
  const reads = () => new SharedReads<string>(1000, () => clock);
  beforeEach(() => (clock = 0));

  it('shares a read in flight and reuses it for a second, then reads again', async () => {
    const r = reads();
    let loads = 0;
    const load = async () => `state ${++loads}`;
    expect(await Promise.all([r.read('board', load), r.read('board', load), r.read('board', load)])).toEqual(
      Array(3).fill('state 1'),
    );
    clock = 999;
    expect(await r.read('board', load)).toBe('state 1');
    clock = 1000;
    expect(await r.read('board', load)).toBe('state 2');
    expect(loads).toBe(2);
  });

  it('keeps each key apart', async () => {
    const r = reads();
    expect(await r.read('dr-shop-1', async () => 'one')).toBe('one');
    expect(await r.read('dr-shop-2', async () => 'two')).toBe('two');
  });

  it('does not keep a failed read: the next viewer asks again', async () => {
    const r = reads();
    await expect(r.read('board', async () => Promise.reject(new Error('no worker answers')))).rejects.toThrow('no worker');
    expect(await r.read('board', async () => 'answered')).toBe('answered');
  });
});
