/**
 * RestoreWorkflow on the real stack: into a new database, in place with approval (update and
 * signal), forced, rejected and timed out; and an old script's backup.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { privateWorkDir, workFileName } from '../../src/operations/restore/work-files';
import { stagingName } from '../../src/operations/restore/restore-plan';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { waitFor } from '../support/wait';
import { depsHoldingReads } from '../support/held-reads';
import { WorkflowFailedError, WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { describeFailure } from '../../src/app/cli/failure';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { libpqEnvironment } from '../../src/infra/postgres/client';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { startRun } from '../../src/app/cli/start-run';
import { WorkflowType, workflowId } from '../../src/infra/temporal/definitions';
import {
  approveRestoreSignal,
  approveRestoreUpdate,
  rejectRestoreUpdate,
  restoreStatusQuery,
} from '../../src/infra/temporal/messages';
import type { BackupSummary } from '../../workflows/backup';
import type { RestoreResult } from '../../workflows/restore';
import type { RestoreEvidence } from '../../src/operations/restore/evidence';
import {
  createDatabase,
  databaseOids,
  databaseUrl,
  stackServer,
  tableFingerprints,
  uniqueDatabaseName,
  withClient,
} from '../support/databases';
import { capturedMail, waitForCaptured } from '../support/sinks';
import { stackConfig } from '../support/stack-env';
import { activityEnvironment, uniqueSuffix } from '../support/temporal';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { RestoreDatabaseInput, RestoreDatabaseResult, RestoreSource } from '../../activities/restore';
import { workflowSuite } from '../support/workflow-suite';
import type { Config } from '../../src/infra/config/config';

describe('RestoreWorkflow (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('restore');
  const { track } = suite;

  async function setUp(fixture = 'awkward.sql'): Promise<{ db: string; taskQueue: string; backup: BackupSummary }> {
    const db = await suite.freshDatabase('restore', fixture);
    const { taskQueue } = await suite.workerFor(db);
    return { db, taskQueue, backup: await suite.backup(db, taskQueue) };
  }

  const start = (db: string, taskQueue: string, args: object) =>
    suite.server.client.workflow.start(WorkflowType.restore, {
      taskQueue,
      workflowId: `restore-${db}-${uniqueSuffix()}`,
      args: [{ database: db, ...args }],
    });

  async function untilAwaitingApproval(handle: WorkflowHandle): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await handle.query(restoreStatusQuery)).awaitingApproval) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the restore never asked for approval');
  }

  /** What restoreDatabase is given for a backup, as the workflow's first step resolves it. */
  async function restoreSource(config: Config, db: string, backupId: string): Promise<RestoreSource> {
    const deps = createActivityDeps(config);
    try {
      return (await activityEnvironment().run(createActivities(deps).resolveRestoreSource, {
        database: db,
        file: backupId,
      })) as RestoreSource;
    } finally {
      deps.bucket.s3.destroy();
    }
  }

  it('restores into a new database, checked against the manifest', async () => {
    const { db, taskQueue, backup } = await setUp();
    const target = `${db}_copy`;
    track(target);
    const handle = await start(db, taskQueue, { file: backup.backupId, newDatabase: target });
    const result: RestoreResult = await handle.result();
    expect(result).toMatchObject({
      backupId: backup.backupId,
      source: 'pgwarden',
      restoredInto: target,
      keptAs: null,
      approvedBy: null,
      rowCountsChecked: true,
      withinRto: true,
    });
    expect(result.backupAgeHours).toBeLessThan(1);
    expect(await tableFingerprints(target)).toEqual(await tableFingerprints(db));
    const mails = await waitForCaptured(capturedMail, handle.workflowId, 2);
    expect(mails.map((m) => m.subject)).toEqual([
      `[pgwarden] OK: Restore of ${db} started`,
      `[pgwarden] OK: Restore of ${db} succeeded`,
    ]);
    expect(mails[1].text).toMatch(/Recovery time: +\d+\.\d min \(RTO 2-4 h for a database restore\)/);
  });

  it('streams a dump that one table dominates into one pg_restore, with no work file, and still refuses a swapped object', async () => {
    const db = await suite.freshDatabase('restore', 'awkward.sql');
    await withClient(db, (c) =>
      c.query(`CREATE TABLE public.readings AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 200000) g;
               ALTER TABLE public.readings ADD PRIMARY KEY (id)`),
    );
    // A work folder that cannot exist: a restore that wrote the dump to a file would fail.
    const { taskQueue, config } = await suite.workerFor(db, { PGWARDEN_WORK_DIR: '/dev/null/pgwarden' });
    const backup = await suite.backup(db, taskQueue);
    const target = `${db}_streamed`;
    track(target);
    const restored: RestoreResult = await (await start(db, taskQueue, { file: backup.backupId, newDatabase: target })).result();
    expect(restored).toMatchObject({ restoredInto: target, rowCountsChecked: true });
    expect(await tableFingerprints(target)).toEqual(await tableFingerprints(db));

    // Another backup's object in its place: found when the stream ends, the half-loaded database dropped.
    await new Promise((r) => setTimeout(r, 1100)); // backup ids are per second
    await withClient(db, (c) => c.query(`DELETE FROM public.readings WHERE id > 190000`));
    const newer = await suite.backup(db, taskQueue);
    const s3 = createS3Client(config.storage!);
    await s3.send(
      new CopyObjectCommand({ Bucket: newer.bucket, Key: newer.dataKey, CopySource: `${backup.bucket}/${backup.dataKey}` }),
    );
    s3.destroy();
    const swapped = `${db}_swapped`;
    track(swapped);
    const err = await start(db, taskQueue, { file: newer.backupId, newDatabase: swapped })
      .then((h) => h.result())
      .catch((e: unknown) => e);
    expect(describeFailure(err)).toMatchObject({
      lines: [
        expect.stringMatching(
          /does not match its manifest .*: it was replaced or damaged after the backup; restore another backup/,
        ),
      ],
      exitCode: 1,
    });
    const left = await withClient(
      'postgres',
      async (c) => (await c.query<{ d: string }>(`SELECT datname AS d FROM pg_database WHERE datname = $1`, [swapped])).rows,
    );
    expect(left).toEqual([]);
  });

  it.each([
    ['custom', 'into a new database'],
    ['custom', 'in place'],
    ['plain', 'into a new database'],
  ])(
    "refuses a %s data object swapped for an older backup's, restoring %s: nothing kept or swapped in",
    async (format, where) => {
      const db = await suite.freshDatabase('restore', 'awkward.sql');
      const { taskQueue, config } = await suite.workerFor(db, { BACKUP_FORMAT: format });
      const older = await suite.backup(db, taskQueue);
      await new Promise((r) => setTimeout(r, 1100)); // backup ids are per second
      await withClient(db, (c) => c.query(`DELETE FROM inventory.items WHERE qty < 25`));
      const newer = await suite.backup(db, taskQueue);
      const s3 = createS3Client(config.storage!);
      await s3.send(
        new CopyObjectCommand({ Bucket: newer.bucket, Key: newer.dataKey, CopySource: `${older.bucket}/${older.dataKey}` }),
      );
      s3.destroy();
      const before = await tableFingerprints(db);
      const target = where === 'in place' ? undefined : `${db}_swapped`;
      if (target) track(target);
      const err = await start(db, taskQueue, { file: newer.backupId, newDatabase: target, force: true })
        .then((h) => h.result())
        .catch((e: unknown) => e);
      expect(describeFailure(err)).toEqual({
        lines: [
          expect.stringMatching(
            new RegExp(
              `^data object s3://${newer.bucket}/${newer.dataKey} does not match its manifest \\(expected \\d+ bytes, found \\d+; expected sha256 [0-9a-f]{64}, computed [0-9a-f]{64}\\): it was replaced or damaged after the backup; restore another backup`,
            ),
          ),
        ],
        exitCode: 1,
      });
      expect(await tableFingerprints(db)).toEqual(before);
      const left = await withClient('postgres', async (c) =>
        (await c.query<{ d: string }>(`SELECT datname AS d FROM pg_database WHERE datname LIKE $1`, [`${db}%`])).rows.map(
          (r) => r.d,
        ),
      );
      expect(left).toEqual([db]);
    },
  );

  it('refuses to restore over a database that exists and is not its own, and leaves it alone', async () => {
    const { db, taskQueue, backup } = await setUp();
    const other = `${db}_someone_elses`;
    track(other);
    await createDatabase(other);
    await withClient(other, (c) => c.query('CREATE TABLE precious (v int); INSERT INTO precious VALUES (1)'));
    const refusedRun = await start(db, taskQueue, { file: backup.backupId, newDatabase: other });
    const err = await refusedRun.result().catch((e: unknown) => e);
    expect(describeFailure(err)).toEqual({
      lines: [`database "${other}" already exists; choose another name with --new-db, or drop it first`],
      exitCode: 64,
    });
    // Refused before anything happened: no notice went out.
    expect(await capturedMail(refusedRun.workflowId)).toEqual([]);
    expect(await withClient(other, async (c) => (await c.query('SELECT v FROM precious')).rows)).toEqual([{ v: 1 }]);
    const system = await start(db, taskQueue, { file: backup.backupId, newDatabase: 'postgres' })
      .then((h) => h.result())
      .catch((e: unknown) => e);
    expect(describeFailure(system).lines).toEqual([
      '"postgres" cannot be restored into: use letters, digits, _ and -, and not postgres, template0 or template1',
    ]);
    expect(await withClient('postgres', async (c) => (await c.query('SELECT 1 AS ok')).rows)).toEqual([{ ok: 1 }]);
  });

  it("refuses before the approval when an earlier restore's copy of the same backup is in the way, notifying nobody", async () => {
    const { db, taskQueue, backup } = await setUp();
    const kept = `${db}_before_${backup.backupId.slice(7)}`;
    track(kept);
    await createDatabase(kept);
    const handle = await start(db, taskQueue, { file: backup.backupId });
    const err = await handle.result().catch((e: unknown) => e);
    expect(describeFailure(err)).toEqual({
      lines: [`database "${kept}" (an earlier restore's copy) exists; drop or rename it, then restore again`],
      exitCode: 64,
    });
    expect(await capturedMail(handle.workflowId)).toEqual([]);
  });

  it.each([
    [
      "another database's key",
      (prefix: string, id: string) => `${prefix}/sample/data/${id}.dump.enc`,
      /^--file .*: that key is not one of restore_[0-9a-f]+'s backups \(they are under .*\/restore_[0-9a-f]+\/data\/\); pass --database/,
    ],
    [
      'a path that climbs',
      (prefix: string, id: string) => `${prefix}/x/../sample/data/${id}.dump.enc`,
      /^--file .*: a key may not start with "\/" or contain "\.\.", "\." or "\/\/" segments/,
    ],
  ])('refuses --file naming %s, notifying nobody', async (_what, file, expected) => {
    const { db, taskQueue, backup } = await setUp();
    const prefix = stackConfig({}).storage!.prefix;
    const handle = await start(db, taskQueue, { file: file(prefix, backup.backupId), newDatabase: `${db}_x` });
    const err = await handle.result().catch((e: unknown) => e);
    expect(describeFailure(err)).toEqual({ lines: [expect.stringMatching(expected)], exitCode: 64 });
    expect(await capturedMail(handle.workflowId)).toEqual([]);
  });

  /** A database carrying a restore's mark, as a run that loads into it leaves it. */
  async function markedDatabase(name: string, run: { workflowId: string; runId: string }): Promise<void> {
    await createDatabase(name);
    await withClient('postgres', (c) =>
      c.query(
        `COMMENT ON DATABASE ${c.escapeIdentifier(name)} IS ${c.escapeLiteral(`pgwarden restore ${run.workflowId} ${run.runId}`)}`,
      ),
    );
  }

  it('removes what a restore whose run died left (half-loaded database, decrypted file), and nothing of a completed one', async () => {
    const { db, taskQueue, backup } = await setUp();
    const config = stackConfig({ DATABASE_URL: databaseUrl(db) });
    // A run that died: started where no worker polls, then terminated.
    const dead = await suite.server.client.workflow.start(WorkflowType.restore, {
      taskQueue: `nobody-${uniqueSuffix()}`,
      workflowId: `restore-${db}-dead-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    await dead.terminate('its worker died');
    const run = { workflowId: dead.workflowId, runId: dead.firstExecutionRunId };
    const half = `${db}_half`;
    track(half);
    await markedDatabase(half, run);
    const dir = await privateWorkDir(config.verify.workDir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const plaintext = join(dir, workFileName(run, `${half}.dump`));
    await writeFile(plaintext, 'PGDMP left by a dead run');

    // The next restore into that name is not blocked by the dead run's database.
    const completed = await start(db, taskQueue, { file: backup.backupId, newDatabase: half });
    const result: RestoreResult = await completed.result();
    expect(result.restoredInto).toBe(half);
    expect(await tableFingerprints(half)).toEqual(await tableFingerprints(db));

    // A database marked by a run that completed (as restores before this change left them) stays.
    const done = { workflowId: completed.workflowId, runId: completed.firstExecutionRunId };
    const kept = `${db}_completed`;
    track(kept);
    await markedDatabase(kept, done);
    const again = `${db}_half2`;
    track(again);
    await markedDatabase(again, run);

    // The janitor (verify's first step) removes the dead run's file and database, and only those.
    await suite.server.client.workflow.execute(WorkflowType.verify, {
      taskQueue,
      workflowId: `verify-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    await expect(stat(plaintext)).rejects.toThrow(/ENOENT/);
    const names = await withClient('postgres', async (c) =>
      (await c.query<{ d: string }>(`SELECT datname AS d FROM pg_database WHERE datname LIKE $1`, [`${db}%`])).rows.map(
        (r) => r.d,
      ),
    );
    expect(names.sort()).toEqual([db, half, kept].sort());
  });

  it('says which run holds the name when a restore of the same database starts in the same second (exit 75)', async () => {
    const db = await suite.freshDatabase('restore');
    const { taskQueue } = await suite.workerFor(db);
    const config = stackConfig({ DATABASE_URL: databaseUrl(db), PGWARDEN_TASK_QUEUE: taskQueue });
    // Runs holding this second's names (and the next few), where no worker picks them up.
    const now = Date.now();
    const holders = await Promise.all(
      [0, 1, 2, 3].map((s) =>
        suite.server.client.workflow.start(WorkflowType.restore, {
          taskQueue: `nobody-${uniqueSuffix()}`,
          workflowId: workflowId('restore', db, new Date(now + s * 1000)),
          args: [{ database: db }],
        }),
      ),
    );
    try {
      const err = await startRun(suite.server.client, config, {
        workflow: 'restore',
        operation: 'restore',
        database: db,
        args: [{ database: db }],
        summary: 'test',
      }).catch((e: unknown) => e);
      expect(describeFailure(err)).toEqual({
        lines: [
          expect.stringMatching(
            new RegExp(
              `^a restore of ${db} was started this very second \\(workflow restore-${db}-\\d{8}T\\d{6}Z.*\\); runs are named per second, so start again in a moment$`,
            ),
          ),
        ],
        exitCode: 75,
      });
    } finally {
      await Promise.all(holders.map((h) => h.terminate('test over')));
    }
  });

  it('restores in place only after an approval, keeping the old data and checking the approver', async () => {
    const { db, taskQueue, backup } = await setUp();
    const before = await tableFingerprints(db);
    await withClient(db, (c) => c.query(`DELETE FROM inventory.items WHERE qty < 25`));
    const handle = await start(db, taskQueue, { file: backup.backupId });
    await untilAwaitingApproval(handle);
    // A validator rejects a nameless approval: nothing recorded, still waiting.
    await expect(handle.executeUpdate(approveRestoreUpdate, { args: [{ by: ' ' }] })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );
    expect((await handle.query(restoreStatusQuery)).awaitingApproval).toBe(true);
    const [ask] = await waitForCaptured(capturedMail, handle.workflowId);
    expect(ask.subject).toBe(`[pgwarden] WARNING: Restore of ${db} in place is waiting for approval`);
    const status = await handle.executeUpdate(approveRestoreUpdate, { args: [{ by: 'alice' }] });
    expect(status).toMatchObject({ approvedBy: 'alice', awaitingApproval: false });
    const result: RestoreResult = await handle.result();
    expect(result).toMatchObject({ restoredInto: db, approvedBy: 'alice', keptAs: `${db}_before_${backup.backupId.slice(7)}` });
    track(result.keptAs!);
    expect(await tableFingerprints(db)).toEqual(before);
    // Its evidence report, beside the backups: approved by alice, each step timed.
    const storage = stackConfig().storage!;
    const s3 = createS3Client(storage);
    const evidenceKey = result.evidence!.json.replace(`s3://${storage.bucket}/`, '');
    const read = async (key: string) =>
      (await (await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }))).Body!.transformToString()) as string;
    expect(evidenceKey).toMatch(new RegExp(`^.*/${db}/reports/\\d{8}T\\d{6}Z_${handle.workflowId}\\.json$`));
    const evidence = JSON.parse(await read(evidenceKey)) as RestoreEvidence;
    expect(evidence).toMatchObject({
      type: 'restore',
      status: 'succeeded',
      what: backup.backupId,
      into: `${db}, in place`,
      approval: { approvedBy: 'alice', rejectedBy: null },
      objectives: { restore: { met: true } },
    });
    expect(evidence.steps.map((x) => [x.step, x.outcome])).toEqual([
      ['find the backup and check the target', 'done'],
      ['wait for the approval', 'done'],
      ['restore beside, count the rows, swap in', 'done'],
    ]);
    expect(await read(evidenceKey.replace(/\.json$/, '.md'))).toContain('| approval | approved by alice |');
    // Who asked for it, as the start request said (this test's client): kept when the history is gone.
    const requestedBy = (await handle.fetchHistory()).events![0].workflowExecutionStartedEventAttributes!.identity!;
    expect(requestedBy).toMatch(/^\d+@/);
    expect(evidence.startedBy).toBe(requestedBy);
    expect(await read(evidenceKey.replace(/\.json$/, '.md'))).toContain(`| started by | ${requestedBy} |`);
    const kept = await withClient(result.keptAs!, async (c) =>
      Number((await c.query('SELECT count(*) AS n FROM inventory.items')).rows[0].n),
    );
    expect(kept).toBeLessThan(700);
  });

  it('takes the approval as a signal too, and restores in place at once with force', async () => {
    const { db, taskQueue, backup } = await setUp();
    const viaSignal = await start(db, taskQueue, { file: backup.backupId });
    await untilAwaitingApproval(viaSignal);
    await viaSignal.signal(approveRestoreSignal, { by: 'bob (Temporal UI)' });
    const first: RestoreResult = await viaSignal.result();
    expect(first.approvedBy).toBe('bob (Temporal UI)');
    track(first.keptAs!);
    await withClient('postgres', (c) => c.query(`DROP DATABASE ${c.escapeIdentifier(first.keptAs!)} WITH (FORCE)`));
    const forced: RestoreResult = await (await start(db, taskQueue, { file: backup.backupId, force: true })).result();
    expect(forced).toMatchObject({ approvedBy: null, restoredInto: db });
    track(forced.keptAs!);
  });

  // In place means the configured database itself. Its id can differ from its name: an alias
  // (DATABASE_URL_<ALIAS>), or a name with capitals, spaces or non-ASCII letters. Before, such a
  // restore loaded a new database named after the id, left the real one as it was, and said it
  // had restored in place.
  it.each([
    [
      'an alias for a database of another name',
      (db: string) => ({ DATABASE_URL: undefined, [`DATABASE_URL_${db.toUpperCase()}_ALIAS`]: databaseUrl(db) }),
    ],
    ['a database named with capitals, spaces and ü', (db: string) => ({ DATABASE_URL: databaseUrl(encodeURIComponent(db)) })],
  ])('restores in place the database itself, for %s', async (what, settings) => {
    const db = what.startsWith('an alias') ? uniqueDatabaseName('restore_aliased') : `Print Shop Ü ${randomUUID().slice(0, 8)}`;
    track(db);
    await createDatabase(db, 'awkward.sql');
    const { taskQueue, config } = await suite.workerFor(db, settings(db));
    const { id } = config.databases[0];
    expect(id).not.toBe(db);
    const backup = await suite.backup(id, taskQueue);
    const before = await tableFingerprints(db);
    await withClient(db, (c) => c.query('DELETE FROM inventory.items'));
    const handle = await start(id, taskQueue, { file: backup.backupId, force: true });
    const restored: RestoreResult = await handle.result();
    if (restored.keptAs) track(restored.keptAs);
    expect(restored.restoredInto).toBe(db);
    // The run's status (the Web UI's) and its evidence name the database too, not the id.
    expect(await handle.query(restoreStatusQuery)).toMatchObject({ step: 'done', target: db });
    const storage = stackConfig().storage!;
    const key = restored.evidence!.json.replace(`s3://${storage.bucket}/`, '');
    const stored = await createS3Client(storage).send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({ into: `${db}, in place` });
    expect(restored.keptAs).toMatch(/_before_\d{8}_\d{6}$/);
    expect(await tableFingerprints(db)).toEqual(before);
    const named = await withClient('postgres', (c) =>
      c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = $1', [id]),
    );
    expect(named.rows).toEqual([]);
  });

  it('restores in place over its own unmarked staging database (a worker that died between CREATE DATABASE and its mark)', async () => {
    const { db, taskQueue, backup } = await setUp();
    const before = await tableFingerprints(db);
    const handle = await start(db, taskQueue, { file: backup.backupId });
    await untilAwaitingApproval(handle);
    // What the dead attempt left: the staging database of this very run, created but not yet marked.
    const staging = stagingName(db, handle.firstExecutionRunId);
    track(staging);
    await withClient('postgres', (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(staging)}`));
    await withClient(staging, (c) => c.query('CREATE TABLE left_behind (id int)'));
    await handle.signal(approveRestoreSignal, { by: 'carol' });
    const result: RestoreResult = await handle.result();
    expect(result.restoredInto).toBe(db);
    track(result.keptAs!);
    expect(await tableFingerprints(db)).toEqual(before);
    const left = await withClient(
      'postgres',
      async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [staging])).rowCount,
    );
    expect(left).toBe(0);
  });

  it.each(['existing', 'new'] as const)(
    'a retry reports a restore (%s) that its earlier attempt finished and never reported, instead of loading it again and refusing',
    async (mode) => {
      const db = await suite.freshDatabase('restore', 'awkward.sql');
      const { taskQueue, config } = await suite.workerFor(db);
      const backup = await suite.backup(db, taskQueue);
      const deps = createActivityDeps(config);
      const activities = createActivities(deps);
      const source = await restoreSource(config, db, backup.backupId);
      const targetName = mode === 'new' ? `${db}_copy` : db;
      track(targetName);
      const input: RestoreDatabaseInput = {
        database: db,
        source,
        mode,
        targetName,
        workflowId: `restore-${db}-${uniqueSuffix()}`,
        runId: randomUUID(),
      };
      const before = await tableFingerprints(db);
      // The first attempt finishes; its report to the server is what gets lost (a worker that stopped right then).
      const first = activityEnvironment({ attempt: 1 });
      const beats: unknown[] = [];
      first.on('heartbeat', (details) => beats.push(details));
      const done = (await first.run(activities.restoreDatabase, input)) as RestoreDatabaseResult;
      if (done.keptAs) track(done.keptAs);
      // The retry gets the last heartbeat the server recorded of the first attempt.
      const again = (await activityEnvironment({ attempt: 2, heartbeatDetails: beats.at(-1) }).run(
        activities.restoreDatabase,
        input,
      )) as RestoreDatabaseResult;
      deps.bucket.s3.destroy();
      expect(again).toMatchObject({
        restoredInto: targetName,
        keptAs: done.keptAs,
        tables: done.tables,
        rowCountsChecked: true,
        warnings: [
          "finished by an earlier attempt, whose report never reached the server; that attempt's own warnings, if any, are in its worker's log",
        ],
      });
      expect(again.restoreMs).toBeGreaterThan(0);
      // Nothing loaded again, nothing left beside: the first attempt's database is the restore.
      expect(await tableFingerprints(targetName)).toEqual(before);
      const names = await withClient('postgres', async (c) =>
        (
          await c.query<{ d: string }>('SELECT datname AS d FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [`${db}%`])
        ).rows.map((r) => r.d),
      );
      expect(names).toEqual([...new Set([db, targetName, ...(done.keptAs ? [done.keptAs] : [])])].sort());
    },
  );

  /** A backed-up database and one restore run's input, for driving its attempts one by one. */
  async function attemptsSetUp(mode: 'existing' | 'new') {
    const db = await suite.freshDatabase('restore');
    // Two tables alike: the dump goes through a work file, and pg_restore connects only once it is whole.
    await withClient(db, (c) =>
      c.query(`CREATE TABLE a AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g;
             CREATE TABLE b AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g`),
    );
    const { taskQueue, config } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);
    const before = await tableFingerprints(db);
    const run = { workflowId: `restore-${db}-${uniqueSuffix()}`, runId: randomUUID() };
    const source = await restoreSource(config, db, backup.backupId);
    const targetName = mode === 'new' ? `${db}_copy` : db;
    track(targetName);
    const input: RestoreDatabaseInput = { database: db, source, mode, targetName, ...run };
    return { config, source, before, targetName, input, staging: stagingName(targetName, run.runId) };
  }

  it.each(['existing', 'new'] as const)(
    "a restore's retry (%s) is not disturbed by the attempt it replaced, still loading (one the server gave up on)",
    async (mode) => {
      const { config, source, before, targetName, input, staging } = await attemptsSetUp(mode);
      const oids = () => databaseOids(staging);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const strayDeps = depsHoldingReads(config, source.dataKey, () => released);
      const stray = activityEnvironment({ attempt: 1 })
        .run(createActivities(strayDeps).restoreDatabase, input)
        .catch((err: unknown) => err);
      const retryDeps = depsHoldingReads(config, source.dataKey, () => stray);
      try {
        const [strayOid] = await waitFor('the first attempt made its database', async () => {
          const found = await oids();
          return found.length === 1 && found;
        });
        // The retry: the server gave up on the first attempt, which goes on. Its download waits until that attempt is over.
        const retry = activityEnvironment({ attempt: 2 }).run(
          createActivities(retryDeps).restoreDatabase,
          input,
        ) as Promise<RestoreDatabaseResult>;
        await waitFor("the retry dropped the first attempt's database and made its own", async () => {
          const found = await oids();
          return found.length === 1 && found[0] !== strayOid;
        });
        release();
        expect(await stray).toBeInstanceOf(Error);
        const result = await retry;
        if (result.keptAs) track(result.keptAs);
        expect(result).toMatchObject({ restoredInto: targetName, rowCountsChecked: true });
        expect(await tableFingerprints(targetName)).toEqual(before);
        expect(await oids()).toEqual([]);
      } finally {
        release();
        await stray;
        for (const deps of [strayDeps, retryDeps]) deps.bucket.s3.destroy();
      }
    },
  );

  it.each(['existing', 'new'] as const)(
    "a restore's retry (%s) reports the restore when the attempt it replaced went on and put its copy in place first, and drops its own copy",
    async (mode) => {
      const { config, source, before, targetName, input, staging } = await attemptsSetUp(mode);
      // The first attempt, given up on by the server, still loading: held until the retry has had its first look.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const strayDeps = depsHoldingReads(config, source.dataKey, () => released);
      const strayEnv = activityEnvironment({ attempt: 1 });
      const beats: { loadedInto?: unknown }[] = [];
      strayEnv.on('heartbeat', (details: { loadedInto?: unknown }) => beats.push(details));
      const stray = strayEnv.run(createActivities(strayDeps).restoreDatabase, input).catch((err: unknown) => err) as Promise<
        RestoreDatabaseResult | Error
      >;
      // The retry (--create-roles, so it reads the globals) is held there, after its first look
      // found nothing finished, until the first attempt has put its copy in place.
      let reached!: () => void;
      const atGlobals = new Promise<void>((r) => (reached = r));
      const retryDeps = depsHoldingReads(
        config,
        (key) => key.includes('.globals.'),
        () => {
          reached();
          return stray;
        },
      );
      try {
        const told = await waitFor('the first attempt said which database it made', async () =>
          [...beats].reverse().find((b) => b.loadedInto),
        );
        const retry = activityEnvironment({ attempt: 2, heartbeatDetails: told }).run(
          createActivities(retryDeps).restoreDatabase,
          {
            ...input,
            createRoles: true,
          },
        ) as Promise<RestoreDatabaseResult>;
        await atGlobals;
        release();
        const strayResult = await stray;
        expect(strayResult).toMatchObject({ restoredInto: targetName, rowCountsChecked: true });
        const { keptAs } = strayResult as RestoreDatabaseResult;
        if (keptAs) track(keptAs);
        // Before, the retry loaded again and then refused the name the first attempt had taken (exit 64).
        expect(await retry).toMatchObject({
          restoredInto: targetName,
          keptAs,
          warnings: [expect.stringMatching(/^finished by an earlier attempt, whose report never reached the server/)],
        });
        expect(await tableFingerprints(targetName)).toEqual(before);
        // The retry's own copy went.
        expect(await databaseOids(staging)).toEqual([]);
      } finally {
        release();
        await stray;
        for (const deps of [strayDeps, retryDeps]) deps.bucket.s3.destroy();
      }
    },
  );

  it("refuses a new database's name that somebody took while it loaded: theirs stays, the loaded copy goes (exit 64)", async () => {
    const db = await suite.freshDatabase('restore', 'awkward.sql');
    const { taskQueue, config } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);
    const source = await restoreSource(config, db, backup.backupId);
    const targetName = `${db}_copy`;
    track(targetName);
    const run = { workflowId: `restore-${db}-${uniqueSuffix()}`, runId: randomUUID() };
    const working = stagingName(targetName, run.runId);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const deps = depsHoldingReads(config, source.dataKey, () => released);
    try {
      const restoring = activityEnvironment()
        .run(createActivities(deps).restoreDatabase, { database: db, source, mode: 'new' as const, targetName, ...run })
        .catch((err: unknown) => err);
      await waitFor('the restore made its working database', async () => (await databaseOids(working)).length === 1);
      await createDatabase(targetName);
      await withClient(targetName, (c) => c.query('CREATE TABLE theirs AS SELECT 1 AS v'));
      release();
      // The activity's failure as the workflow gets it: the usage error (exit 64), not retried.
      expect(await restoring).toMatchObject({
        type: 'UsageError',
        nonRetryable: true,
        message: `database "${targetName}" already exists; choose another name with --new-db, or drop it first`,
      });
      expect(await withClient(targetName, async (c) => (await c.query('SELECT v FROM theirs')).rows)).toEqual([{ v: 1 }]);
      expect(await databaseOids(working)).toEqual([]);
    } finally {
      release();
      deps.bucket.s3.destroy();
    }
  });

  it('restores a new database over its own unmarked working database (a worker that died between CREATE DATABASE and its mark)', async () => {
    const db = await suite.freshDatabase('restore', 'awkward.sql');
    const { taskQueue, config } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);
    const deps = createActivityDeps(config);
    const activities = createActivities(deps);
    try {
      const source = await restoreSource(config, db, backup.backupId);
      const targetName = `${db}_copy`;
      track(targetName);
      const input: RestoreDatabaseInput = {
        database: db,
        source,
        mode: 'new',
        targetName,
        workflowId: `restore-${db}-${uniqueSuffix()}`,
        runId: randomUUID(),
      };
      // What the dead first attempt left: its database, created but not yet marked. Before, that was
      // the new name itself, and every retry stopped with "already exists".
      const working = stagingName(targetName, input.runId);
      track(working);
      await createDatabase(working);
      await withClient(working, (c) => c.query('CREATE TABLE left_behind (id int)'));
      const result = (await activityEnvironment({ attempt: 2 }).run(activities.restoreDatabase, input)) as RestoreDatabaseResult;
      expect(result).toMatchObject({ restoredInto: targetName, keptAs: null, rowCountsChecked: true });
      expect(await tableFingerprints(targetName)).toEqual(await tableFingerprints(db));
      expect(await databaseOids(working)).toEqual([]);
      const comment = await withClient('postgres', async (c) =>
        (
          await c.query<{ c: string | null }>(
            `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`,
            [targetName],
          )
        ).rows.map((r) => r.c),
      );
      // The mark gave way to the backup's own comment (or none) as the database took its name.
      expect(comment).toHaveLength(1);
      expect(comment[0] ?? '').not.toMatch(/^pgwarden restore /);
    } finally {
      deps.bucket.s3.destroy();
    }
  });

  it('keeps an approval signalled before the restore asks for it (an incident approving while the restore still checks)', async () => {
    const { db, taskQueue, backup } = await setUp();
    // Delivered with the start, so before the checks and the gate: it was ignored, and the run waited out its timeout.
    const early = await suite.server.client.workflow.signalWithStart(WorkflowType.restore, {
      taskQueue,
      workflowId: `restore-${db}-${uniqueSuffix()}`,
      args: [{ database: db, file: backup.backupId, approvalTimeoutMinutes: 5 }],
      signal: approveRestoreSignal,
      signalArgs: [{ by: 'dave (incident)' }],
    });
    const result: RestoreResult = await early.result();
    expect(result).toMatchObject({ restoredInto: db, approvedBy: 'dave (incident)' });
    track(result.keptAs!);
  });

  it.each([
    [
      'rejected',
      async (h: WorkflowHandle) => h.executeUpdate(rejectRestoreUpdate, { args: [{ by: 'carol', note: 'wrong backup' }] }),
      'rejected by carol: wrong backup; nothing was changed',
    ],
    ['not approved in time', async () => undefined, 'no approval within 0.05 minutes; nothing was changed'],
  ])('changes nothing when %s', async (_what, act, message) => {
    const { db, taskQueue, backup } = await setUp();
    await withClient(db, (c) => c.query(`DELETE FROM inventory.items`));
    const handle = await start(db, taskQueue, { file: backup.backupId, approvalTimeoutMinutes: 0.05 });
    await untilAwaitingApproval(handle);
    await act(handle);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(describeFailure(err)).toEqual({ lines: [message], exitCode: 77 });
    expect(
      await withClient(db, async (c) => Number((await c.query('SELECT count(*) AS n FROM inventory.items')).rows[0].n)),
    ).toBe(0);
  });

  it("restores an old script's backup_YYYYMMDD_HHMMSS.sql.gz.enc", async () => {
    const db = uniqueDatabaseName('restore');
    track(db);
    await createDatabase(db, 'awkward.sql');
    const passphrase = 'old cron passphrase';
    const config = stackConfig({
      DATABASE_URL: databaseUrl(db),
      ENCRYPTION_ALGORITHM: 'AES-256-CBC',
      BACKUP_ENCRYPTION_KEY: passphrase,
      BACKUP_ENCRYPTION_KEY_ID: `legacy-${uniqueSuffix()}`,
    });
    const encrypted = execFileSync(
      'bash',
      ['-c', `set -o pipefail; "${pgProgram('pg_dump')}" "$PGDATABASE" | gzip | openssl enc -aes-256-cbc -salt -pbkdf2 -k "$K"`],
      {
        env: { ...libpqEnvironment(stackServer(), db), K: passphrase },
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const s3 = createS3Client(config.storage!);
    const name = `backup_20240101_1200${String(Math.floor(Math.random() * 60)).padStart(2, '0')}.sql.gz.enc`;
    const key = `${config.storage!.prefix}/${db}-old/${name}`;
    await s3.send(new PutObjectCommand({ Bucket: config.storage!.bucket, Key: key, Body: encrypted }));
    s3.destroy();
    const { taskQueue } = await suite.workerFor(db, {
      ENCRYPTION_ALGORITHM: 'AES-256-CBC',
      BACKUP_ENCRYPTION_KEY: passphrase,
      BACKUP_ENCRYPTION_KEY_ID: config.encryption!.activeKeyId,
    });
    const target = `${db}_from_old`;
    track(target);
    const result: RestoreResult = await (await start(db, taskQueue, { file: key, newDatabase: target })).result();
    expect(result).toMatchObject({ source: 'legacy', restoredInto: target, rowCountsChecked: false });
    expect(await tableFingerprints(target)).toEqual(await tableFingerprints(db));
  });
});
