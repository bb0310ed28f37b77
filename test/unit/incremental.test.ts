import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import {
  failedWithChains,
  incrementalNotes,
  neededByChains,
  nextBaseBackup,
  restorable,
  summariesReach,
  WalSummaryRange,
} from '../../src/operations/pitr/incremental';

const sum = (timeline: number, startLsn: string, endLsn: string): WalSummaryRange => ({ timeline, startLsn, endLsn });

describe('summariesReach', () => {
  it.each([
    ['none', [], '0/5000000', false],
    ['one covering it', [sum(1, '0/1000000', '0/9000000')], '0/5000000', true],
    ['consecutive, out of order', [sum(1, '0/6000000', '0/9000000'), sum(1, '0/1000000', '0/6000000')], '0/5000000', true],
    ['a hole after the start', [sum(1, '0/1000000', '0/5800000'), sum(1, '0/6000000', '0/9000000')], '0/5000000', false],
    [
      'a hole before the start does not matter',
      [sum(1, '0/1000000', '0/2000000'), sum(1, '0/3000000', '0/9000000')],
      '0/5000000',
      true,
    ],
    ['starting after it (older ones removed)', [sum(1, '0/5800000', '0/9000000')], '0/5000000', false],
    ['another timeline', [sum(1, '0/1000000', '0/9000000')], '0/5000000', false, 2],
  ])('%s', (_what, summaries, from, reaches, timeline = 1) => {
    expect(summariesReach(summaries, timeline as number, from)).toBe(reaches);
  });
});

describe('nextBaseBackup', () => {
  const newest = {
    backupId: 'base_20261201_010000',
    start: { lsn: '0/5000028', timeline: 1, walFile: '000000010000000000000005' },
    backupManifest: { key: 'k', storedBytes: 1, rawBytes: 1, sha256: 'x', md5: 'y' },
  };
  const ok = {
    incrementals: 6,
    serverMajor: 17,
    summarizeWal: true,
    summaries: [sum(1, '0/1000000', '0/9000000')],
    timeline: 1,
    newest,
    newestFailed: false,
  };
  it.each([
    ['off', { incrementals: 0 }, { kind: 'full' }],
    ['off, and a full one asked for', { incrementals: 0, askedFull: true }, { kind: 'full' }],
    [
      'a full one asked for',
      { askedFull: true },
      { kind: 'full', reason: 'asked', why: 'asked for (pgwarden basebackup --full)' },
    ],
    ['an incremental on the newest, a full one', {}, { kind: 'incremental', parent: newest.backupId, chain: [newest.backupId] }],
    [
      'an incremental on an incremental: the chain grows',
      { newest: { ...newest, backupId: 'base_3', incremental: { parent: 'base_2', chain: ['base_1', 'base_2'] } } },
      { kind: 'incremental', parent: 'base_3', chain: ['base_1', 'base_2', 'base_3'] },
    ],
    [
      'the chain is as long as asked: a full one',
      {
        incrementals: 2,
        newest: { ...newest, backupId: 'base_3', incremental: { parent: 'base_2', chain: ['base_1', 'base_2'] } },
      },
      { kind: 'full', reason: 'chain-complete', why: '2 incremental base backup(s) followed the full one base_1' },
    ],
    [
      'PostgreSQL 16',
      { serverMajor: 16 },
      { kind: 'full', reason: 'server-too-old', why: 'PostgreSQL 16 has no incremental base backups (17 and newer have)' },
    ],
    [
      'summaries off',
      { summarizeWal: false },
      {
        kind: 'full',
        reason: 'summaries-off',
        why: 'summarize_wal is off on the server (ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf())',
      },
    ],
    ['the first', { newest: undefined }, { kind: 'full', reason: 'first', why: 'there is no base backup yet to build on' }],
    [
      'a parent without its manifest stored',
      { newest: { ...newest, backupManifest: undefined } },
      {
        kind: 'full',
        reason: 'parent-without-manifest',
        why: 'base_20261201_010000 has no backup_manifest of its own stored (taken before BASEBACKUP_INCREMENTALS was set)',
      },
    ],
    [
      'a failed parent',
      { newestFailed: true },
      { kind: 'full', reason: 'parent-failed', why: 'base_20261201_010000 failed its latest verification' },
    ],
    [
      'a new timeline',
      { timeline: 2 },
      {
        kind: 'full',
        reason: 'new-timeline',
        why: 'the server is on timeline 2 since base_20261201_010000 (a failover or a restore)',
      },
    ],
    [
      'summaries gone',
      { summaries: [sum(1, '0/6000000', '0/9000000')] },
      {
        kind: 'full',
        reason: 'summaries-short',
        why: "the server's WAL summaries no longer reach back to the start of base_20261201_010000 (0/5000028; wal_summary_keep_time)",
      },
    ],
  ])('%s', (_what, change, next) => expect(nextBaseBackup({ ...ok, ...change })).toEqual(next));
});

