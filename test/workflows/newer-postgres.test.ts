/**
 * A newer server with its own client tools (the stack's PostgreSQL 18 beside Debian's 15),
 * through the real workflows: pg_dump 18 compresses the custom format with zstd itself, so the
 * stored dump is what a parallel pg_restore reads as it is; it verifies and restores identical.
 * Tools that cannot load a backup into a server are refused before any work, in one line:
 * pg_dump 18 against PostgreSQL 15 (its dumps SET transaction_timeout, new in 17), and
 * pg_restore 15 given a backup pg_dump 18 wrote.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { describeFailure } from '../../src/app/cli/failure';
import { Keyring } from '../../src/infra/crypto/keyring';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { parseManifest } from '../../src/operations/backup/manifest';
import { openDecryptedObject } from '../../src/operations/restore/read-object';
import type { PreflightReport } from '../../activities';
import { tableFingerprints } from '../support/databases';
import { onPg18, pg18, pg18Bin, pg18Databases } from '../support/pg18';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';
import { versionsFolder } from '../support/versions-folder';

const suite = workflowSuite('newer-postgres');
const onEighteen = pg18Databases();
const pg18Database = (prefix: string) => onEighteen.create(prefix, 'awkward.sql');

afterAll(() => onEighteen.dropAll());

describe('a PostgreSQL 18 server with its own tools (dev server, real PostgreSQL 15 and 18, S3)', () => {
  it.each([
    ['zstd', '3', 'AES-256-GCM'],
    ['lz4', '1', 'AES-256-CBC'],
  ])(
    'compresses inside pg_dump 18 with %s (level %s), %s, verifies, and restores identical',
    async (algorithm, level, cipher) => {
      const db = await pg18Database('pg18');
      const copy = `${db}_copy`;
      onEighteen.track(copy);
      const { taskQueue, config } = await suite.workerFor(db, {
        DATABASE_URL: onPg18(db),
        PG_BIN_DIR: pg18Bin,
        BACKUP_COMPRESSION: algorithm,
        BACKUP_COMPRESSION_LEVEL: level,
        ENCRYPTION_ALGORITHM: cipher,
      });
      // Preflight (pgwarden check) says where the compression runs with these tools.
      const checked: PreflightReport = await suite.server.client.workflow.execute(WorkflowType.preflight, {
        taskQueue,
        workflowId: `preflight-${db}-${uniqueSuffix()}`,
        args: [{ database: db }],
      });
      expect(checked).toMatchObject({ serverMajor: 18, compression: { algorithm, level: Number(level), insidePgDump: true } });
      const backup = await suite.backup(db, taskQueue);
      // Nothing to undo after decryption: the name and the manifest say so.
      expect(backup.dataKey).toMatch(/\.dump\.enc$/);
      const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
      const manifest = parseManifest((await bucket.getText(backup.manifestKey))!, backup.manifestKey);
      expect(manifest.pgDump.version).toMatch(/^pg_dump \(PostgreSQL\) 18\./);
      expect(manifest.compression).toEqual({ algorithm, level: Number(level), data: 'none', globals: algorithm });
      expect(manifest.encryption.algorithm).toBe(cipher);
      // And pg_dump did compress it so: its archive header says which.
      const work = mkdtempSync(join(tmpdir(), 'pgwarden-pg18-'));
      try {
        const decrypted = await openDecryptedObject(bucket, backup.dataKey, Keyring.from(config.encryption));
        writeFileSync(join(work, 'dump'), await buffer(decrypted.plaintext));
        const toc = execFileSync(join(pg18Bin, 'pg_restore'), ['--list', join(work, 'dump')], { encoding: 'utf8' });
        expect(toc).toMatch(new RegExp(`^;\\s+Compression: ${algorithm}$`, 'm'));
      } finally {
        rmSync(work, { recursive: true, force: true });
      }

      const verified = await suite.verify(db, taskQueue, backup.backupId);
      expect(verified.verified.map((v) => [v.status, v.failures])).toEqual([['passed', []]]);
      const restored = await suite.restoreNew(db, taskQueue, backup.backupId, copy);
      expect(restored.restoredInto).toBe(copy);
      expect(await tableFingerprints(copy, pg18)).toEqual(await tableFingerprints(db, pg18));
    },
  );

  it("refuses PostgreSQL 15's pg_restore for a backup pg_dump 18 wrote, in restores and verifications, before any download", async () => {
    const db = await pg18Database('pg18old');
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: onPg18(db), PG_BIN_DIR: pg18Bin });
    const backup = await suite.backup(db, taskQueue);
    // The worker's own PostgreSQL 15 tools cannot read what pg_dump 18 wrote: said before any download.
    const older = await suite.workerFor(db, { DATABASE_URL: onPg18(db), PG_BIN_DIR: undefined });
    const refused = await suite.restoreNew(db, older.taskQueue, backup.backupId, `${db}_old`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    const failure = describeFailure(refused);
    expect(failure.exitCode).toBe(78);
    expect(failure.lines[0]).toContain(
      `this backup was written by pg_dump 18, which pg_restore 15 cannot read; install the PostgreSQL 18 client tools on the worker`,
    );
    // A verification with those tools fails with the same line, before it downloads the dump.
    const unverified = await suite.verify(db, older.taskQueue, backup.backupId);
    expect(unverified.verified.map((v) => v.status)).toEqual(['failed']);
    expect(unverified.verified[0].failures.join('\n')).toContain('which pg_restore 15 cannot read');
  });

  it('with versions side by side (PG_BIN_DIR at a folder of them), runs the tools that fit each server', async () => {
    const { dir: versions, remove } = versionsFolder();
    try {
      const on15 = await suite.freshDatabase('pgv15', 'awkward.sql');
      const on18 = await pg18Database('pgv18');
      for (const [db, url, major, dataKey] of [
        [on15, undefined, '15', /\.dump\.zst\.enc$/], // pg_dump 18 would write dumps 15 cannot load: 15's tools, zstd after them
        [on18, onPg18(on18), '18', /\.dump\.enc$/], // 18's own, zstd inside pg_dump
      ] as const) {
        const { taskQueue, config } = await suite.workerFor(db, { ...(url ? { DATABASE_URL: url } : {}), PG_BIN_DIR: versions });
        const backup = await suite.backup(db, taskQueue);
        expect(backup.dataKey).toMatch(dataKey);
        const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
        const manifest = parseManifest((await bucket.getText(backup.manifestKey))!, backup.manifestKey);
        expect(manifest.pgDump.version).toMatch(new RegExp(`^pg_dump \\(PostgreSQL\\) ${major}\\.`));
        const copy = `${db}_copy`;
        if (url) onEighteen.track(copy);
        else suite.track(copy);
        expect((await suite.restoreNew(db, taskQueue, backup.backupId, copy)).restoredInto).toBe(copy);
        const server = url ? pg18 : undefined;
        expect(await tableFingerprints(copy, server)).toEqual(await tableFingerprints(db, server));
      }
    } finally {
      remove();
    }
  });

  it('refuses pg_receivewal and pg_basebackup 15 for a PostgreSQL 18 server in one line, before a slot or a copy', async () => {
    const db = await pg18Database('pg18stream');
    const pg15Bin = dirname(pgProgram('pg_dump'));
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: onPg18(db), WAL_ARCHIVE: db, PG_BIN_DIR: pg15Bin });
    const run = (type: string, args: object) =>
      suite.server.client.workflow
        .execute(type, { taskQueue, workflowId: `${type}-${db}-${uniqueSuffix()}`, args: [args] })
        .catch((e: unknown) => e);
    // Archiving stops at its first round, with the line, instead of retrying for ever.
    const archiving = describeFailure(await run(WorkflowType.walArchive, { server: db, roundSeconds: 60 }));
    expect(archiving.lines[0]).toContain(
      'pg_receivewal 15 cannot stream from a PostgreSQL 18 server; install the PostgreSQL 18 client tools on the worker',
    );
    expect(archiving.exitCode).toBe(78);
    // A base backup says so before anything else it needs (archiving running, here not).
    const copying = describeFailure(await run(WorkflowType.baseBackup, { server: db, reason: 'test', walTimeoutSeconds: 3 }));
    expect(copying.lines[0]).toContain('pg_basebackup 15 cannot stream from a PostgreSQL 18 server');
    expect(copying.exitCode).toBe(78);
    // No slot was made on the server.
    const slots = new Client({ connectionString: onPg18(db) });
    await slots.connect();
    const { rows } = await slots.query('SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1', [`%${db}%`]);
    await slots.end();
    expect(rows).toEqual([]);
  });

  it('refuses pg_dump 18 for a PostgreSQL 15 server before dumping: its dumps would not load there', async () => {
    const db = await suite.freshDatabase('pg18tools');
    const { taskQueue } = await suite.workerFor(db, { PG_BIN_DIR: pg18Bin });
    const err = await suite.backup(db, taskQueue).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = describeFailure(err);
    expect(failure.lines[0]).toContain(
      'pg_dump 18 writes dumps that a PostgreSQL 15 server cannot load (they SET transaction_timeout, new in 17)',
    );
    // The worker has Debian's PostgreSQL 15 tools: the line names their folder.
    expect(failure.lines[0]).toContain(
      'set PG_BIN_DIR=/usr/lib/postgresql/15/bin, where the PostgreSQL 15 client tools are installed',
    );
    expect(failure.exitCode).toBe(78);
  });
});
