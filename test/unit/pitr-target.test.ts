import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseBackupIdProblem, type BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import {
  autoConfLines,
  chooseBaseBackup,
  fetchedWalCommand,
  namedBaseBackup,
  parseTarget,
  recoverySettings,
  targetAfterArchive,
  targetLsn,
  unrecordedPointNote,
  unrecordedPointWarning,
} from '../../src/operations/pitr/target';

const base = (id: string, finishedAt: string, stopLsn: string) =>
  ({ backupId: id, finishedAt, stop: { lsn: stopLsn, timeline: 1, walFile: '' } }) as unknown as BaseBackupManifest;
const bases = [
  base('base_20261122_020000', '2026-11-22T02:10:00.000Z', '1/0'),
  base('base_20261129_020000', '2026-11-29T02:10:00.000Z', '2/0'),
];

describe('parseTarget', () => {
  it.each([
    [{ to: '2026-11-29T10:15:00Z' }, { kind: 'time', time: '2026-11-29T10:15:00.000Z' }],
    [{ to: '2026-11-29T11:15:00+01:00' }, { kind: 'time', time: '2026-11-29T10:15:00.000Z' }],
    [{ to: 'latest' }, { kind: 'latest' }],
    [{ to: 'immediate' }, { kind: 'immediate' }],
    [{ toLsn: '16/b374d848' }, { kind: 'lsn', lsn: '16/B374D848' }],
    [{ toName: 'before-migration-42' }, { kind: 'name', name: 'before-migration-42' }],
    [{ to: '2026-11-29T10:15:00' }, { problem: expect.stringContaining('expected an ISO time with its zone') }],
    [{ to: 'yesterday' }, { problem: expect.stringContaining('expected an ISO time with its zone') }],
    [{ toName: ' ' }, { problem: '--to-name: the restore point name is empty' }],
    [
      { toName: 'x'.repeat(64) },
      { problem: '--to-name: the restore point name is 64 bytes long; PostgreSQL keeps at most 63: choose a shorter one' },
    ],
    [{ toLsn: '16' }, { problem: '--to-lsn: "16" is not a log sequence number (like 16/B374D848)' }],
    [{}, { problem: 'give exactly one of --to TIME|latest|immediate, --to-lsn LSN, --to-name NAME' }],
    [{ to: 'latest', toLsn: '0/1' }, { problem: 'give exactly one of --to TIME|latest|immediate, --to-lsn LSN, --to-name NAME' }],
  ])('%j', (input, expected) => {
    expect(parseTarget(input)).toEqual(expected);
  });
});

describe('chooseBaseBackup', () => {
  it.each([
    ['the newest that ended before the time', { kind: 'time', time: '2026-11-29T10:00:00.000Z' }, 'base_20261129_020000'],
    ['an older one for a time between', { kind: 'time', time: '2026-11-25T00:00:00.000Z' }, 'base_20261122_020000'],
    ['by LSN', { kind: 'lsn', lsn: '1/80000000' }, 'base_20261122_020000'],
    ['the newest for latest', { kind: 'latest' }, 'base_20261129_020000'],
    ['a recorded restore point by its LSN', { kind: 'name', name: 'before', lsn: '1/80000000' }, 'base_20261122_020000'],
    ['a recorded restore point after the newest', { kind: 'name', name: 'before', lsn: '2/10' }, 'base_20261129_020000'],
    ['the newest for a restore point of unknown position', { kind: 'name', name: 'before' }, 'base_20261129_020000'],
  ] as const)('%s', (_what, target, id) => {
    expect(chooseBaseBackup([...bases].reverse(), target)).toEqual({ base: expect.objectContaining({ backupId: id }) });
  });

  it('refuses a target before the oldest base backup is consistent, saying the window', () => {
    expect(chooseBaseBackup(bases, { kind: 'time', time: '2026-11-22T02:05:00.000Z' })).toEqual({
      problem:
        '2026-11-22T02:05:00.000Z is before the oldest base backup can be made consistent (base backups from 2026-11-22T02:10:00.000Z (base_20261122_020000) to 2026-11-29T02:10:00.000Z); choose a later target',
    });
    expect(chooseBaseBackup(bases, { kind: 'name', name: 'before', lsn: '0/5000000' })).toEqual({
      problem:
        'restore point "before" (at LSN 0/5000000) is before the oldest base backup can be made consistent (base backups from 2026-11-22T02:10:00.000Z (base_20261122_020000) to 2026-11-29T02:10:00.000Z); choose a later target',
    });
    expect(chooseBaseBackup([], { kind: 'latest' })).toEqual({
      problem: 'no base backup of this server exists yet: take one (pgwarden basebackup) first',
    });
  });
});