describe('chains', () => {
  const bases = [
    { backupId: 'base_1' },
    { backupId: 'base_2', incremental: { parent: 'base_1', chain: ['base_1'] } },
    { backupId: 'base_3', incremental: { parent: 'base_2', chain: ['base_1', 'base_2'] } },
    { backupId: 'base_4' },
    { backupId: 'base_5', incremental: { parent: 'base_4', chain: ['base_4'] } },
  ];
  it('restorable: only those whose chain is whole', () => {
    expect(restorable(bases.filter((b) => b.backupId !== 'base_2')).map((b) => b.backupId)).toEqual([
      'base_1',
      'base_4',
      'base_5',
    ]);
  });
  it('a failed verification holds for what rests on it', () => {
    expect([...failedWithChains(bases, new Map([['base_2', 'checksum mismatch']]))]).toEqual([
      ['base_2', 'checksum mismatch'],
      ['base_3', 'it rests on base_2, which failed its verification (checksum mismatch)'],
    ]);
  });
  it('what a kept incremental needs, named by the newest that needs it', () => {
    expect([...neededByChains(bases, new Set(['base_3', 'base_2', 'base_5']))]).toEqual([
      ['base_4', 'base_5'],
      ['base_1', 'base_3'],
      ['base_2', 'base_3'],
    ]);
  });
});

describe('incrementalNotes', () => {
  const at = (id: string, finishedAt: string, more: Partial<BaseBackupManifest> = {}) =>
    ({ backupId: id, finishedAt, ...more }) as BaseBackupManifest;
  const older = at('base_1', '2026-12-01T01:10:00Z', { fullBecause: 'there is no base backup yet to build on' });
  const full = (why?: string) => [older, at('base_2', '2026-12-02T01:10:00Z', why ? { fullBecause: why } : {})];
  it.each([
    ['incrementals off', full('summarize_wal is off on the server'), 0, []],
    ['no base backup', [], 6, []],
    [
      'the newest incremental',
      [older, at('base_2', '2026-12-02T01:10:00Z', { incremental: { parent: 'base_1', chain: ['base_1'] } })],
      6,
      [],
    ],
    ['the first one', [older], 6, []],
    ['a chain complete', full('6 incremental base backup(s) followed the full one base_0'), 6, []],
    ['asked for', full('asked for (pgwarden basebackup --full)'), 6, []],
    ['taken before incrementals were asked for', full(), 6, []],
    // With the code (2026-12-04 on) the code decides, whatever the words say.
    [
      'the first one, by its code',
      [at('base_2', '2026-12-02T01:10:00Z', { fullBecause: 'anything at all', fullReason: 'first' })],
      6,
      [],
    ],
    [
      'a chain complete, by its code',
      [older, at('base_2', '2026-12-02T01:10:00Z', { fullBecause: 'worded otherwise', fullReason: 'chain-complete' })],
      6,
      [],
    ],
    [
      'a new timeline, by its code',
      [
        older,
        at('base_2', '2026-12-02T01:10:00Z', {
          fullBecause: 'there is no base backup yet to build on',
          fullReason: 'new-timeline',
        }),
      ],
      6,
      [
        'the newest base backup of shop (base_2) is full though BASEBACKUP_INCREMENTALS=6 asks for incrementals: there is no base backup yet to build on',
      ],
    ],
    [
      'summarize_wal off',
      full('summarize_wal is off on the server (ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf())'),
      6,
      [
        'the newest base backup of shop (base_2) is full though BASEBACKUP_INCREMENTALS=6 asks for incrementals: summarize_wal is off on the server (ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf())',
      ],
    ],
    [
      'older ones in any order: the newest counts',
      [
        at('base_2', '2026-12-02T01:10:00Z', {
          fullBecause: 'PostgreSQL 16 has no incremental base backups (17 and newer have)',
        }),
        older,
      ],
      1,
      [expect.stringMatching(/^the newest base backup of shop \(base_2\) is full .*: PostgreSQL 16 has no incremental/)],
    ],
  ])('%s', (_what, bases, incrementals, notes) => expect(incrementalNotes('shop', bases, incrementals)).toEqual(notes));
});
