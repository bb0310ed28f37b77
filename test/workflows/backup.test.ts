/**
 * BackupWorkflow end to end on the real stack: a database with awkward content is backed up,
 * then downloaded, decrypted and restored into a new database, and compared table by table.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { buffer } from 'node:stream/consumers';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { dataCompressionOf, parseManifest } from '../../src/operations/backup/manifest';
import { openDecryptedObject } from '../../src/operations/restore/read-object';
import { describeFailure } from '../../src/app/cli/failure';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { Keyring } from '../../src/infra/crypto/keyring';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { createDatabase, restoreInto, tableFingerprints, uniqueDatabaseName, withClient } from '../support/databases';
import { capturedMail, capturedPages, capturedWebhooks, waitForCaptured } from '../support/sinks';
import { stackConfig } from '../support/stack-env';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';
import { setTimeout as sleep } from 'node:timers/promises';
import { keyCheckKey } from '../../src/infra/storage/layout';
import { Bucket } from '../../src/infra/storage/bucket';

describe('BackupWorkflow (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('backup');
  const { workerFor, backup } = suite;
  const { track } = suite;

  it('round-trips awkward content: schemas, quoted and non-ASCII names, bytea, jsonb, large objects, partitions, sequences, views', async () => {
    const db = uniqueDatabaseName('awkward');
    const restored = uniqueDatabaseName('restored');
    track(db, restored);
    await createDatabase(db, 'awkward.sql');
    const { taskQueue, config } = await workerFor(db);
    const summary = await backup(db, taskQueue);

    const s3 = createS3Client(config.storage!);
    const manifestObject = await s3.send(new GetObjectCommand({ Bucket: summary.bucket, Key: summary.manifestKey }));
    expect(manifestObject.StorageClass ?? 'STANDARD').toBe('STANDARD');
    const manifest = parseManifest(await manifestObject.Body!.transformToString(), summary.manifestKey);
    const source = await tableFingerprints(db);
    // The manifest counts every table the dump holds, exactly.
    expect(Object.fromEntries(manifest.tables.map((t) => [`${t.schema}.${t.table}`, t.rows]))).toEqual(
      Object.fromEntries(Object.entries(source).map(([k, v]) => [k, v.rows])),
    );
    expect(manifest.tables.find((t) => t.table === 'Orders "quoted" ✓')).toEqual({
      schema: 'Sales Ünïcode',
      table: 'Orders "quoted" ✓',
      rows: 3000,
    });
    expect(manifest).toMatchObject({
      database: db,
      encryption: { algorithm: 'AES-256-GCM', container: 'pgwarden-gcm-v1' },
      pgDump: { format: 'custom' },
      reason: 'test',
    });
    expect(manifest.data.sha256).toBe(summary.sha256);

    // Stored bytes match the manifest's checksums; the data object is tagged for lifecycle rules.
    const stored = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: summary.bucket, Key: summary.dataKey }))).Body!.transformToByteArray(),
    );
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(stored).digest('hex')).toBe(manifest.data.sha256);
    expect(createHash('md5').update(stored).digest('hex')).toBe(manifest.data.md5);
    expect(stored.length).toBe(manifest.data.storedBytes);
    const tags = async (key: string) =>
      Object.fromEntries(
        ((await s3.send(new GetObjectTaggingCommand({ Bucket: summary.bucket, Key: key }))).TagSet ?? []).map((t) => [
          t.Key,
          t.Value,
        ]),
      );
    expect(await tags(summary.dataKey)).toEqual({ 'pgwarden-kind': 'data', 'pgwarden-database': db });
    expect(await tags(manifest.globals.key)).toEqual({ 'pgwarden-kind': 'data', 'pgwarden-database': db });
    // The manifest stays out of lifecycle transitions: always readable without a retrieval.
    expect(await tags(summary.manifestKey)).toEqual({});

    // Download, decrypt, pg_restore into a new database: identical data.
    const keyring = Keyring.from(config.encryption);
    const decrypted = await openDecryptedObject(
      new Bucket(config.storage!, s3),
      summary.dataKey,
      keyring,
      manifest.encryption.keyId,
    );
    await createDatabase(restored);
    // zstd by default, outside pg_dump: the name and the manifest say so.
    expect(summary.dataKey).toMatch(/\/data\/backup_\d{8}_\d{6}\.dump\.zst\.enc$/);
    expect(manifest.compression).toEqual({ algorithm: 'zstd', level: 1, data: 'zstd', globals: 'zstd' });
    await restoreInto(decrypted.plaintext, restored, 'custom', dataCompressionOf(manifest));
    expect(await tableFingerprints(restored)).toEqual(source);
    await withClient(restored, async (c) => {
      expect((await c.query(`SELECT last_value FROM public.invoice_no`)).rows[0].last_value).toBe('1004');
      const lo = await c.query(`SELECT encode(lo_get(blob), 'hex') AS h FROM public.documents WHERE id = 1`);
      expect(lo.rows[0].h).toBe('deadbeefcafe');
      expect((await c.query(`SELECT count(*)::int AS n FROM public.big_orders`)).rows[0].n).toBeGreaterThan(0);
    });

    // Globals: roles, so a new server has them.
    const globals = await openDecryptedObject(new Bucket(config.storage!, s3), manifest.globals.key, keyring);
    expect(zstdDecompressed(await buffer(globals.plaintext))).toMatch(/CREATE ROLE pgwarden;/);

    // Notified by e-mail and Slack; the pager's backup alert of the database, if any, resolved.
    expect(summary.notifications).toEqual([
      { channel: 'email', ok: true },
      { channel: 'slack', ok: true },
      { channel: 'pagerduty', ok: true },
    ]);
    expect((await capturedPages(`pgwarden:backup:${db}`)).map((p) => p.body.event_action)).toEqual(['resolve']);
    const [mail] = await waitForCaptured(capturedMail, summary.dataKey);
    expect(mail.subject).toBe(`[pgwarden] OK: Backup of ${db} succeeded`);
    expect(mail.text).toContain(summary.dataKey);
    expect(await waitForCaptured(capturedWebhooks, summary.dataKey)).toHaveLength(1);
    s3.destroy();
  });

  it('writes plain SQL, gzip and AES-256-CBC that OpenSSL-style readers restore', async () => {
    const db = uniqueDatabaseName('plain');
    const restored = uniqueDatabaseName('plainrest');
    track(db, restored);
    await createDatabase(db, 'awkward.sql');
    const { taskQueue, config } = await workerFor(db, {
      BACKUP_FORMAT: 'plain',
      BACKUP_COMPRESSION: 'gzip',
      ENCRYPTION_ALGORITHM: 'AES-256-CBC',
      BACKUP_ENCRYPTION_KEY: 'a passphrase as the old scripts had',
      BACKUP_ENCRYPTION_KEY_ID: `cbc-${uniqueSuffix()}`,
    });
    const summary = await backup(db, taskQueue);
    expect(summary.dataKey).toMatch(/\/data\/backup_\d{8}_\d{6}\.sql\.gz\.enc$/);
    const s3 = createS3Client(config.storage!);
    const decrypted = await openDecryptedObject(
      new Bucket(config.storage!, s3),
      summary.dataKey,
      Keyring.from(config.encryption),
      summary.encryption.keyId,
    );
    expect(decrypted.kdf).toBe('pbkdf2-sha256-10000');
    await createDatabase(restored);
    await restoreInto(decrypted.plaintext, restored, 'plain-gz');
    expect(await tableFingerprints(restored)).toEqual(await tableFingerprints(db));
    s3.destroy();

    // The next night's backup reads the key check the first one wrote (CBC refused it as "wrong key" before).
    await sleep(1100); // backup ids are per second
    const next = await backup(db, taskQueue);
    expect(next.encryption.keyId).toBe(summary.encryption.keyId);
  });

  it.each([
    [
      'an unreachable database',
      (db: string) => ({ DATABASE_URL: `postgres://pgwarden:x@127.0.0.1:1/${db}` }),
      'DatabaseConnectionError',
      2,
      /connection refused/,
    ],
    [
      'a missing bucket',
      () => ({ BACKUP_S3_BUCKET: 'no-such-bucket' }),
      'StorageError',
      3,
      /bucket "no-such-bucket".* does not exist/,
    ],
  ])('fails on %s with its typed error, exit code and a notice', async (_what, overrides, type, exitCode, message) => {
    const db = uniqueDatabaseName('fail');
    track(db);
    await createDatabase(db);
    const { taskQueue } = await workerFor(db, overrides(db));
    const workflowId = `backup-${db}-${uniqueSuffix()}`;
    const err = await suite.server.client.workflow
      .execute(WorkflowType.backup, { taskQueue, workflowId, args: [{ database: db, failFast: true }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = describeFailure(err);
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.lines[0]).toMatch(message);
    const [mail] = await waitForCaptured(capturedMail, workflowId);
    expect(mail.subject).toMatch(/FAILED: Backup of .* FAILED/);
    expect(mail.text).toContain(type);
    expect(mail.text).toMatch(/What to do: /);
    expect(await waitForCaptured(capturedWebhooks, workflowId)).toHaveLength(1);
    // Recorded for the report where the bucket exists, and no bucket created where it does not.
    const storage = stackConfig().storage!;
    const s3 = createS3Client(storage);
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? [];
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: `${storage.prefix}/${db}/records/backup-failures/` }),
    );
    s3.destroy();
    expect(buckets.includes('no-such-bucket')).toBe(false);
    expect(Contents).toHaveLength(type === 'StorageError' ? 0 : 1);
  });

  it('refuses a wrong key for a known key id (exit code 4) before writing anything', async () => {
    const db = uniqueDatabaseName('wrongkey');
    track(db);
    await createDatabase(db, 'awkward.sql');
    const keyId = `rotating-${uniqueSuffix()}`;
    const first = await workerFor(db, { BACKUP_ENCRYPTION_KEY: 'a'.repeat(64), BACKUP_ENCRYPTION_KEY_ID: keyId });
    await backup(db, first.taskQueue);
    const second = await workerFor(db, { BACKUP_ENCRYPTION_KEY: 'b'.repeat(64), BACKUP_ENCRYPTION_KEY_ID: keyId });
    const workflowId = `backup-${db}-${uniqueSuffix()}`;
    const err = await suite.server.client.workflow
      .execute(WorkflowType.backup, { taskQueue: second.taskQueue, workflowId, args: [{ database: db, failFast: true }] })
      .catch((e: unknown) => e);
    const failure = describeFailure(err);
    expect(failure.exitCode).toBe(4);
    expect(failure.lines[0]).toContain(
      `wrong key: BACKUP_ENCRYPTION_KEY is not the key that id "${keyId}" stands for in this bucket`,
    );
    expect(failure.lines[0]).toContain(keyCheckKey('database-backups', keyId));
    const [mail] = await waitForCaptured(capturedMail, workflowId);
    expect(mail.text).toContain('EncryptionError');
    // Only the first backup's objects exist.
    const s3 = createS3Client(second.config.storage!);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: second.config.storage!.bucket, Prefix: `database-backups/${db}/` }),
    );
    expect((listed.Contents ?? []).filter((o) => o.Key!.includes('/manifests/'))).toHaveLength(1);
    s3.destroy();
  });

  it('counts rows in the dump snapshot while writers keep inserting', async () => {
    const db = uniqueDatabaseName('busy');
    const restored = uniqueDatabaseName('busyrest');
    track(db, restored);
    await createDatabase(db);
    await withClient(db, (c) =>
      c.query(`CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp(), pad text);
      INSERT INTO ticks (pad) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 200000) g`),
    );
    const { taskQueue, config } = await workerFor(db);
    let writing = true;
    let inserted = 0;
    const writer = withClient(db, async (c) => {
      while (writing) {
        await c.query(`INSERT INTO ticks (pad) SELECT md5(random()::text) FROM generate_series(1, 50)`);
        inserted += 50;
      }
    });
    const summary = await backup(db, taskQueue).finally(() => (writing = false));
    await writer;
    expect(inserted).toBeGreaterThan(0);
    const s3 = createS3Client(config.storage!);
    const manifest = parseManifest(
      await (await s3.send(new GetObjectCommand({ Bucket: summary.bucket, Key: summary.manifestKey }))).Body!.transformToString(),
      summary.manifestKey,
    );
    await createDatabase(restored);
    await restoreInto(
      (await openDecryptedObject(new Bucket(config.storage!, s3), summary.dataKey, Keyring.from(config.encryption))).plaintext,
      restored,
      'custom',
      dataCompressionOf(manifest),
    );
    const restoredCount = await withClient(restored, async (c) =>
      Number((await c.query('SELECT count(*) AS n FROM ticks')).rows[0].n),
    );
    const liveCount = await withClient(db, async (c) => Number((await c.query('SELECT count(*) AS n FROM ticks')).rows[0].n));
    expect(manifest.tables).toEqual([{ schema: 'public', table: 'ticks', rows: restoredCount }]);
    expect(liveCount).toBeGreaterThan(restoredCount);
    // No upload is left unfinished by a successful run.
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: summary.bucket, Prefix: `database-backups/${db}/` }));
    expect(uploads.Uploads ?? []).toEqual([]);
    s3.destroy();
  });

  it('locks backups with S3 Object Lock when configured', async () => {
    const db = uniqueDatabaseName('locked');
    track(db);
    await createDatabase(db, 'awkward.sql');
    const bucket = `locked-${uniqueSuffix()}`;
    const plain = createS3Client(stackConfig().storage!);
    await plain.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    plain.destroy();
    const { taskQueue, config } = await workerFor(db, {
      BACKUP_S3_BUCKET: bucket,
      S3_OBJECT_LOCK_MODE: 'GOVERNANCE',
      S3_OBJECT_LOCK_DAYS: '2',
    });
    const before = Date.now();
    const summary = await backup(db, taskQueue);
    const s3 = createS3Client(config.storage!);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: summary.dataKey }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    const until = head.ObjectLockRetainUntilDate!.getTime();
    expect(until).toBeGreaterThan(before + 2 * 86_400_000 - 60_000);
    expect(until).toBeLessThan(Date.now() + 2 * 86_400_000 + 60_000);
    const manifest = parseManifest(
      await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: summary.manifestKey }))).Body!.transformToString(),
      summary.manifestKey,
    );
    expect(Date.parse(manifest.storage.objectLockUntil!)).toBe(until);
    s3.destroy();
  });

  it('stops everything when the globals dump fails beside the database dump, names pg_dumpall, and leaves no object behind', async () => {
    const db = uniqueDatabaseName('globalsfail');
    track(db);
    await createDatabase(db, 'awkward.sql');
    // The real client tools, except a pg_dumpall that fails after pg_dump has had time to finish.
    const bin = mkdtempSync(join(tmpdir(), 'pgwarden-bin-'));
    const real = dirname(pgProgram('pg_dump'));
    for (const tool of readdirSync(real)) if (tool !== 'pg_dumpall') symlinkSync(join(real, tool), join(bin, tool));
    writeFileSync(
      join(bin, 'pg_dumpall'),
      '#!/bin/sh\nsleep 2\necho "pg_dumpall: error: query failed: ERROR:  permission denied for table pg_authid" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const { taskQueue, config } = await workerFor(db, { PG_BIN_DIR: bin });
    const err = await backup(db, taskQueue).catch((e: unknown) => e);
    rmSync(bin, { recursive: true, force: true });
    const failure = describeFailure(err);
    expect(failure.lines[0]).toContain(
      'pg_dumpall failed (exit 1): query failed: ERROR:  permission denied for table pg_authid; grant the backup user read access',
    );
    // The data object pg_dump finished is removed: no data, no manifest, only the failure record.
    const s3 = createS3Client(config.storage!);
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: config.storage!.bucket, Prefix: `database-backups/${db}/` }),
    );
    expect(Contents.map((o) => o.Key)).toEqual([
      expect.stringMatching(new RegExp(`^database-backups/${db}/records/backup-failures/`)),
    ]);
    const { Uploads = [] } = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: config.storage!.bucket, Prefix: `database-backups/${db}/` }),
    );
    expect(Uploads).toEqual([]);
    s3.destroy();
  });

  it('rejects a tampered or truncated GCM object in storage', async () => {
    const db = uniqueDatabaseName('tamper');
    track(db);
    await createDatabase(db, 'awkward.sql');
    const { taskQueue, config } = await workerFor(db);
    const summary = await backup(db, taskQueue);
    const s3 = createS3Client(config.storage!);
    const stored = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: summary.bucket, Key: summary.dataKey }))).Body!.transformToByteArray(),
    );
    const keyring = Keyring.from(config.encryption);
    const put = (key: string, body: Buffer) => s3.send(new PutObjectCommand({ Bucket: summary.bucket, Key: key, Body: body }));
    const flipped = Buffer.from(stored);
    flipped[Math.floor(stored.length / 2)] ^= 0x04;
    await put(`${summary.dataKey}.flipped`, flipped);
    await put(`${summary.dataKey}.truncated`, stored.subarray(0, stored.length - 100));
    for (const [suffix, message] of [
      ['.flipped', /failed authentication/],
      ['.truncated', /failed authentication|truncated/],
    ] as const) {
      const d = await openDecryptedObject(new Bucket(config.storage!, s3), summary.dataKey + suffix, keyring);
      await expect(buffer(d.plaintext)).rejects.toThrow(message);
    }
    s3.destroy();
  });
});

/** What the zstd program gives back for these bytes (the globals are small). */
function zstdDecompressed(packed: Buffer): string {
  return execFileSync('zstd', ['-q', '-d', '-c'], { input: packed }).toString();
}
