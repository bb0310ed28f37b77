/**
 * VerifyBackupWorkflow on the real stack: a good backup passes; a flipped byte, a truncated
 * object, a wrong key and a manifest whose counts differ each fail with the precise reason;
 * temporary databases never outlive their run.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { handOver, instanceUser } from '../../src/infra/postgres/instance';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { BackupStore } from '../../src/operations/catalog/store';
import type { IntegrityFindings } from '../../src/operations/verify/verification';
import { describeFailure } from '../../src/app/cli/failure';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { Config } from '../../src/infra/config/config';
import { scratchDatabaseName } from '../../src/operations/restore/scratch-databases';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { VerifyResult } from '../../workflows/verify';
import { databaseOids, withClient } from '../support/databases';
import { waitFor } from '../support/wait';
import { depsHoldingReads } from '../support/held-reads';
import type { RestoreFindings } from '../../src/operations/verify/verification';
import { capturedMail, waitForCaptured } from '../support/sinks';
import { activityEnvironment, byHandTestRestoreDatabase, uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';
import { Bucket } from '../../src/infra/storage/bucket';

describe('VerifyBackupWorkflow (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('verify');
  const { workerFor } = suite;
  const freshDatabase = (fixture?: string) => suite.freshDatabase('verify', fixture);
  const backup = (database: string, taskQueue: string) => suite.backup(database, taskQueue);
  const verify = (database: string, taskQueue: string, extra: object = {}): Promise<VerifyResult> =>
    suite.server.client.workflow.execute(WorkflowType.verify, {
      taskQueue,
      workflowId: `verify-${database}-${uniqueSuffix()}`,
      args: [{ database, ...extra }],
    });
  const tempDatabases = () =>
    withClient('postgres', async (c) =>
      (await c.query<{ d: string }>(`SELECT datname AS d FROM pg_database WHERE datname LIKE 'pgwarden\\_verify\\_%'`)).rows.map(
        (r) => r.d,
      ),
    );

  it('passes a good backup, records the result beside it and notifies', async () => {
    const db = await freshDatabase('awkward.sql');
    const { taskQueue, config } = await workerFor(db);
    const b = await backup(db, taskQueue);
    const result = await verify(db, taskQueue);
    expect(result.verified).toEqual([
      expect.objectContaining({ backupId: b.backupId, status: 'passed', failures: [], warnings: [] }),
    ]);
    expect(result.verified[0].restoreMs).toBeGreaterThan(0);

    const s3 = createS3Client(config.storage!);
    const store = new BackupStore(new Bucket(config.storage!, s3));
    const record = (await store.verification(db, b.backupId))!;
    expect(record.checks.rowCounts).toEqual({ ok: true, tables: 7, differences: [] });
    expect(record.checks.checksums.ok && record.checks.decryption.ok && record.checks.restore.ok).toBe(true);
    // The data was read once, by the test restore, which checked it as it loaded.
    expect(record.checks.checksums.detail).toMatch(
      /^size and sha256 match for data \(.*, checked as the test restore read it\); size, sha256 and md5 for globals$/,
    );
    expect(record.checks.decryption.detail).toMatch(/, the data in the test restore$/);
    const [entry] = await store.catalog(db);
    expect(entry.verification).toMatchObject({ status: 'passed' });
    s3.destroy();
    expect((await tempDatabases()).filter((d) => d.includes(b.backupId.slice(7)))).toEqual([]);
    const [mail] = await waitForCaptured(capturedMail, `Backup ${b.backupId} of ${db} verified`);
    expect(mail.subject).toBe(`[pgwarden] OK: Backup ${b.backupId} of ${db} verified`);
  });

  it.each([
    [
      'a flipped byte',
      (stored: Buffer) => {
        const b = Buffer.from(stored);
        b[Math.floor(b.length / 2)] ^= 0x10;
        return b;
      },
      [
        /^checksums: data object s3:\/\/.*: expected sha256 [0-9a-f]{64}, computed [0-9a-f]{64}/,
        /^decryption: data object .*failed authentication/,
        /^test restore: stopped: the stored object failed its integrity checks$/,
      ],
    ],
    [
      'a truncated object',
      (stored: Buffer) => stored.subarray(0, stored.length - 1000),
      [
        /^checksums: data object .*: expected \d+ bytes, found \d+/,
        /^decryption: data object .*(failed authentication|truncated)/,
        /^test restore: stopped: the stored object failed its integrity checks$/,
      ],
    ],
  ])('fails on %s with the precise reason', async (_what, damage, expected) => {
    const db = await freshDatabase('awkward.sql');
    const { taskQueue, config } = await workerFor(db);
    const b = await backup(db, taskQueue);
    const s3 = createS3Client(config.storage!);
    const stored = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: b.dataKey }))).Body!.transformToByteArray(),
    );
    await s3.send(new PutObjectCommand({ Bucket: b.bucket, Key: b.dataKey, Body: damage(stored) }));
    s3.destroy();
    const result = await verify(db, taskQueue, { backupId: b.backupId });
    expect(result.verified[0].status).toBe('failed');
    expect(result.verified[0].failures).toEqual(expected.map((e) => expect.stringMatching(e)));
    const [mail] = await waitForCaptured(capturedMail, `Verification of ${db} backup ${b.backupId} FAILED`);
    expect(mail.text).toContain('do not rely on this backup');
  });

  it('fails with the key id when the worker holds a different key under that id', async () => {
    const db = await freshDatabase('awkward.sql');
    const keyId = `verify-${uniqueSuffix()}`;
    const writer = await workerFor(db, { BACKUP_ENCRYPTION_KEY: 'c'.repeat(64), BACKUP_ENCRYPTION_KEY_ID: keyId });
    const b = await backup(db, writer.taskQueue);
    const reader = await workerFor(db, { BACKUP_ENCRYPTION_KEY: 'd'.repeat(64), BACKUP_ENCRYPTION_KEY_ID: keyId });
    const result = await verify(db, reader.taskQueue, { backupId: b.backupId });
    expect(result.verified[0].failures).toEqual([
      expect.stringMatching(
        new RegExp(
          `^decryption: data object .*chunk 0 (\\(the last\\) )?failed authentication with key "${keyId}": the key is wrong for this id`,
        ),
      ),
      expect.stringMatching(/^test restore: stopped: the stored object failed its integrity checks$/),
    ]);
  });

  // Larger than the streams' buffers, so a check that stops early leaves most of it unread.
  async function largerDatabase(): Promise<string> {
    const db = await freshDatabase();
    await withClient(db, (c) =>
      c.query(`CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS pad FROM generate_series(1, 200000) g`),
    );
    return db;
  }

  it("a retry's test restore is not disturbed by the attempt it replaced, still loading (one the server gave up on)", async () => {
    const db = await freshDatabase('awkward.sql');
    const { taskQueue, config } = await workerFor(db);
    const b = await backup(db, taskQueue);
    const input = {
      database: db,
      backupId: b.backupId,
      tempDatabase: byHandTestRestoreDatabase(),
      workflowId: `verify-${db}-${uniqueSuffix()}`,
      runId: randomUUID(),
    };
    const oids = () => databaseOids(input.tempDatabase);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const strayDeps = depsHoldingReads(config, b.dataKey, () => released);
    const stray = activityEnvironment({ attempt: 1 })
      .run(createActivities(strayDeps).testRestore, input)
      .catch((err: unknown) => err);
    const [strayOid] = await waitFor('the first attempt made its database', async () => {
      const found = await oids();
      return found.length === 1 && found;
    });
    // The retry: the server gave up on the first attempt, which goes on. Its download waits until that attempt is over.
    const retryDeps = depsHoldingReads(config, b.dataKey, () => stray);
    const retry = activityEnvironment({ attempt: 2 }).run(
      createActivities(retryDeps).testRestore,
      input,
    ) as Promise<RestoreFindings>;
    await waitFor("the retry dropped the first attempt's database and made its own", async () => {
      const found = await oids();
      return found.length === 1 && found[0] !== strayOid;
    });
    release();
    await stray;
    const findings = await retry;
    for (const deps of [strayDeps, retryDeps]) deps.bucket.s3.destroy();
    expect(findings.restore).toMatchObject({ ok: true });
    expect(findings.rowCounts).toEqual({ ok: true, tables: 7, differences: [] });
    expect(await oids()).toEqual([]);
  });

  async function expectRecordedAndAlerted(db: string, backupId: string, config: Config): Promise<void> {
    const s3 = createS3Client(config.storage!);
    const store = new BackupStore(new Bucket(config.storage!, s3));
    expect((await store.verification(db, backupId))?.status).toBe('failed');
    expect((await store.catalog(db)).find((e) => e.backupId === backupId)?.verification.status).toBe('failed');
    s3.destroy();
    const [mail] = await waitForCaptured(capturedMail, `Verification of ${db} backup ${backupId} FAILED`);
    expect(mail.text).toContain('do not rely on this backup');
  }

  it.each([
    ['a byte flipped in the middle', {}, /^decryption: data object .*failed authentication/],
    // In the last chunk: the data is read only by the test restore now, which must check it to the end.
    ['a byte flipped in the last bytes', {}, /^decryption: data object .*failed authentication/],
    [
      'a wrong key under the recorded key id',
      { BACKUP_ENCRYPTION_KEY: 'd'.repeat(64) },
      /^decryption: data object .*failed authentication with key "larger-[0-9a-f]+": the key is wrong for this id/,
    ],
    [
      'a key missing from the key ring',
      { BACKUP_ENCRYPTION_KEY: 'd'.repeat(64), BACKUP_ENCRYPTION_KEY_ID: 'another-key' },
      /^decryption: data object .*key "larger-[0-9a-f]+" is not configured on this worker/,
    ],
  ])('fails within seconds on %s of a larger object, recorded and alerted', async (what, readerKeys, expected) => {
    const db = await largerDatabase();
    const keyId = `larger-${uniqueSuffix()}`;
    const writer = await workerFor(db, { BACKUP_ENCRYPTION_KEY: 'c'.repeat(64), BACKUP_ENCRYPTION_KEY_ID: keyId });
    const b = await backup(db, writer.taskQueue);
    expect(b.storedBytes).toBeGreaterThan(4 * 1024 * 1024);
    if (what.startsWith('a byte')) {
      const s3 = createS3Client(writer.config.storage!);
      const stored = Buffer.from(
        await (await s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: b.dataKey }))).Body!.transformToByteArray(),
      );
      stored[what.includes('last') ? stored.length - 20 : Math.floor(stored.length / 2)] ^= 0x10;
      await s3.send(new PutObjectCommand({ Bucket: b.bucket, Key: b.dataKey, Body: stored }));
      s3.destroy();
    }
    const reader = Object.keys(readerKeys).length
      ? await workerFor(db, { BACKUP_ENCRYPTION_KEY_ID: keyId, ...readerKeys })
      : writer;
    const started = Date.now();
    const result = await verify(db, reader.taskQueue, { backupId: b.backupId });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.verified[0].status).toBe('failed');
    expect(result.verified[0].failures).toContainEqual(expect.stringMatching(expected));
    expect(result.verified[0].failures).toContainEqual(
      expect.stringMatching(/^test restore: stopped: the stored object failed its integrity checks$/),
    );
    await expectRecordedAndAlerted(db, b.backupId, writer.config);
  });

  it('reports a missing data object as a failed verification naming the key', async () => {
    const db = await freshDatabase('awkward.sql');
    const { taskQueue, config } = await workerFor(db);
    const b = await backup(db, taskQueue);
    const s3 = createS3Client(config.storage!);
    await s3.send(new DeleteObjectCommand({ Bucket: b.bucket, Key: b.dataKey }));
    s3.destroy();
    const result = await verify(db, taskQueue, { backupId: b.backupId });
    expect(result.verified[0].failures).toEqual([
      `checksums: s3://${b.bucket}/${b.dataKey} is missing (NoSuchKey): the backup lost this object; restore another backup (pgwarden restore --list)`,
      'decryption: data object: not attempted, the object is missing',
      expect.stringMatching(/^test restore: stopped: the stored object failed its integrity checks$/),
    ]);
    await expectRecordedAndAlerted(db, b.backupId, config);
  });

  it('heartbeats with progress all through a download longer than the heartbeat timeout', async () => {
    const db = await largerDatabase();
    const { taskQueue, config } = await workerFor(db);
    const b = await backup(db, taskQueue);
    const deps = createActivityDeps(config);
    // The real store, read slowly: about 1 MiB/s, so the data object takes several seconds.
    const send = deps.bucket.s3.send.bind(deps.bucket.s3) as (command: unknown) => Promise<{ Body?: unknown }>;
    deps.bucket.s3.send = (async (command: unknown) => {
      const res = await send(command);
      if (!(command instanceof GetObjectCommand) || command.input.Key !== b.dataKey) return res;
      const slow = new Transform({
        transform: (chunk: Buffer, _e, done) => void setTimeout(() => done(null, chunk), chunk.length / 1024),
      });
      return { ...res, Body: (res.Body as Readable).pipe(slow) };
    }) as typeof deps.bucket.s3.send;
    const env = activityEnvironment({ heartbeatTimeoutMs: 1500 });
    const beats: Array<{ at: number; details: { bytes?: number; summary?: string } }> = [];
    env.on('heartbeat', (details) => beats.push({ at: Date.now(), details }));
    const started = Date.now();
    const findings = (await env.run(createActivities(deps).verifyStoredObjects, {
      database: db,
      backupId: b.backupId,
    })) as IntegrityFindings;
    const finished = Date.now();
    deps.bucket.s3.destroy();
    expect(findings.checksums.ok && findings.decryption.ok).toBe(true);
    expect(finished - started).toBeGreaterThan(3 * 1500);
    const gaps = [...beats.map((x) => x.at), finished].map((at, i, all) => at - (i ? all[i - 1] : started));
    expect(Math.max(...gaps)).toBeLessThan(1500);
    const summaries = beats.map((x) => x.details.summary).filter((x): x is string => Boolean(x));
    expect(summaries).toContainEqual(
      expect.stringMatching(/^checking and decrypting the data object \(.*\): [1-9][\d.]* MiB of /),
    );
  });

  it('says there is no such backup with its own exit code (66), not "a verification failed" (1)', async () => {
    const db = await freshDatabase();
    const { taskQueue } = await workerFor(db);
    const err = await verify(db, taskQueue, { backupId: 'backup_20000101_000000' }).catch((e: unknown) => e);
    expect(describeFailure(err)).toEqual({
      lines: [`no complete backup backup_20000101_000000 of ${db} (no manifest); list backups with pgwarden restore --list`],
      exitCode: 66,
    });
    // The caller's mistake, told to the caller: no alert to everyone.
    expect(await capturedMail(`Verification of ${db} could not finish`)).toEqual([]);
  });

  it('tells people when a verification cannot finish (its server is down), and where it stopped', async () => {
    const db = await freshDatabase();
    const { taskQueue } = await workerFor(db);
    const b = await backup(db, taskQueue);
    // The same database id on a worker whose server is down: the backups are there, the test restore cannot run.
    const down = await workerFor(db, { DATABASE_URL: `postgres://u:p@127.0.0.1:1/${db}` });
    const err = await verify(db, down.taskQueue, { backupId: b.backupId }).catch((e: unknown) => e);
    expect(describeFailure(err).exitCode).toBe(2);
    const [mail] = await waitForCaptured(capturedMail, `Verification of ${db} could not finish`);
    expect(mail?.subject).toBe(`[pgwarden] FAILED: Verification of ${db} could not finish`);
    // Its first step (the janitor) already needs the server.
    expect(mail?.text).toContain('During:   janitor: dropping temporary databases of runs that died');
    expect(mail?.text).toMatch(/Error: +DatabaseConnectionError: /);
    expect(mail?.text).toContain(`then run pgwarden verify --database ${db}; until one finishes`);
  });

  it.each(['plain', 'custom'])("verifies a %s backup on a server without the application's roles", async (format) => {
    const db = await freshDatabase('awkward.sql');
    const role = `gone_${uniqueSuffix()}`;
    await withClient(db, (c) =>
      c.query(
        `CREATE ROLE ${role} NOLOGIN; CREATE SCHEMA owned AUTHORIZATION ${role}; CREATE TABLE owned.t (v int); ALTER TABLE owned.t OWNER TO ${role}; GRANT SELECT ON inventory.items TO ${role}; INSERT INTO owned.t VALUES (1), (2)`,
      ),
    );
    const { taskQueue } = await workerFor(db, { BACKUP_FORMAT: format });
    const b = await backup(db, taskQueue);
    // The test-restore server lacks the role the backup's objects belong to (as a separate VERIFY_DATABASE_URL server would).
    await withClient(db, (c) => c.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER; DROP OWNED BY ${role}; DROP ROLE ${role}`));
    const result = await verify(db, taskQueue, { backupId: b.backupId });
    expect(result.verified[0]).toMatchObject({ status: 'passed', failures: [] });
  });

  it('verifies the backups of a database the server has lost (a disaster), on its server, without VERIFY_DATABASE_URL', async () => {
    const db = await freshDatabase('awkward.sql');
    const { taskQueue } = await workerFor(db);
    const b = await backup(db, taskQueue);
    await withClient('postgres', (c) => c.query(`DROP DATABASE ${db} WITH (FORCE)`));
    // Before: "database ... does not exist", the test restore connected to the lost database.
    const result = await verify(db, taskQueue, { backupId: b.backupId });
    expect(result.verified[0]).toMatchObject({ status: 'passed', failures: [] });
    expect((await tempDatabases()).filter((d) => d.includes(b.backupId.slice(7)))).toEqual([]);
  });

  it.each(['plain', 'custom'])('verifies a %s backup on a server without the tablespace its tables were in', async (format) => {
    const db = await freshDatabase('awkward.sql');
    const space = `ts_${uniqueSuffix()}`;
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-tablespace-'));
    handOver(dir, instanceUser());
    try {
      await withClient('postgres', (c) => c.query(`CREATE TABLESPACE ${space} LOCATION '${dir}'`));
      await withClient(db, (c) =>
        c.query(
          `ALTER TABLE inventory.items SET TABLESPACE ${space}; CREATE INDEX items_qty ON inventory.items (qty) TABLESPACE ${space}`,
        ),
      );
      const { taskQueue } = await workerFor(db, { BACKUP_FORMAT: format });
      const b = await backup(db, taskQueue);
      // The test-restore server lacks the tablespace (as a separate VERIFY_DATABASE_URL server would).
      await withClient(db, (c) =>
        c.query(
          `ALTER TABLE inventory.items SET TABLESPACE pg_default; ALTER INDEX inventory.items_qty SET TABLESPACE pg_default`,
        ),
      );
      await withClient('postgres', (c) => c.query(`DROP TABLESPACE ${space}`));
      const result = await verify(db, taskQueue, { backupId: b.backupId });
      expect(result.verified[0]).toMatchObject({ status: 'passed', failures: [] });
    } finally {
      await withClient(db, (c) =>
        c.query(
          `ALTER TABLE inventory.items SET TABLESPACE pg_default; ALTER INDEX inventory.items_qty SET TABLESPACE pg_default`,
        ),
      ).catch(() => undefined);
      await withClient('postgres', (c) => c.query(`DROP TABLESPACE IF EXISTS ${space}`)).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists table by table where the restored counts differ from the manifest', async () => {
    const db = await freshDatabase('awkward.sql');
    const { taskQueue, config } = await workerFor(db);
    const b = await backup(db, taskQueue);
    const s3 = createS3Client(config.storage!);
    const manifest = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: b.manifestKey }))).Body!.transformToString(),
    );
    manifest.tables = manifest.tables.map((t: { table: string; rows: number }) =>
      t.table === 'items' ? { ...t, rows: t.rows + 1 } : t,
    );
    manifest.tables.push({ schema: 'public', table: 'ghost', rows: 5 });
    await s3.send(new PutObjectCommand({ Bucket: b.bucket, Key: b.manifestKey, Body: JSON.stringify(manifest) }));
    s3.destroy();
    const result = await verify(db, taskQueue, { backupId: b.backupId });
    expect(result.verified[0].failures).toEqual([
      'row counts differ in 2 table(s): inventory.items: manifest 701 rows, restored 700; public.ghost: in the manifest (5 rows) but missing after restore',
    ]);
  });

  it('leaves no temporary database behind when cancelled in the middle of the test restore', async () => {
    const db = await freshDatabase();
    await withClient(db, (c) =>
      c.query(`CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) AS pad FROM generate_series(1, 800000) g`),
    );
    const { taskQueue } = await workerFor(db);
    const b = await backup(db, taskQueue);
    const handle = await suite.server.client.workflow.start(WorkflowType.verify, {
      taskQueue,
      workflowId: `verify-${db}-${uniqueSuffix()}`,
      args: [{ database: db, backupId: b.backupId }],
    });
    const mine = (names: string[]) => names.filter((d) => d.includes(b.backupId.slice(7)));
    for (let i = 0; i < 300 && mine(await tempDatabases()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(mine(await tempDatabases())).toHaveLength(1);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    // Whether the activity's own clean-up got there first or not, the next run's janitor does.
    await verify(db, taskQueue, { backupId: b.backupId });
    expect(mine(await tempDatabases())).toEqual([]);
  });

  it("removes temporary databases that crashed runs left behind, and never another deployment's", async () => {
    const db = await freshDatabase();
    const { taskQueue } = await workerFor(db);
    /** A run of `type` that this Temporal knows to be over: started where no worker polls, then terminated. */
    const endedRun = async (type: string, workflowId: string) => {
      const handle = await suite.server.client.workflow.start(type, {
        taskQueue: `nobody-${uniqueSuffix()}`,
        workflowId,
        args: [{}],
      });
      await handle.terminate('a crashed run, for the janitor');
      return { workflowId, runId: handle.firstExecutionRunId };
    };
    const verifyRun = await endedRun(WorkflowType.verify, `verify-gone-${uniqueSuffix()}`);
    const orphan = `pgwarden_verify_orphan_${uniqueSuffix()}`;
    // A shared test-restore server: another deployment's verification, whose run this Temporal does not know.
    const theirs = `pgwarden_verify_theirs_${uniqueSuffix()}`;
    await withClient('postgres', async (c) => {
      for (const [name, run] of [
        [orphan, `${verifyRun.workflowId} ${verifyRun.runId}`],
        [theirs, `verify-${db}-elsewhere 00000000-0000-0000-0000-000000000000`],
      ]) {
        await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
        await c.query(`COMMENT ON DATABASE ${c.escapeIdentifier(name)} IS ${c.escapeLiteral(`pgwarden verify ${run}`)}`);
      }
    });
    // A restore test's, a drill's and a table recovery's database whose runs are over (terminated before their own clean-up).
    // Named for their run, as runs name them now (one as runs before scratch-name-per-run did).
    const restoreTest = await endedRun(WorkflowType.restoreTest, `restore-test-gone-${uniqueSuffix()}`);
    const drill = await endedRun(WorkflowType.disasterRecovery, `dr-gone-${uniqueSuffix()}`);
    const tables = await endedRun(WorkflowType.recoverTable, `recover-table-gone-${uniqueSuffix()}`);
    const leftovers = [
      scratchDatabaseName('restoretest', restoreTest.workflowId, restoreTest.runId),
      scratchDatabaseName('drill', drill.workflowId, drill.runId),
      scratchDatabaseName('tables', tables.workflowId),
    ];
    // Theirs again (one under the same schedule-made id as a run here), or a run too new to be listed yet: no run here names them.
    const unknown = [
      scratchDatabaseName('restoretest', restoreTest.workflowId, randomUUID()),
      scratchDatabaseName('restoretest', `restore-test-elsewhere-${uniqueSuffix()}`),
      scratchDatabaseName('drill', `dr-elsewhere-${uniqueSuffix()}`),
    ];
    await withClient('postgres', async (c) => {
      for (const name of [...leftovers, ...unknown]) await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
    });
    // One its run never marked (killed between CREATE DATABASE and COMMENT): still unmarked on the janitor's second look.
    const unmarked = `pgwarden_verify_unmarked_${uniqueSuffix()}`;
    await withClient('postgres', (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(unmarked)}`));
    try {
      await backup(db, taskQueue);
      await verify(db, taskQueue);
      const temp = await tempDatabases();
      expect(temp).not.toContain(orphan);
      expect(temp).not.toContain(unmarked);
      expect(temp).toContain(theirs);
      const still = await withClient('postgres', (c) =>
        c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname', [
          [...leftovers, ...unknown],
        ]),
      );
      expect(still.rows.map((r) => r.datname)).toEqual([...unknown].sort());
    } finally {
      await withClient('postgres', async (c) => {
        for (const name of [theirs, ...unknown]) await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)}`);
      });
    }
  });

  it('warns when the size jumps against earlier backups, and verifies all unverified backups', async () => {
    const db = await freshDatabase();
    const { taskQueue, config } = await workerFor(db);
    await withClient(db, (c) =>
      c.query(`CREATE TABLE t (v text); INSERT INTO t SELECT md5(g::text) FROM generate_series(1, 2000) g`),
    );
    const first = await backup(db, taskQueue);
    await new Promise((r) => setTimeout(r, 1100)); // backup ids are per second
    await withClient(db, (c) => c.query(`INSERT INTO t SELECT md5(g::text) || md5(g::text) FROM generate_series(1, 20000) g`));
    const second = await backup(db, taskQueue);
    const result = await verify(db, taskQueue, { allUnverified: true });
    expect(result.verified.map((v) => [v.backupId, v.status])).toEqual([
      [first.backupId, 'passed'],
      [second.backupId, 'passed'],
    ]);
    expect(result.verified[1].warnings).toEqual([
      expect.stringMatching(
        /^size: \d+ bytes is \+\d+(\.\d)?% against the median \d+ of the previous 1 backups \(threshold 50%\)$/,
      ),
    ]);
    expect((await verify(db, taskQueue, { allUnverified: true })).verified).toEqual([]);
    const store = new BackupStore(new Bucket(config.storage!));
    expect((await store.catalog(db)).map((e) => e.verification.status)).toEqual(['passed', 'passed']);
  });
});