describe('chooseBaseBackup with failed verifications', () => {
  const third = base('base_20261201_020000', '2026-12-01T02:10:00.000Z', '3/0');
  const all = [...bases, third];
  const latest = { kind: 'latest' } as const;
  it.each([
    ['none failed: the newest', new Map(), 'base_20261201_020000', undefined],
    [
      'the newest failed: the one before, saying why',
      new Map([['base_20261201_020000', '2026-12-01']]),
      'base_20261129_020000',
      'recovery starts from base_20261129_020000: the newer base backup before the target failed its verification (base_20261201_020000 (2026-12-01)) (restore --pitr --base base_20261201_020000 uses it anyway)',
    ],
    [
      'the two newest failed: the oldest, naming both',
      new Map([
        ['base_20261201_020000', '2026-12-01'],
        ['base_20261129_020000', '2026-11-29'],
      ]),
      'base_20261122_020000',
      'recovery starts from base_20261122_020000: the newer base backups before the target failed their verification (base_20261129_020000 (2026-11-29), base_20261201_020000 (2026-12-01)) (restore --pitr --base base_20261201_020000 uses it anyway)',
    ],
    ['an older one failed: not in the way', new Map([['base_20261122_020000', '2026-11-22']]), 'base_20261201_020000', undefined],
    [
      'all failed: the newest anyway, said',
      new Map(all.map((b) => [b.backupId, '2026-12-01'])),
      'base_20261201_020000',
      'base backup base_20261201_020000 failed its verification (2026-12-01) and every other one that reaches the target did too: recovery starts from it anyway',
    ],
  ])('%s', (_what, failed, id, note) => {
    const chosen = chooseBaseBackup(all, latest, failed);
    expect(chosen).toEqual({ base: expect.objectContaining({ backupId: id }), ...(note ? { note } : {}) });
  });

  it('only among those consistent before the target', () => {
    // The failed newest is after the target anyway: no note.
    const chosen = chooseBaseBackup(all, { kind: 'lsn', lsn: '2/80000000' }, new Map([['base_20261201_020000', '2026-12-01']]));
    expect(chosen).toEqual({ base: expect.objectContaining({ backupId: 'base_20261129_020000' }) });
  });
});

describe('baseBackupIdProblem', () => {
  it.each([
    ['base_20261129_010000', undefined],
    [
      'backup_20261129_010000',
      '--base backup_20261129_010000: expected a base backup id like base_20261129_010000 (pgwarden pitr list)',
    ],
    [
      'base_2026112_010000',
      '--base base_2026112_010000: expected a base backup id like base_20261129_010000 (pgwarden pitr list)',
    ],
    [
      'base_20261129_010000.json',
      '--base base_20261129_010000.json: expected a base backup id like base_20261129_010000 (pgwarden pitr list)',
    ],
    ['', '--base : expected a base backup id like base_20261129_010000 (pgwarden pitr list)'],
  ])('%s', (given, problem) => expect(baseBackupIdProblem(given)).toBe(problem));
});

describe('incremental base backups in a restore', () => {
  const full = base('base_20261122_020000', '2026-11-22T02:10:00.000Z', '1/0');
  const incremental = (id: string, finishedAt: string, stopLsn: string, chain: string[]) =>
    ({ ...base(id, finishedAt, stopLsn), incremental: { parent: chain.at(-1)!, chain } }) as BaseBackupManifest;
  const inc1 = incremental('base_20261123_020000', '2026-11-23T02:10:00.000Z', '1/8000000', [full.backupId]);
  const inc2 = incremental('base_20261124_020000', '2026-11-24T02:10:00.000Z', '2/0', [full.backupId, inc1.backupId]);
  it('starts from the newest incremental whose chain is whole', () => {
    expect(chooseBaseBackup([full, inc1, inc2], { kind: 'latest' })).toEqual({ base: inc2 });
    expect(chooseBaseBackup([full, inc2], { kind: 'latest' })).toEqual({ base: full });
  });
  it('passes over one resting on a failed verification, saying why', () => {
    expect(chooseBaseBackup([full, inc1, inc2], { kind: 'latest' }, new Map([[inc1.backupId, '2026-11-25']]))).toEqual({
      base: full,
      note: `recovery starts from ${full.backupId}: the newer base backups before the target failed their verification (${inc1.backupId} (2026-11-25), ${inc2.backupId} (it rests on ${inc1.backupId}, which failed its verification (2026-11-25))) (restore --pitr --base ${inc2.backupId} uses it anyway)`,
    });
  });
  it('refuses one named whose chain is not whole', () => {
    expect(namedBaseBackup([full, inc2], { kind: 'latest' }, inc2.backupId)).toEqual({
      problem: `base backup ${inc2.backupId} is incremental and ${inc1.backupId}, which it rests on, is gone: choose another (pgwarden pitr list)`,
    });
  });
});

