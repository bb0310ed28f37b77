import { resolveChoice } from '../../src/operations/dr/choice';
import { pointBeforeFailure, pointsBeforeFailure } from '../../src/operations/dr/point-in-time';
import type { BackupProposal, PointInTimeProposal } from '../../src/operations/dr/incident';
import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { segmentName } from '../../src/operations/pitr/wal-names';

const backup = { backupId: 'backup_20261129_020000' } as BackupProposal;
const point: PointInTimeProposal = {
  target: { kind: 'time', time: '2026-11-29T10:14:59.000Z' },
  baseBackupId: 'base_20261129_021000',
  lossSeconds: 1,
  why: 'the second before the failure',
};
const both = { proposal: backup, pointInTime: point };
const backupOnly = { proposal: backup, pointInTime: null };
const by = { by: 'alice' };

describe('resolveChoice: what a selection at step 3 asks for', () => {
  it.each([
    ['nothing named, WAL covers the failure: the point before it', both, {}, { kind: 'point-in-time', target: point.target }],
    ['nothing named, no WAL: the proposed backup', backupOnly, {}, { kind: 'backup', backupId: backup.backupId }],
    [
      'a new database only: the proposed backup into it',
      both,
      { newDatabase: 'shop_restored' },
      { kind: 'backup', backupId: backup.backupId, newDatabase: 'shop_restored' },
    ],
    ['a backup id', both, { backupId: 'backup_20261128_020000' }, { kind: 'backup', backupId: 'backup_20261128_020000' }],
    [
      'a time',
      backupOnly,
      { to: '2026-11-29T11:15:00+01:00' },
      { kind: 'point-in-time', target: { kind: 'time', time: '2026-11-29T10:15:00.000Z' } },
    ],
    ['latest', backupOnly, { to: 'latest' }, { kind: 'point-in-time', target: { kind: 'latest' } }],
    [
      'a restore point',
      backupOnly,
      { toName: 'before-migration' },
      { kind: 'point-in-time', target: { kind: 'name', name: 'before-migration' } },
    ],
    [
      'tables as of a restore point',
      both,
      { toName: 'before-migration', tables: ['shop.orders'] },
      { kind: 'tables', target: { kind: 'name', name: 'before-migration' }, tables: ['shop.orders'], replace: false },
    ],
    [
      'tables as of the proposed point, beside',
      both,
      { tables: ['shop.orders'] },
      { kind: 'tables', target: point.target, tables: ['shop.orders'], replace: false },
    ],
    [
      'tables as of a time, replaced',
      backupOnly,
      { tables: ['shop.orders', 'shop.payments'], to: '2026-11-29T10:00:00Z', replace: true },
      {
        kind: 'tables',
        target: { kind: 'time', time: '2026-11-29T10:00:00.000Z' },
        tables: ['shop.orders', 'shop.payments'],
        replace: true,
      },
    ],
  ])('%s', (_, state, input, expected) => {
    expect(resolveChoice(state, { ...by, ...input })).toEqual(expected);
  });

  it.each([
    ['nothing proposed, nothing named', { proposal: null, pointInTime: null }, {}, /no backup was proposed; give "backupId"/],
    [
      'a time without its zone',
      both,
      { to: '2026-11-29T10:00:00' },
      /"to" 2026-11-29T10:00:00: expected an ISO time with its zone/,
    ],
    ['immediate', both, { to: 'immediate' }, /"to": give a time with its zone/],
    ['a number for "to"', both, { to: 5 }, /"to" must be text in quotes/],
    ['tables not a list', both, { tables: 'shop.orders' }, /"tables" must be a list of table names/],
    ['an empty list', both, { tables: [] }, /"tables" must be a list/],
    ['replace without tables', both, { replace: true }, /"replace" goes with "tables"/],
    ['replace as text', both, { tables: ['shop.orders'], replace: 'yes' }, /"replace" must be true or false/],
    [
      'backup id and a time',
      both,
      { backupId: backup.backupId, to: 'latest' },
      /either "backupId" .* or "to"\/"toName"\/"tables"/,
    ],
    ['a new database with a time', both, { newDatabase: 'x', to: 'latest' }, /"newDatabase" is for a backup/],
    [
      'tables without WAL or time',
      backupOnly,
      { tables: ['shop.orders'] },
      /no point in time was proposed .*: give "to" or "toName"/,
    ],
    ['a time and a restore point', both, { to: 'latest', toName: 'p' }, /either "to" \(a time\) or "toName" \(a restore point\)/],
    ['a number for "toName"', both, { toName: 7 }, /"toName" must be text in quotes: the name of a restore point/],
    ['an empty restore point name', both, { toName: ' ' }, /^"toName": the restore point name is empty$/],
    ['a name PostgreSQL would cut', both, { toName: 'x'.repeat(64) }, /^"toName": the restore point name is 64 bytes long/],
    [
      'a backup id and a restore point',
      both,
      { backupId: backup.backupId, toName: 'p' },
      /either "backupId" .* or "to"\/"toName"\/"tables"/,
    ],
    ['a new database with a restore point', both, { newDatabase: 'x', toName: 'p' }, /"newDatabase" is for a backup/],
    ['a bad table name', both, { tables: ['a.b.c.d'] }, /"tables": /],
  ])('refuses %s', (_, state, input, problem) => {
    const r = resolveChoice(state, { ...by, ...(input as object) });
    expect(r).toEqual({ problem: expect.stringMatching(problem) });
  });
});

