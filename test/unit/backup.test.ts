import { buildManifest } from '../../activities/backup-manifest';
import type { DumpResult } from '../../activities/dump-and-upload';
import {
  archiveCompressionOf,
  BackupManifest,
  dataBytes,
  dataCompressionOf,
  dataObjects,
  globalsCompressionOf,
  parseManifest,
} from '../../src/operations/backup/manifest';
import { backupIdFor, nextBackupId, parseBackupId } from '../../src/operations/backup/naming';
import { backupNotice, checkFailedNotice } from '../../src/operations/backup/notices';
import { describeProgress, formatBytes } from '../../src/operations/backup/progress';
import { progressLine } from '../../src/app/cli/progress-line';
import { loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { makeKeyCheck, verifyKeyCheck } from '../../src/infra/crypto/key-check';
import { Keyring } from '../../src/infra/crypto/keyring';
import { BackupError, DatabaseConnectionError } from '../../src/infra/errors/errors';
import { classifyDumpFailure } from '../../src/infra/postgres/dump-errors';
import { uploadParams } from '../../src/infra/storage/upload';
import { backupKeys, evidenceKeys, keyCheckKey, restoreKey } from '../../src/infra/storage/layout';

describe('backup naming', () => {
  it("uses the strategy's backup_YYYYMMDD_HHMMSS in UTC", () => {
    expect(backupIdFor(new Date('2024-01-01T12:00:00.999Z'))).toBe('backup_20240101_120000');
    expect(parseBackupId('backup_20240101_120000')).toEqual(new Date('2024-01-01T12:00:00Z'));
    expect(parseBackupId('backup_20241301_120000')).toBeUndefined();
    expect(parseBackupId('backup_20240101_1200')).toBeUndefined();
  });

  it.each([
    ['backup_20240101_120000', 'backup_20240101_120001'],
    ['backup_20240101_235959', 'backup_20240102_000000'],
    ['backup_20241231_235959', 'backup_20250101_000000'],
    ['backup_20240228_235959', 'backup_20240229_000000'],
  ])('the second after %s is %s', (id, next) => {
    expect(nextBackupId(id)).toBe(next);
  });

  it('refuses to count on from what is not a backup id', () => {
    expect(() => nextBackupId('base_20240101_120000')).toThrow('not a backup id: base_20240101_120000');
  });

  it.each([
    ['custom', 'db/shop/data/backup_20240101_120000.dump.enc'],
    ['plain', 'db/shop/data/backup_20240101_120000.sql.gz.enc'],
  ] as const)('lays out a %s backup as documented', (format, data) => {
    expect(backupKeys('db', 'shop', 'backup_20240101_120000', format)).toEqual({
      data,
      globals: 'db/shop/data/backup_20240101_120000.globals.sql.gz.enc',
      manifest: 'db/shop/manifests/backup_20240101_120000.json',
    });
    expect(backupKeys('', 'shop', 'backup_20240101_120000', format).manifest).toBe('shop/manifests/backup_20240101_120000.json');
  });
});

const dump: DumpResult = {
  backupId: 'backup_20240101_120000',
  database: 'shop',
  databaseName: 'shop',
  keys: backupKeys('p', 'shop', 'backup_20240101_120000', 'custom'),
  server: { host: 'db:5432', version: '15.18', versionNum: 150018 },
  pgDump: { version: 'pg_dump (PostgreSQL) 15.18', format: 'custom' },
  compression: { algorithm: 'gzip', level: 6 },
  encryption: { algorithm: 'AES-256-GCM', keyId: 'k1', container: 'pgwarden-gcm-v1', chunkSize: 1048576 },
  data: {
    key: 'p/shop/data/backup_20240101_120000.dump.enc',
    rawBytes: 100,
    storedBytes: 140,
    sha256: 'a'.repeat(64),
    md5: 'b'.repeat(32),
  },
  globals: {
    key: 'p/shop/data/backup_20240101_120000.globals.sql.gz.enc',
    rawBytes: 10,
    storedBytes: 50,
    sha256: 'c'.repeat(64),
    md5: 'd'.repeat(32),
    withPasswords: false,
  },
  tables: [
    { schema: 'public', table: 'orders', rows: 3 },
    { schema: 'public', table: 'customers', rows: 2 },
    { schema: 'audit', table: 'log', rows: 1 },
  ],
  snapshot: { id: '00000003-0000001B-1', takenAt: '2024-01-01T12:00:00.200Z' },
  storage: { bucket: 'b', storageClass: 'STANDARD_IA', serverSideEncryption: 'AES256', objectLockUntil: null },
};

describe('manifest', () => {
  const manifest = buildManifest(
    {
      dump,
      reason: 'before migration 42',
      workflow: { id: 'backup-shop-x', runId: 'r1' },
      startedAt: '2024-01-01T12:00:00.000Z',
    },
    new Date('2024-01-01T12:00:09.500Z'),
  );

  it('records what docs/FORMAT.md lists, tables sorted, with duration', () => {
    expect(manifest).toMatchObject({
      kind: 'pgwarden.backup',
      formatVersion: 2,
      durationMs: 9500,
      reason: 'before migration 42',
      finishedAt: '2024-01-01T12:00:09.500Z',
    });
    expect(manifest.tables.map((t) => `${t.schema}.${t.table}`)).toEqual(['audit.log', 'public.customers', 'public.orders']);
    expect(Object.keys(manifest)).toEqual(
      expect.arrayContaining([
        'server',
        'pgDump',
        'compression',
        'encryption',
        'data',
        'globals',
        'snapshot',
        'workflow',
        'storage',
        'pgwarden',
      ]),
    );
  });

  it('is version 3 only when a parallel backup has parts, which count in its bytes', () => {
    expect('dataParts' in manifest).toBe(false);
    const part = {
      key: 'db/shop/data/backup_20240101_120000.part2.dump.zst.enc',
      rawBytes: 5,
      storedBytes: 7,
      sha256: 's',
      md5: 'm',
    };
    const parallel = buildManifest(
      {
        dump: { ...dump, dataParts: [{ ...part, tables: [{ schema: 'public', table: 'orders' }] }] },
        reason: 'r',
        workflow: { id: 'w', runId: 'r' },
        startedAt: '2024-01-01T12:00:00.000Z',
      },
      new Date('2024-01-01T12:00:09.500Z'),
    );
    expect(parallel.formatVersion).toBe(3);
    expect(dataObjects(parallel).map((o) => o.key)).toEqual([dump.data.key, part.key]);
    expect(dataBytes(parallel)).toEqual({
      storedBytes: dump.data.storedBytes + 7,
      rawBytes: dump.data.rawBytes + 5,
    });
    expect(parseManifest(JSON.stringify(parallel), 'k')).toEqual(parallel);
  });

  it('round-trips through JSON and refuses what it does not know', () => {
    expect(parseManifest(JSON.stringify(manifest), 'k')).toEqual(manifest);
    expect(() => parseManifest('{', 'k')).toThrow('manifest k is not valid JSON');
    expect(() => parseManifest(JSON.stringify({ ...manifest, kind: 'other' }), 'k')).toThrow(
      'k is not a pgwarden backup manifest',
    );
    expect(() => parseManifest(JSON.stringify({ ...manifest, formatVersion: 4 }), 'k')).toThrow(
      'manifest k has format version 4; this pgwarden reads versions 1, 2 and 3: upgrade pgwarden',
    );
    // A version 1 manifest (gzip only) still reads, and says what to undo as it always meant.
    const v1 = { ...manifest, formatVersion: 1, compression: { algorithm: 'gzip', level: 6 } };
    expect(dataCompressionOf(parseManifest(JSON.stringify(v1), 'k'))).toBe('none');
    expect(dataCompressionOf({ ...v1, pgDump: { ...v1.pgDump, format: 'plain' } } as BackupManifest)).toBe('gzip');
    expect(globalsCompressionOf(v1 as BackupManifest)).toBe('gzip');
    const { tables: _t, ...withoutTables } = manifest;
    expect(() => parseManifest(JSON.stringify(withoutTables), 'k')).toThrow('manifest k lacks "tables"');
  });
});

describe('archiveCompressionOf: what the pg_restore that reads the archive must be built with', () => {
  type Case = [string, 'custom' | 'plain', BackupManifest['compression'] | undefined, string | undefined];
  it.each<Case>([
    ['zstd inside pg_dump 16+', 'custom', { algorithm: 'zstd', level: 1, data: 'none', globals: 'zstd' }, 'zstd'],
    ['lz4 inside pg_dump 16+', 'custom', { algorithm: 'lz4', level: 1, data: 'none', globals: 'lz4' }, 'lz4'],
    ['zstd after pg_dump 15', 'custom', { algorithm: 'zstd', level: 1, data: 'zstd', globals: 'zstd' }, undefined],
    ['gzip inside pg_dump', 'custom', { algorithm: 'gzip', level: 6, data: 'none', globals: 'gzip' }, 'gzip'],
    ['none', 'custom', { algorithm: 'none', level: 0, data: 'none', globals: 'none' }, undefined],
    ['version 1, custom: gzip inside', 'custom', { algorithm: 'gzip', level: 6 }, 'gzip'],
    ['plain SQL compressed after pg_dump', 'plain', { algorithm: 'zstd', level: 1, data: 'zstd', globals: 'zstd' }, undefined],
    ['no compression recorded (oldest manifests), custom', 'custom', undefined, 'gzip'],
  ])('%s', (_name, format, compression, expected) => {
    const m = { pgDump: { version: 'pg_dump (PostgreSQL) 16.2', format }, compression } as BackupManifest;
    expect(archiveCompressionOf(m)).toBe(expected);
  });
});

describe('progress', () => {
  const base = { rawBytes: 0, storedBytes: 0, tablesCounted: 0, tablesTotal: 0, elapsedMs: 0 };
  it.each([
    [{ ...base, phase: 'connecting' as const }, 'connecting to the database'],
    [
      {
        ...base,
        phase: 'dumping' as const,
        rawBytes: 50 * 1048576,
        storedBytes: 20 * 1048576,
        elapsedMs: 2000,
        tablesCounted: 3,
        tablesTotal: 5,
      },
      'dumping: 50.0 MiB from pg_dump, 20.0 MiB encrypted and uploaded at 10.0 MiB/s; rows counted in 3 of 5 tables',
    ],
    [{ ...base, phase: 'uploaded' as const, storedBytes: 1536, elapsedMs: 1500 }, 'uploaded 1.5 KiB in 1.5s'],
  ])('describes %j for a person', (p, text) => expect(describeProgress(p)).toBe(text));

  it('formats bytes', () =>
    // Rates are fractions of a byte per second: whole bytes below a KiB (it printed 32.35014272121789 B).
    expect([0, 32.35014272121789, 1023, 1023.6, 1024, 5 * 1048576, 3 * 1073741824].map(formatBytes)).toEqual([
      '0 B',
      '32 B',
      '1023 B',
      '1.0 KiB',
      '1.0 KiB',
      '5.0 MiB',
      '3.0 GiB',
    ]));

  it('draws the CLI line', () => {
    const p = {
      ...base,
      phase: 'dumping' as const,
      rawBytes: 10 * 1048576,
      storedBytes: 4 * 1048576,
      elapsedMs: 2000,
      summary: '',
    };
    expect(progressLine(p, 'dump', 65_000)).toBe('[1:05] dumping: 10.0 MiB dumped, 4.0 MiB uploaded at 2.0 MiB/s');
    expect(progressLine(undefined, 'preflight', 1000)).toBe('[0:01] preflight');
    const waiting = { ...p, rawBytes: 0, storedBytes: 0, waitingFor: 'waiting for a lock on public.orders held by pid 7' };
    expect(progressLine(waiting, 'dump', 15_000)).toBe(
      '[0:15] dumping: 0 B dumped, 0 B uploaded at 0 B/s; waiting for a lock on public.orders held by pid 7',
    );
    expect(describeProgress(waiting)).toMatch(
      /encrypted and uploaded at 0 B\/s; waiting for a lock on public.orders held by pid 7$/,
    );
  });
});

describe('notices', () => {
  it('say what failed and what to do', () => {
    const n = backupNotice({
      status: 'failed',
      database: 'shop',
      backupId: 'b1',
      errorType: 'StorageError',
      message: 'bucket missing',
      reason: 'scheduled',
      workflowId: 'w',
    });
    expect(n.severity).toBe('critical');
    expect(n.title).toBe('Backup of shop FAILED');
    expect(n.action).toMatch(/^check the bucket \(BACKUP_S3_BUCKET\)/);
    expect(
      backupNotice({
        status: 'failed',
        database: 'shop',
        backupId: 'b1',
        errorType: 'Weird',
        message: 'x',
        reason: 'r',
        workflowId: 'w',
      }).action,
    ).toMatch(/Temporal Web UI/);
  });
});

describe('pg_dump failures', () => {
  it.each([
    [
      { code: 1, signal: null, stderr: 'pg_dump: error: query failed: ERROR:  permission denied for table secrets' },
      BackupError,
      false,
      /pg_dump failed \(exit 1\): query failed: ERROR:  permission denied for table secrets; grant the backup user read access/,
    ],
    [
      {
        code: 1,
        signal: null,
        stderr: 'pg_dump: error: connection to server at "db" (10.0.0.1), port 5432 failed: Connection refused',
      },
      DatabaseConnectionError,
      true,
      /check that the database server is up/,
    ],
    [
      {
        code: 1,
        signal: null,
        stderr:
          'pg_dump: error: connection to server at "db" (10.0.0.1), port 5432 failed: FATAL:  sorry, too many clients already',
      },
      DatabaseConnectionError,
      true,
      /FATAL:  sorry, too many clients already; the server has no connection free for it: raise max_connections .*a backup takes BACKUP_JOBS \+ 2\)$/,
    ],
    [
      { code: 1, signal: null, stderr: 'pg_dump: error: aborting because of server version mismatch' },
      BackupError,
      false,
      /install a pg_dump at least as new as the server/,
    ],
    [
      {
        code: 1,
        signal: null,
        stderr:
          'pg_dump: error: Dumping the contents of table "t" failed: PQgetResult() failed.\npg_dump: detail: Error message from server: ERROR:  canceling statement due to conflict with recovery\nDETAIL:  User query might have needed to see row versions that must be removed.',
      },
      BackupError,
      true,
      /conflict with recovery; the server is a standby whose recovery cancelled the dump: on the standby set hot_standby_feedback = on \(or max_standby_streaming_delay = -1\), or back up the primary$/,
    ],
    [
      {
        code: 1,
        signal: null,
        stderr: 'pg_dump: error: query failed: FATAL:  terminating connection due to conflict with recovery',
      },
      BackupError,
      true,
      /the server is a standby whose recovery cancelled the dump/,
    ],
    [
      {
        code: 1,
        signal: null,
        stderr:
          'pg_dump: error: query failed: ERROR:  out of shared memory\nHINT:  You might need to increase max_locks_per_transaction.\npg_dump: detail: Query was: LOCK TABLE public.events_3999 IN ACCESS SHARE MODE',
      },
      BackupError,
      true,
      /^pg_dump failed \(exit 1\): query failed: ERROR:  out of shared memory; the server's lock table is full .*: raise max_locks_per_transaction on the server \(it takes a restart\)$/,
    ],
    [
      { code: 1, signal: null, stderr: 'pg_dump: error: query failed: FATAL:  query_wait_timeout' },
      DatabaseConnectionError,
      true,
      /^pg_dump failed \(exit 1\): query failed: FATAL:  query_wait_timeout; a connection pooler \(PgBouncer\) kept it waiting .*raise default_pool_size/,
    ],
    [{ code: null, signal: 'SIGKILL' as const, stderr: '' }, BackupError, true, /pg_dump failed \(killed by SIGKILL\)/],
    [
      { code: null, signal: null, stderr: 'spawn pg_dump ENOENT (not found)' },
      BackupError,
      false,
      /install the PostgreSQL client tools/,
    ],
  ])('%j', (result, type, retryable, message) => {
    const e = classifyDumpFailure('pg_dump', result);
    expect(e).toBeInstanceOf(type);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toMatch(message);
  });
});

