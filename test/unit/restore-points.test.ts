import { formatPoints } from '../../src/app/cli/commands/pitr';
import { restorePointKey } from '../../src/infra/storage/layout';
import {
  otherClusterPoint,
  parseRestorePoint,
  restorePointNameProblem,
  utf8Length,
} from '../../src/operations/pitr/restore-points';

describe('restorePointNameProblem', () => {
  it.each([
    ['before-migration-42', undefined],
    ['x'.repeat(63), undefined],
    ['', 'the restore point name is empty'],
    ['   ', 'the restore point name is empty'],
    ['x'.repeat(64), 'the restore point name is 64 bytes long; PostgreSQL keeps at most 63: choose a shorter one'],
    // Bytes, not characters: 32 two-byte letters.
    ['é'.repeat(32), 'the restore point name is 64 bytes long; PostgreSQL keeps at most 63: choose a shorter one'],
  ])('%j', (name, problem) => {
    expect(restorePointNameProblem(name)).toBe(problem);
  });
});

describe('utf8Length', () => {
  it.each(['', 'before-migration', 'é', 'änderung vor 10:00', '€', '日本語の名前', '😀 emoji', '\ud800 lone surrogate'])(
    'counts %j as Buffer does',
    (text) => {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    },
  );

  it('checks a name where there is no Buffer (the workflow sandbox: the incident validates names)', () => {
    // A bug: dr select --to-name failed "Buffer is not defined" inside the workflow.
    const saved = globalThis.Buffer;
    try {
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      expect(restorePointNameProblem('é'.repeat(32))).toMatch(/is 64 bytes long/);
    } finally {
      globalThis.Buffer = saved;
    }
  });
});

describe('restorePointKey', () => {
  it('keeps a name with a slash or spaces inside one key', () => {
    expect(restorePointKey('database-backups', 'shop', 'release 4.2/before')).toBe(
      'database-backups/shop/restore-points/release%204.2%2Fbefore.json',
    );
  });
});

describe('parseRestorePoint', () => {
  const record = {
    kind: 'pgwarden.restore-point',
    formatVersion: 1,
    server: 'shop',
    name: 'before',
    lsn: '0/3000090',
    timeline: 1,
    createdAt: '2026-12-01T18:00:00.000Z',
    systemIdentifier: '7441',
    workflow: { id: 'w', runId: 'r' },
  };
  it('reads a record', () => {
    expect(parseRestorePoint(JSON.stringify(record), 'k')).toEqual(record);
  });
  it.each([
    ['{', 'restore point record k is not valid JSON'],
    [JSON.stringify({ ...record, kind: 'other' }), 'k is not a pgwarden restore point record'],
    [
      JSON.stringify({ ...record, formatVersion: 2 }),
      'restore point record k has format version 2; this pgwarden reads version 1: upgrade pgwarden',
    ],
    [JSON.stringify({ ...record, lsn: undefined }), 'restore point record k lacks "lsn"'],
  ])('refuses %s', (text, message) => {
    expect(() => parseRestorePoint(text, 'k')).toThrow(message);
  });
});

describe('formatPoints', () => {
  it('lists each point with the base backup a restore to it starts from, or why none can', () => {
    expect(
      formatPoints('shop', [
        {
          name: 'before-migration-42',
          lsn: '3/5A0F10C8',
          createdAt: '2026-11-30T09:15:00.123Z',
          fromBaseBackup: 'base_20261130_020000',
        },
        {
          name: 'old',
          lsn: '0/5000000',
          createdAt: '2026-11-01T09:15:00.000Z',
          fromBaseBackup: null,
          unreachable: 'before the oldest base backup',
        },
      ]),
    ).toBe(
      [
        'RESTORE POINT        MADE (UTC)            LSN         RESTORE STARTS FROM',
        'before-migration-42  2026-11-30 09:15:00Z  3/5A0F10C8  base_20261130_020000',
        'old                  2026-11-01 09:15:00Z  0/5000000   not reachable: before the oldest base backup',
      ].join('\n'),
    );
    expect(formatPoints('shop', [])).toBe('no restore points of shop are recorded: make one with pgwarden pitr mark NAME');
  });
});

describe('otherClusterPoint', () => {
  const base = (finishedAt: string, systemIdentifier?: string) => ({ finishedAt, serverInfo: { systemIdentifier } });
  const bases = [base('2026-12-01T02:00:00Z', '111'), base('2026-11-01T02:00:00Z', '999')];
  it.each([
    ['the same cluster as the newest base backup', '111', bases, undefined],
    ['a point recorded without an identifier', undefined, bases, undefined],
    ['base backups from before identifiers were recorded', '999', [base('2026-12-01T02:00:00Z')], undefined],
    ['no base backup', '999', [], undefined],
    [
      'another cluster than the newest base backup',
      '999',
      bases,
      'restore point "p" was made on database system 999, but the newest base backup is of database system 111 (a replaced or upgraded server): move the old cluster\'s restore-points/ aside, or restore to the point\'s time (--to)',
    ],
  ])('%s', (_what, systemIdentifier, given, problem) => {
    expect(otherClusterPoint({ name: 'p', systemIdentifier: systemIdentifier! }, given)).toBe(problem);
  });
});