describe('namedBaseBackup', () => {
  const older = 'base_20261122_020000';
  it.each([
    ['an older one for a time after the newest', { kind: 'time', time: '2026-11-29T10:00:00.000Z' }],
    ['an older one for latest', { kind: 'latest' }],
    ['an older one for a restore point of unknown position', { kind: 'name', name: 'sql-point' }],
    ['an older one for an LSN after its stop', { kind: 'lsn', lsn: '1/0' }],
  ] as const)('%s', (_what, target) => {
    expect(namedBaseBackup(bases, target, older)).toEqual({ base: expect.objectContaining({ backupId: older }) });
  });

  it.each([
    [
      { kind: 'time', time: '2026-11-25T00:00:00.000Z' },
      '2026-11-25T00:00:00.000Z is before base backup base_20261129_020000 is consistent (2026-11-29T02:10:00.000Z, LSN 2/0); choose an older base backup (pgwarden pitr list) or a later target',
    ],
    [
      { kind: 'name', name: 'before', lsn: '1/80000000' },
      'restore point "before" (at LSN 1/80000000) is before base backup base_20261129_020000 is consistent (2026-11-29T02:10:00.000Z, LSN 2/0); choose an older base backup (pgwarden pitr list) or a later target',
    ],
  ] as const)('refuses one consistent after the target: %j', (target, problem) => {
    expect(namedBaseBackup(bases, target, 'base_20261129_020000')).toEqual({ problem });
  });

  it('starts from a named one that failed its verification, as asked, and says so', () => {
    expect(namedBaseBackup(bases, { kind: 'latest' }, older, new Map([[older, '2026-11-22']]))).toEqual({
      base: expect.objectContaining({ backupId: older }),
      note: 'base backup base_20261122_020000 failed its verification (2026-11-22); recovery starts from it as asked',
    });
  });

  it('says a base backup that does not exist is missing, and where to look', () => {
    expect(namedBaseBackup(bases, { kind: 'latest' }, 'base_20260101_000000')).toEqual({
      problem: 'base backup base_20260101_000000 does not exist (pgwarden pitr list shows the base backups)',
      missing: true,
    });
  });
});

describe('restore points', () => {
  it.each([
    [{ kind: 'lsn', lsn: '1/0' }, '1/0'],
    [{ kind: 'name', name: 'p', lsn: '2/10' }, '2/10'],
    [{ kind: 'name', name: 'p' }, undefined],
    [{ kind: 'time', time: '2026-11-29T10:00:00.000Z' }, undefined],
    [{ kind: 'latest' }, undefined],
  ] as const)('the WAL position of %j', (target, lsn) => {
    expect(targetLsn(target)).toBe(lsn);
  });

  const newest = { backupId: 'base_20261129_020000', start: { lsn: '2/0', timeline: 1, walFile: '' } };
  it('says why a restore point of unknown position may not be found, and what to do', () => {
    expect(unrecordedPointNote({ kind: 'name', name: 'before-migration' }, newest)).toBe(
      '; restore point "before-migration" was not found in the WAL after base backup base_20261129_020000 (from LSN 2/0): pgwarden did not record it (pgwarden pitr mark does), so if it was made before that backup, restore from an older one (--base BASE_ID; pgwarden pitr list shows them), or to its time (--to) or its LSN (--to-lsn, what pg_create_restore_point returned)',
    );
  });
  it.each([
    [{ kind: 'name', name: 'p', lsn: '2/10' }],
    [{ kind: 'lsn', lsn: '2/10' }],
    [{ kind: 'time', time: '2026-11-29T10:00:00.000Z' }],
  ] as const)('adds nothing for %j', (target) => {
    expect(unrecordedPointNote(target, newest)).toBe('');
    expect(unrecordedPointWarning(target, newest.backupId)).toBeUndefined();
  });
  it('warns, when a restore point it did not record is chosen, where recovery will look for it', () => {
    expect(unrecordedPointWarning({ kind: 'name', name: 'sql-point' }, 'base_20261129_020000')).toBe(
      'restore point "sql-point" was not recorded by pgwarden (pitr mark records them, pitr points lists them): recovery starts from the newest base backup, base_20261129_020000, and finds the point only if it was made after that',
    );
  });
});