describe('upload parameters', () => {
  const config = loadConfig(
    {
      DATABASE_URL: 'postgres://u:p@h/db',
      BACKUP_S3_BUCKET: 'bucket',
      BACKUP_ENCRYPTION_KEY: 'a'.repeat(64),
      S3_SERVER_SIDE_ENCRYPTION: 'aws:kms',
      S3_SSE_KMS_KEY_ID: 'kms-1',
      S3_OBJECT_LOCK_MODE: 'COMPLIANCE',
      S3_OBJECT_LOCK_DAYS: '7',
    },
    { require: WORKER_NEEDS },
  );
  it('ask the store to verify checksums, never overwrite, encrypt and lock', () => {
    const until = new Date('2024-01-08T00:00:00Z');
    expect(
      uploadParams(config.storage!, { key: 'k', body: 'x', storageClass: 'STANDARD_IA', objectLockUntil: until }),
    ).toMatchObject({
      Bucket: 'bucket',
      Key: 'k',
      ChecksumAlgorithm: 'SHA256',
      IfNoneMatch: '*',
      StorageClass: 'STANDARD_IA',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'kms-1',
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: until,
    });
  });
  it('tag the object in the upload itself, URL-encoded as x-amz-tagging wants', () => {
    expect(
      uploadParams(config.storage!, { key: 'k', body: 'x', tags: { 'pgwarden-kind': 'data', 'pgwarden-database': 'a b&c' } })
        .Tagging,
    ).toBe('pgwarden-kind=data&pgwarden-database=a%20b%26c');
    expect(uploadParams(config.storage!, { key: 'k', body: 'x' })).not.toHaveProperty('Tagging');
  });
});

