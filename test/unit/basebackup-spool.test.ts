import { releaseEvery, spoolWriterPaused, TarArrivals } from '../../src/operations/pitr/basebackup-spool';

describe('which tar pg_basebackup has finished', () => {
  type Step = ['created', string] | ['exited'];
  it.each<[string, Step[], Record<string, boolean>]>([
    ['the first tar, still being written', [['created', '16384.tar.zst']], { '16384.tar.zst': false }],
    [
      'a tablespace tar once the next one exists',
      [
        ['created', '16384.tar.zst'],
        ['created', 'base.tar.zst'],
      ],
      { '16384.tar.zst': true, 'base.tar.zst': false },
    ],
    [
      'the main tar only once pg_basebackup exited (it is finished after the backup manifest)',
      [
        ['created', '16384.tar.zst'],
        ['created', 'base.tar.zst'],
        ['created', 'backup_manifest.tmp'],
        ['created', 'backup_manifest'],
      ],
      { 'base.tar.zst': false },
    ],
    ['everything after the exit', [['created', '16384.tar.zst'], ['exited']], { '16384.tar.zst': true, 'base.tar.zst': true }],
    [
      'a name seen twice keeps its first place',
      [
        ['created', '16384.tar.zst'],
        ['created', '16385.tar.zst'],
        ['created', '16384.tar.zst'],
      ],
      { '16384.tar.zst': true, '16385.tar.zst': false },
    ],
    [
      'an uncompressed copy',
      [
        ['created', '16384.tar'],
        ['created', 'base.tar'],
      ],
      { '16384.tar': true },
    ],
  ])('%s', (_what, steps, expected) => {
    const suffix = Object.keys(expected)[0].endsWith('.zst') ? '.tar.zst' : '.tar';
    const arrivals = new TarArrivals(suffix);
    for (const step of steps)
      if (step[0] === 'created') arrivals.created(step[1]);
      else arrivals.exited();
    for (const [name, complete] of Object.entries(expected)) expect([name, arrivals.complete(name)]).toEqual([name, complete]);
  });

  it('keeps the order of creation, tars only', () => {
    const arrivals = new TarArrivals('.tar.zst');
    for (const name of ['16390.tar.zst', 'backup_manifest.tmp', '16384.tar.zst', 'base.tar.zst']) arrivals.created(name);
    expect([0, 1, 2, 3].map((n) => arrivals.at(n))).toEqual(['16390.tar.zst', '16384.tar.zst', 'base.tar.zst', undefined]);
    expect(arrivals.completeBefore('base.tar.zst')).toBe(false);
    arrivals.exited();
    // Complete, but only because it exited: whole only if with status 0.
    expect([arrivals.complete('base.tar.zst'), arrivals.completeBefore('base.tar.zst')]).toEqual([true, false]);
  });
});

describe('when pg_basebackup waits for the upload', () => {
  it.each([
    [100, false, 100, false],
    [101, false, 100, true],
    [60, true, 100, true],
    [50, true, 100, false],
    [0, true, 100, false],
  ])('%d bytes in the spool, paused %s, limit %d: paused %s', (bytes, paused, limit, expected) => {
    expect(spoolWriterPaused(bytes, paused, limit)).toBe(expected);
  });

  it.each([
    [512 * 2 ** 20, 32 * 2 ** 20],
    [16 * 2 ** 20, 4 * 2 ** 20],
    [2 ** 16, 2 ** 16],
  ])('a limit of %d bytes gives read bytes back every %d', (limit, every) => {
    expect(releaseEvery(limit)).toBe(every);
  });
});