const SEG = 16 * 1024 * 1024;
const base = (id: string, finishedAt: string, start: string, stop: string) =>
  ({
    backupId: id,
    finishedAt,
    start: { lsn: start, timeline: 1 },
    stop: { lsn: stop, timeline: 1 },
    serverInfo: { segmentBytes: SEG },
  }) as unknown as BaseBackupManifest;
const segs = (...n: number[]) => n.map((segno) => segmentName({ timeline: 1, segno: BigInt(segno) }));
const bases = [
  base('base_2', '2026-11-29T02:10:00Z', '0/5000028', '0/5000100'),
  base('base_1', '2026-11-22T02:10:00Z', '0/2000028', '0/2000100'),
];
const archive = (segments: string[], newest: string | null) => ({
  segments,
  histories: new Map(),
  newestStoredAt: newest === null ? null : Date.parse(newest),
});

describe('pointBeforeFailure: the point step 3 proposes', () => {
  it.each([
    [
      'the second before the failure, from the newest base backup before it',
      archive(segs(2, 3, 4, 5, 6), '2026-11-29T10:20:00Z'),
      '2026-11-29T10:15:00Z',
      { target: { kind: 'time', time: '2026-11-29T10:14:59.000Z' }, baseBackupId: 'base_2', lossSeconds: 1 },
    ],
    [
      'an older base backup when the failure came before the newest',
      archive(segs(2, 3, 4, 5, 6), '2026-11-29T10:20:00Z'),
      '2026-11-25T00:00:00Z',
      { target: { kind: 'time', time: '2026-11-24T23:59:59.000Z' }, baseBackupId: 'base_1' },
    ],
    [
      'the end of the archive when it stops before the failure (a lost server)',
      archive(segs(5, 6), '2026-11-29T10:14:30Z'),
      '2026-11-29T10:15:00Z',
      { target: { kind: 'latest' }, baseBackupId: 'base_2', lossSeconds: 30 },
    ],
  ])('%s', (_, facts, failure, expected) => {
    expect(pointBeforeFailure('shop', bases, facts, failure)).toEqual(expect.objectContaining(expected));
  });

  it.each([
    [
      'no base backup before the failure',
      bases,
      archive(segs(2, 3), '2026-11-29T10:20:00Z'),
      '2026-11-20T00:00:00Z',
      /before the oldest base backup/,
    ],
    ['no base backup at all', [], archive([], null), '2026-11-29T10:15:00Z', /no base backup of this server exists/],
    [
      'a gap after the base backup',
      bases,
      archive(segs(5, 7), '2026-11-29T10:20:00Z'),
      '2026-11-29T10:15:00Z',
      /has a gap after base_2/,
    ],
    [
      "the base backup's own WAL missing",
      bases,
      archive(segs(6), '2026-11-29T10:20:00Z'),
      '2026-11-29T10:15:00Z',
      /base_2 needs is not all archived/,
    ],
  ])('none when %s', (_, b, facts, failure, why) => {
    expect(pointBeforeFailure('shop', b, facts, failure)).toEqual({ unavailable: expect.stringMatching(why) });
  });
});

describe('pointsBeforeFailure: the recorded restore points offered at step 3', () => {
  const failure = '2026-11-29T10:15:00.000Z';
  const p = (name: string, createdAt: string, fromBaseBackup: string | null = 'base_1') => ({ name, createdAt, fromBaseBackup });
  it.each([
    ['none recorded', [], []],
    ['one before the failure', [p('a', '2026-11-29T10:00:00Z')], ['a']],
    ['one after the failure is left out', [p('a', '2026-11-29T10:00:00Z'), p('late', '2026-11-29T10:15:01Z')], ['a']],
    ['one made at the very moment is left out', [p('same', failure)], []],
    ['one no base backup reaches is left out', [p('old', '2026-11-01T10:00:00Z', null), p('a', '2026-11-29T10:00:00Z')], ['a']],
    [
      'the newest three, newest first',
      [
        p('w', '2026-11-29T09:00:00Z'),
        p('x', '2026-11-29T09:10:00Z'),
        p('z', '2026-11-29T09:30:00Z'),
        p('y', '2026-11-29T09:20:00Z'),
      ],
      ['z', 'y', 'x'],
    ],
  ])('%s', (_, points, names) => {
    expect(pointsBeforeFailure(points, failure).map((x) => x.name)).toEqual(names);
  });
});