describe.each(['AES-256-GCM', 'AES-256-CBC'])('key checks, %s', (algorithm) => {
  const ring = (key: string) =>
    Keyring.from(
      loadConfig(
        {
          DATABASE_URL: 'postgres://u:p@h/db',
          BACKUP_S3_BUCKET: 'bucket',
          BACKUP_ENCRYPTION_KEY: key,
          BACKUP_ENCRYPTION_KEY_ID: 'k1',
          ENCRYPTION_ALGORITHM: algorithm,
        },
        { require: WORKER_NEEDS },
      ).encryption,
    );
  // With CBC the check written by the first run was refused by every later one as "wrong key" (exit 4).
  it('accept the same key and refuse another key under the same id', async () => {
    const check = await makeKeyCheck(ring('a'.repeat(64)));
    await expect(verifyKeyCheck(check, ring('a'.repeat(64)), 'loc')).resolves.toBeUndefined();
    await expect(verifyKeyCheck(check, ring('b'.repeat(64)), 'loc')).rejects.toThrow(
      'wrong key: BACKUP_ENCRYPTION_KEY is not the key that id "k1" stands for in this bucket (loc)',
    );
    expect(keyCheckKey('database-backups', 'k1')).toBe('database-backups/.pgwarden/keys/k1.check');
  });
});

