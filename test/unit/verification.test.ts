import { catalogEntry, newestFirst } from '../../src/operations/catalog/catalog';
import { objectMismatches } from '../../src/operations/verify/object-integrity';
import {
  buildVerificationRecord,
  checkSize,
  compareRowCounts,
  describeDifference,
} from '../../src/operations/verify/verification';
import { formatCatalog } from '../../src/app/cli/commands/restore';
import { formatVerifyResult } from '../../src/app/cli/commands/verify';
import { tempDatabaseName } from '../../workflows/verify';
import { attemptName, earlierAttemptNames, isAttemptName } from '../../src/infra/temporal/attempt-names';
import { buildManifest } from '../../activities/backup-manifest';
import { backupKeys } from '../../src/infra/storage/layout';

describe('row count comparison', () => {
  const t = (schema: string, table: string, rows: number) => ({ schema, table, rows });
  it('lists every table whose count differs, or that is missing on either side', () => {
    const diffs = compareRowCounts(
      [t('public', 'a', 1), t('public', 'b', 2), t('x', 'gone', 3)],
      [t('public', 'a', 1), t('public', 'b', 5), t('y', 'new', 4)],
    );
    expect(diffs.map(describeDifference)).toEqual([
      'public.b: manifest 2 rows, restored 5',
      'x.gone: in the manifest (3 rows) but missing after restore',
      'y.new: restored (4 rows) but not in the manifest',
    ]);
    expect(compareRowCounts([t('s', 'a.b', 1)], [t('s.a', 'b', 1)])).toHaveLength(2); // dots in names do not collide
  });
});

describe('size check', () => {
  it.each([
    [100, [], true, null],
    [100, [100, 90, 110], true, 0],
    [160, [100, 100], false, 60],
    [40, [100, 90, 110, 100], false, -60],
    [0, [0], true, 0],
  ])('%i bytes against %j', (size, previous, ok, change) => {
    const r = checkSize(size, previous, 50);
    expect(r.ok).toBe(ok);
    expect(r.changePercent).toBe(change);
    expect(r.previousCount).toBe(previous.length);
  });
});

describe('verification record', () => {
  const base = {
    database: 'shop',
    backupId: 'backup_20240101_120000',
    size: checkSize(100, [], 50),
    startedAt: new Date('2024-01-02T00:00:00Z'),
    finishedAt: new Date('2024-01-02T00:00:05Z'),
    workflow: { id: 'w', runId: 'r' },
  };
  const okIntegrity = { checksums: { ok: true, detail: 'ok' }, decryption: { ok: true, detail: 'ok' } };
  it('passes when every check passes', () => {
    const r = buildVerificationRecord({
      ...base,
      integrity: okIntegrity,
      restore: { restore: { ok: true, detail: 'ok', restoreMs: 1200 }, rowCounts: { ok: true, tables: 3, differences: [] } },
    });
    expect(r).toMatchObject({ status: 'passed', failures: [], warnings: [], durationMs: 5000 });
  });
  it('fails with every failed check, and marks the restore as not attempted after an integrity failure', () => {
    const r = buildVerificationRecord({
      ...base,
      integrity: { checksums: { ok: false, detail: 'sha256 differs' }, decryption: { ok: false, detail: 'chunk 3' } },
      restore: undefined,
      size: checkSize(300, [100], 50),
    });
    expect(r.status).toBe('failed');
    expect(r.failures).toEqual([
      'checksums: sha256 differs',
      'decryption: chunk 3',
      'test restore: not attempted: the stored object failed its integrity checks',
    ]);
    expect(r.warnings).toEqual(['size: 300 bytes is +200% against the median 100 of the previous 1 backups (threshold 50%)']);
  });
  it.each([
    [
      'a restore that ran into a damaged object says it stopped there',
      { checksums: { ok: false, detail: 'sha256 differs' }, decryption: { ok: true, detail: 'ok' } },
      { ok: false, detail: 'pg_restore failed (exit 1)' },
      ['checksums: sha256 differs', 'test restore: stopped: the stored object failed its integrity checks'],
    ],
    [
      'a restore that failed on an intact object keeps its own reason',
      okIntegrity,
      { ok: false, detail: 'pg_restore failed (exit 1): extension "x" is not available' },
      ['test restore: pg_restore failed (exit 1): extension "x" is not available'],
    ],
    [
      'a restore that passed, with damaged globals',
      { ...okIntegrity, decryption: { ok: false, detail: 'globals' } },
      { ok: true, detail: 'ok' },
      ['decryption: globals'],
    ],
  ])('%s', (_what, integrity, restore, failures) => {
    const r = buildVerificationRecord({
      ...base,
      integrity,
      restore: {
        restore: { ...restore, restoreMs: 900 },
        rowCounts: { ok: restore.ok, tables: restore.ok ? 3 : 0, differences: [] },
      },
    });
    expect(r.failures).toEqual(failures);
    expect(r.checks.restore.restoreMs).toBe(900);
  });
});

