import { recordsPastKeeping, recordTime } from '../../src/operations/cleanup/records';

const P = 'database-backups/shop/records/';

describe('run records past keeping', () => {
  it.each([
    [`${P}backup-failures/backup_20261124_020000.json`, '2026-11-24T02:00:00.000Z'],
    [`${P}restores/20261124T013000Z_restore-shop-1.json`, '2026-11-24T01:30:00.000Z'],
    [`${P}restores/20261124T013000Z_dr-shop_1.2-restore.json`, '2026-11-24T01:30:00.000Z'],
    [`${P}backup-failures/notes.json`, undefined],
    [`${P}restores/20261399T013000Z_x.json`, undefined],
    [`${P}restores/latest.json`, undefined],
  ])('%s was written at %s', (key, at) => {
    expect(recordTime(key)?.toISOString()).toBe(at);
  });

  it.each([
    [
      'older than the days kept go',
      400,
      ['backup_20241001_020000', '20241001T020000Z_r'],
      ['backup_20241001_020000', '20241001T020000Z_r'],
    ],
    ['younger ones stay', 400, ['backup_20251201_020000', '20261201T020000Z_r'], []],
    ['a name without a time stays', 1, ['mystery'], []],
    ['exactly at the edge stays', 30, ['backup_20261102_120000'], []],
  ])('%s', (_what, days, names, gone) => {
    const key = (n: string) => (n.startsWith('backup_') ? `${P}backup-failures/${n}.json` : `${P}restores/${n}.json`);
    expect(recordsPastKeeping(names.map(key), new Date('2026-12-02T12:00:00Z'), days)).toEqual(gone.map(key));
  });
});