describe('records named by time', () => {
  it('start with the compact UTC time, then the id made safe for a key', () => {
    expect(restoreKey('pg', 'shop', '2026-11-24T01:30:00.123Z', 'restore/shop 1')).toBe(
      'pg/shop/records/restores/20261124T013000Z_restore_shop_1.json',
    );
    expect(evidenceKeys('', 'shop', '2026-11-24T01:30:05Z', 'dr-shop-20261124T013000Z')).toEqual({
      json: 'shop/reports/20261124T013005Z_dr-shop-20261124T013000Z.json',
      markdown: 'shop/reports/20261124T013005Z_dr-shop-20261124T013000Z.md',
    });
  });
});

it('a check that could not look says so as an alert: whether backups are missing is unknown', () => {
  expect(
    checkFailedNotice({
      database: 'shop',
      errorType: 'StorageError',
      message: 'cannot reach bucket',
      workflowId: 'check-shop-1',
    }),
  ).toEqual({
    event: 'backup.check-failed',
    about: 'shop',
    severity: 'critical',
    title: 'Backups of shop could not be checked',
    facts: [
      ['Database', 'shop'],
      ['Error', 'StorageError: cannot reach bucket'],
      ['Workflow', 'check-shop-1'],
    ],
    action:
      'whether backups are missing is unknown until the check runs: fix the cause named above (often the bucket or its credentials, which the nightly backup needs too), then look with pgwarden restore --list --database shop',
  });
});