describe('catalog and CLI output', () => {
  const manifest = (id: string) =>
    buildManifest(
      {
        dump: {
          backupId: id,
          database: 'shop',
          databaseName: 'shop',
          keys: backupKeys('p', 'shop', id, 'custom'),
          server: { host: 'h', version: '15', versionNum: 150000 },
          pgDump: { version: 'v', format: 'custom' },
          compression: { algorithm: 'gzip', level: 6 },
          encryption: { algorithm: 'AES-256-GCM', keyId: 'k1', container: 'pgwarden-gcm-v1' },
          data: { key: `p/shop/data/${id}.dump.enc`, rawBytes: 1, storedBytes: 2048, sha256: 's', md5: 'm' },
          globals: { key: 'g', rawBytes: 1, storedBytes: 1, sha256: 's', md5: 'm', withPasswords: false },
          tables: [{ schema: 'public', table: 't', rows: 7 }],
          snapshot: { id: 'x', takenAt: '2024-01-01T12:00:00.123Z' },
          storage: { bucket: 'b', storageClass: 'STANDARD_IA', serverSideEncryption: 'AES256', objectLockUntil: null },
        },
        reason: 'nightly',
        workflow: { id: 'w', runId: 'r' },
        startedAt: '2024-01-01T12:00:00.000Z',
      },
      new Date('2024-01-01T12:00:03Z'),
    );
  it('lists newest first with verification state and current storage class', () => {
    const entries = newestFirst([
      catalogEntry(manifest('backup_20240101_120000'), 'm1', 'GLACIER', undefined),
      catalogEntry(manifest('backup_20240102_120000'), 'm2', undefined, undefined),
    ]);
    expect(entries.map((e) => [e.backupId, e.storageClass, e.verification.status, e.rows])).toEqual([
      ['backup_20240102_120000', 'STANDARD_IA', 'never', 7],
      ['backup_20240101_120000', 'GLACIER', 'never', 7],
    ]);
    expect(formatCatalog('shop', entries).split('\n')).toEqual([
      'BACKUP                  SNAPSHOT (UTC)        SIZE     FORMAT  VERIFIED  CLASS        REASON',
      'backup_20240102_120000  2024-01-01 12:00:00Z  2.0 KiB  custom  no        STANDARD_IA  nightly',
      'backup_20240101_120000  2024-01-01 12:00:00Z  2.0 KiB  custom  no        GLACIER      nightly',
    ]);
    expect(formatCatalog('shop', [])).toBe('no complete backups of shop');
  });
  it('prints verification results with their reasons', () => {
    expect(
      formatVerifyResult({
        database: 'shop',
        verified: [
          {
            backupId: 'b1',
            status: 'failed',
            failures: ['checksums: x'],
            warnings: ['size: y'],
            durationMs: 2000,
            restoreMs: null,
          },
        ],
      }),
    ).toBe('b1: FAILED\n  failed:  checksums: x\n  warning: size: y');
  });
  it('prints a base backup verified alone without the dumps it did not look at', () => {
    const baseBackup = {
      server: 'shop',
      backupId: 'base_20261201_010000',
      status: 'passed' as const,
      failures: [],
      verifyBackup: { ok: true, detail: 'backup successfully verified' },
      recovery: { ok: true, detail: '', seconds: 4.2, lsn: '0/3000100' },
      rowCounts: { compared: true, tables: 3, differences: [] },
      durationMs: 9000,
    };
    const pitr = { server: 'shop', baseBackups: 2, walSegments: 9, window: null, firstMissing: null, problems: [] };
    expect(formatVerifyResult({ database: 'shop', verified: [], pitr, baseBackup, baseOnly: true })).toBe(
      'point-in-time archive: PASSED (2 base backup(s), 9 WAL segment(s))\n' +
        'base backup base_20261201_010000: PASSED (pg_verifybackup, recovery to 0/3000100 in 4.2 s, row counts of 3 table(s) match)',
    );
    // --all-unverified: the older base backups never verified before the newest, each on its line.
    const older = { ...baseBackup, backupId: 'base_20261130_010000', status: 'failed' as const, failures: ['recovery: x'] };
    expect(
      formatVerifyResult({ database: 'shop', verified: [], pitr, baseBackup, olderBaseBackups: [older] })
        .split('\n')
        .slice(2),
    ).toEqual([
      'base backup base_20261130_010000: FAILED: recovery: x',
      'base backup base_20261201_010000: PASSED (pg_verifybackup, recovery to 0/3000100 in 4.2 s, row counts of 3 table(s) match)',
    ]);
    // Without --base, a server without dumps says so.
    expect(formatVerifyResult({ database: 'shop', verified: [], pitr, baseBackup }).split('\n')[0]).toBe(
      'nothing to verify for shop',
    );
  });
  it('names temporary databases after the backup and the run, safely', () => {
    expect(tempDatabaseName('backup_20240101_120000', '01A20B48-3543-791E-993E-01B42EA15B21')).toBe(
      'pgwarden_verify_20240101_120000_01a20b483543',
    );
  });
  it.each<[number, string, string[]]>([
    [1, 'pgwarden_verify_x', []],
    [2, 'pgwarden_verify_x_2', ['pgwarden_verify_x']],
    [3, 'pgwarden_verify_x_3', ['pgwarden_verify_x', 'pgwarden_verify_x_2']],
  ])('attempt %p loads into %p, after dropping %p', (attempt, own, earlier) => {
    expect(attemptName('pgwarden_verify_x', attempt)).toBe(own);
    expect(earlierAttemptNames('pgwarden_verify_x', attempt)).toEqual(earlier);
  });
  it.each<[string, boolean]>([
    ['table-shop-0a1b2c3d4e', true],
    ['table-shop-0a1b2c3d4e_2', true],
    ['table-shop-0a1b2c3d4e_12', true],
    ['table-shop-0a1b2c3d4e_1', false],
    ['table-shop-0a1b2c3d4e_02', false],
    ['table-shop-0a1b2c3d4e_x', false],
    ['table-shop-0a1b2c3d4e2', false],
    ['table-shop-0a1b2c3d4f', false],
  ])('%s is one of the run table-shop-0a1b2c3d4e attempt names: %p', (name, is) =>
    expect(isAttemptName('table-shop-0a1b2c3d4e', name)).toBe(is),
  );
});

describe('a stored object against its manifest', () => {
  const expected = { key: 'k', storedBytes: 10, sha256: 'a'.repeat(64), md5: 'b'.repeat(32) };
  it.each([
    ['identical, all three measured', { bytes: 10, sha256: 'a'.repeat(64), md5: 'b'.repeat(32) }, []],
    ['identical, measured while streaming (no MD5)', { bytes: 10, sha256: 'a'.repeat(64) }, []],
    [
      'another SHA-256, no MD5',
      { bytes: 10, sha256: 'c'.repeat(64) },
      [`expected sha256 ${'a'.repeat(64)}, computed ${'c'.repeat(64)}`],
    ],
    ['short, no MD5', { bytes: 9, sha256: 'a'.repeat(64) }, ['expected 10 bytes, found 9']],
    [
      'another MD5',
      { bytes: 10, sha256: 'a'.repeat(64), md5: 'e'.repeat(32) },
      [`expected md5 ${'b'.repeat(32)}, computed ${'e'.repeat(32)}`],
    ],
  ])('%s', (_what, found, problems) => {
    expect(objectMismatches(expected, found)).toEqual(problems);
  });
});