describe('recovery settings', () => {
  it('promotes at the target, following the newest timeline', () => {
    expect(recoverySettings({ kind: 'time', time: '2026-11-29T10:15:00.000Z' }, 'cp /w/%f "%p"')).toEqual({
      restore_command: 'cp /w/%f "%p"',
      recovery_target_timeline: 'latest',
      recovery_target_action: 'promote',
      recovery_target_time: '2026-11-29 10:15:00.000+00',
      recovery_target_inclusive: 'true',
    });
    expect(recoverySettings({ kind: 'latest' }, 'x')).toEqual({
      restore_command: 'x',
      recovery_target_timeline: 'latest',
      recovery_target_action: 'promote',
    });
    expect(recoverySettings({ kind: 'immediate' }, 'x').recovery_target).toBe('immediate');
    // A base backup's counting point: nothing from the record that starts at it on.
    expect(recoverySettings({ kind: 'lsn', lsn: '0/3000028', before: true }, 'x')).toMatchObject({
      recovery_target_lsn: '0/3000028',
      recovery_target_inclusive: 'false',
    });
    expect(recoverySettings({ kind: 'lsn', lsn: '0/3000028' }, 'x').recovery_target_inclusive).toBeUndefined();
  });

  it('quotes values as postgresql.conf reads them', () => {
    expect(autoConfLines({ recovery_target_name: "it's", restore_command: 'cp a\\b' })).toBe(
      "recovery_target_name = 'it''s'\nrestore_command = 'cp a\\\\b'",
    );
  });
});

describe('fetchedWalCommand', () => {
  /** Runs the command as PostgreSQL would: %f and %p replaced, through /bin/sh. */
  const restore = (dir: string, file: string) => {
    const command = fetchedWalCommand(dir, '.all-fetched').replace(/%f/g, file).replace(/%p/g, join(dir, 'out'));
    return new Promise<number | null>((resolve) => spawn('/bin/sh', ['-c', command]).once('exit', resolve));
  };
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pgwarden-fetched-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies a file that is there', async () => {
    writeFileSync(join(dir, '000000010000000000000003'), 'wal');
    expect(await restore(dir, '000000010000000000000003')).toBe(0);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('wal');
  });

  it('waits for a segment still being fetched, then copies it', async () => {
    const copying = restore(dir, '000000010000000000000004');
    await new Promise((r) => setTimeout(r, 400));
    expect(existsSync(join(dir, 'out'))).toBe(false);
    writeFileSync(join(dir, '000000010000000000000004'), 'late');
    expect(await copying).toBe(0);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('late');
  });

  it('fails for a segment missing once everything is fetched: the end of the archive', async () => {
    writeFileSync(join(dir, '.all-fetched'), '');
    expect(await restore(dir, '000000010000000000000009')).not.toBe(0);
  });

  it('never waits for a timeline history that is not there', async () => {
    const started = Date.now();
    expect(await restore(dir, '00000003.history')).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('targetAfterArchive', () => {
  const newest = Date.parse('2026-11-29T10:00:00.000Z');
  it.each<[string, Parameters<typeof targetAfterArchive>[0], number | null, string | undefined]>([
    ['a time before the newest WAL is fine', { kind: 'time', time: '2026-11-29T09:59:59.000Z' }, newest, undefined],
    ['the very moment is fine', { kind: 'time', time: '2026-11-29T10:00:00.000Z' }, newest, undefined],
    // S3 keeps whole seconds: the file may have landed at 10:00:00.999.
    ['later in the stored second is fine', { kind: 'time', time: '2026-11-29T10:00:00.999Z' }, newest, undefined],
    [
      'the next second is refused',
      { kind: 'time', time: '2026-11-29T10:00:01.000Z' },
      newest,
      '2026-11-29T10:00:01.000Z is after the newest WAL in the archive (stored 2026-11-29T10:00:00.000Z); the recoverable window is 2026-11-22T02:10:00.000Z to about 2026-11-29T10:00:00.000Z: choose a time in it, or --to latest for all there is',
    ],
    [
      'a later time is refused with the window',
      { kind: 'time', time: '2026-11-29T11:00:00.000Z' },
      newest,
      '2026-11-29T11:00:00.000Z is after the newest WAL in the archive (stored 2026-11-29T10:00:00.000Z); the recoverable window is 2026-11-22T02:10:00.000Z to about 2026-11-29T10:00:00.000Z: choose a time in it, or --to latest for all there is',
    ],
    ['latest is never too late', { kind: 'latest' }, newest, undefined],
    ['an empty archive is left to the continuity check', { kind: 'time', time: '2026-11-29T11:00:00.000Z' }, null, undefined],
  ])('%s', (_what, target, at, expected) => {
    expect(targetAfterArchive(target, at, bases[0])).toBe(expected);
  });
});
