/**
 * Point-in-time recovery end to end, on a scratch cluster of its own: WAL archived
 * continuously, a base backup, a marker row committed every 100 ms beside pgbench's load, then
 * a table dropped; a restore to a moment between two markers brings back exactly the markers
 * committed up to it, pgbench's tables as they were then (digests), and the dropped table, in a
 * new instance, and says the point it reached. Refusals: a target
 * before the oldest base backup, and a data directory in use.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { CancelledFailure, WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { formatPitr } from '../../src/app/cli/commands/pitr';
import type { PitrRestoreResult, RestorePointInTimeInput } from '../../activities/pitr';
import type { DatabaseReport } from '../../src/operations/report/report';
import type { VerifyResult } from '../../workflows/verify';
import { formatVerifyResult } from '../../src/app/cli/commands/verify';
import { describeFailure } from '../../src/app/cli/failure';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { Bucket } from '../../src/infra/storage/bucket';
import { baseBackups } from '../../src/operations/pitr/archive';
import { Keyring } from '../../src/infra/crypto/keyring';
import { ExitCode } from '../../src/infra/errors/exit-codes';
import { walFileOf, walFolder } from '../../src/infra/storage/layout';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { runCommand } from '../../src/infra/process/run-command';
import { FOLDER_HOLDER_FILE, formatFolderHolder } from '../../src/infra/process/folder-holder';
import { stackConfig } from '../support/stack-env';
import { createHostWorker } from '../../src/app/worker/create-worker';
import { activityEnvironment, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import { pitrFixture } from '../support/pitr-fixture';
import { depsHoldingReads } from '../support/held-reads';
import { waitFor } from '../support/wait';
import { capturedMail, waitForCaptured } from '../support/sinks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The task queue each activity of a run was scheduled on, by activity type. */
async function activityQueues(run: WorkflowHandle): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of (await run.fetchHistory()).events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) out[a.activityType!.name!] = a.taskQueue!.name!;
  }
  return out;
}

/** pgbench's default workload on two connections for `seconds`, in the background. */
function pgbench(url: string, seconds: number): Promise<unknown> {
  return runCommand(pgProgram('pgbench'), ['-c', '2', '-T', String(seconds), '-n', url], { timeoutMs: 120_000 });
}

/** An md5 of every row of each pgbench table, in a stable order. */
async function digests(c: Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history'])
    out[table] = (
      await c.query<{ d: string }>(`SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS d FROM ${table} t`)
    ).rows[0].d;
  return out;
}

const fixture = pitrFixture();

it('restores to a moment between two commits: the markers up to it, none after, and the dropped table', async () => {
  const { server, cluster } = fixture;
  const { db, settings: overrides } = await fixture.archivedDatabase('pitr', [
    'CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL)',
    'CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 500) g',
  ]);
  await runCommand(pgProgram('pgbench'), ['-i', '-s', '1', '-q', cluster.url(db)], { timeoutMs: 120_000 });
  const workDir = overrides.PGWARDEN_WORK_DIR;
  // Workflows on the main queue; the work on the server's host on its own queue (TASK_QUEUE_<SERVER>).
  const workers = await fixture.hostWorkers('pitr', overrides);
  const { config, taskQueue, hostQueue } = workers;
  await workers.runUntil(async () => {
    const archiving = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600, hostQueue }],
    });
    fixture.track(archiving);
    // Before any base backup: nothing to restore from, said so.
    const earlyId = `pitr-${db}-${uniqueSuffix()}`;
    const early = await server.client.workflow
      .execute(WorkflowType.pitrRestore, {
        taskQueue,
        workflowId: earlyId,
        args: [{ server: db, target: { kind: 'latest' }, hostQueue }],
      })
      .catch((e: unknown) => e);
    expect(early).toBeInstanceOf(WorkflowFailedError);
    expect(describeFailure(early).lines.join(' ')).toContain(
      'no base backup of this server exists yet: take one (pgwarden basebackup) first',
    );
    expect(await capturedMail(earlyId)).toEqual([]); // a refusal is its caller's to fix: told to it, nobody alerted

    const baseBackup = await server.client.workflow.start(WorkflowType.baseBackup, {
      taskQueue,
      workflowId: `base-backup-${db}-${uniqueSuffix()}`,
      args: [{ server: db, reason: 'test', hostQueue }],
    });
    await baseBackup.result();
    // A marker every 100 ms, each in its own transaction, with pgbench writing beside them
    // (stopping only around marker 25 so its tables' digests at the target are known), then the mistake.
    const writer = new Client({ connectionString: cluster.url(db) });
    await writer.connect();
    const marks: Array<{ id: number; at: Date }> = [];
    let load = pgbench(cluster.url(db), 3);
    let digestsAtTarget: Record<string, string> = {};
    for (let id = 1; id <= 40; id++) {
      if (id === 25) {
        await load;
        digestsAtTarget = await digests(writer);
      }
      const r = await writer.query<{ at: Date }>('INSERT INTO marks VALUES ($1, clock_timestamp()) RETURNING at', [id]);
      marks.push({ id, at: r.rows[0].at });
      if (id === 26) load = pgbench(cluster.url(db), 2);
      await sleep(100);
    }
    await load;
    expect(await digests(writer)).not.toEqual(digestsAtTarget);
    await writer.query('DROP TABLE orders');
    await writer.query('SELECT pg_switch_wal()');
    await writer.end();
    // Between marker 25 and 26: marker 25 committed before, 26 after.
    const target = new Date((marks[24].at.getTime() + marks[25].at.getTime()) / 2).toISOString();
    await sleep(3000); // the archive catches up: segments at once, the open one every second

    const restoring = await server.client.workflow.start(WorkflowType.pitrRestore, {
      taskQueue,
      workflowId: `pitr-${db}-${uniqueSuffix()}`,
      args: [{ server: db, target: { kind: 'time', time: target }, hostQueue }],
    });
    const result: PitrRestoreResult = await restoring.result();
    fixture.restored(result.dataDir);
    // Each run's host-bound activity went to the host's queue, not the workflow's.
    expect(await activityQueues(archiving)).toEqual({ archiveWal: hostQueue });
    expect(await activityQueues(baseBackup)).toEqual({
      copyCluster: hostQueue,
      awaitBackupWal: taskQueue,
      writeBaseBackupManifest: taskQueue,
      notifyBaseBackup: taskQueue,
    });
    expect(await activityQueues(restoring)).toEqual({
      restorePointInTime: hostQueue,
      storeRestoreEvidence: taskQueue,
      notifyPitrRestore: taskQueue,
    });
    // The team hears how it ended, with what was recovered and where the instance runs.
    const [doneMail] = await waitForCaptured(capturedMail, restoring.workflowId);
    expect(doneMail.subject).toBe(`[pgwarden] OK: Point-in-time restore of ${db} succeeded`);
    expect(doneMail.text).toMatch(new RegExp(`Instance: +running on port ${result.port} of the worker's host, data in `));
    expect(doneMail.text).toMatch(/\nReport: +s3:\/\/\S+\.md\n/);
    expect(doneMail.text).toContain(`pgwarden pitr stop --server ${db} --data-dir ${result.dataDir}`);
    // Its evidence report, beside the backups: the point reached, the loss, the time against the RTO.
    expect(result.evidence).toEqual({
      json: expect.stringMatching(new RegExp(`/${db}/reports/\\d{8}T\\d{6}Z_${restoring.workflowId}\\.json$`)),
      markdown: expect.stringMatching(/\.md$/),
    });
    expect(formatPitr(result)).toContain(`report: ${result.evidence!.markdown} (and .json)`);
    expect(result).toMatchObject({
      server: db,
      baseBackupId: expect.stringMatching(/^base_/),
      target,
      connection: expect.stringMatching(new RegExp(`^postgres://pgwarden@127\\.0\\.0\\.1:\\d+/${db}$`)),
      recoveredTo: { timeline: 2 },
    });
    expect(result.walSegments).toBeGreaterThan(0);
    // Where the time went, each phase measured and within the whole.
    const { unpackMs, walFetchMs, recoveryMs } = result.phases!;
    expect([unpackMs, walFetchMs!, recoveryMs].every((ms) => ms > 0 && ms < result.durationMs)).toBe(true);
    // The last commit replayed is marker 25's; what is lost against the target is under the gap between markers.
    expect(Date.parse(result.recoveredTo.commitTime!)).toBeLessThanOrEqual(Date.parse(target));
    expect(Date.parse(result.recoveredTo.commitTime!)).toBeGreaterThanOrEqual(marks[24].at.getTime());
    expect(result.lossSeconds!).toBeLessThan(0.2);

    const c = new Client({ connectionString: cluster.url(db).replace(/:\d+\//, `:${result.port}/`) });
    await c.connect();
    try {
      const ids = (await c.query<{ id: number }>('SELECT id FROM marks ORDER BY id')).rows.map((r) => r.id);
      expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      // pgbench's tables as they were at the target, to the row.
      expect(await digests(c)).toEqual(digestsAtTarget);
      expect((await c.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0].n).toBe('500');
      // Promoted: it takes writes, on a timeline of its own.
      await c.query('INSERT INTO marks VALUES (1000, now())');
    } finally {
      await c.end();
    }
    // pitr stop reaches the host the instance runs on.
    const stopping = await server.client.workflow.start(WorkflowType.pitrStop, {
      taskQueue,
      workflowId: `pitr-stop-${db}-${uniqueSuffix()}`,
      args: [{ dataDir: result.dataDir, hostQueue }],
    });
    await stopping.result();
    expect(await activityQueues(stopping)).toEqual({ stopPitrInstance: hostQueue });
    expect(existsSync(join(result.dataDir, 'postmaster.pid'))).toBe(false);

    // A data directory in use is refused, never written into.
    const busy = join(workDir, 'busy');
    mkdirSync(join(busy, 'data'), { recursive: true });
    writeFileSync(join(busy, 'data', 'PG_VERSION'), '15\n');
    const refused = await server.client.workflow
      .execute(WorkflowType.pitrRestore, {
        taskQueue,
        workflowId: `pitr-${db}-${uniqueSuffix()}`,
        args: [{ server: db, target: { kind: 'latest' }, dataDir: busy }],
      })
      .catch((e: unknown) => e);
    expect(describeFailure(refused).lines.join(' ')).toContain(
      `${join(busy, 'data')} exists and is not empty; choose another --data-dir or remove it`,
    );

    // So is a port in use, before anything is unpacked.
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const takenPort = (taken.address() as { port: number }).port;
    const portRefused = await server.client.workflow
      .execute(WorkflowType.pitrRestore, {
        taskQueue,
        workflowId: `pitr-${db}-${uniqueSuffix()}`,
        args: [{ server: db, target: { kind: 'latest' }, port: takenPort, dataDir: join(workDir, 'port-test') }],
      })
      .catch((e: unknown) => e);
    await new Promise((r) => taken.close(r));
    expect(describeFailure(portRefused)).toMatchObject({ exitCode: 64 });
    expect(describeFailure(portRefused).lines.join(' ')).toContain(
      `--port ${takenPort} is in use on this host; choose another or leave --port out for a free one`,
    );
    expect(existsSync(join(workDir, 'port-test', 'data'))).toBe(false);

    // A time after the newest WAL in the archive: refused with the window, before anything is made.
    const later = new Date(Date.now() + 3600_000).toISOString();
    const tooLate = await server.client.workflow
      .execute(WorkflowType.pitrRestore, {
        taskQueue,
        workflowId: `pitr-${db}-${uniqueSuffix()}`,
        args: [{ server: db, target: { kind: 'time', time: later }, hostQueue, dataDir: join(workDir, 'too-late') }],
      })
      .catch((e: unknown) => e);
    expect(describeFailure(tooLate)).toMatchObject({ exitCode: 64 });
    expect(describeFailure(tooLate).lines.join(' ')).toMatch(
      new RegExp(
        `${later} is after the newest WAL in the archive \\(stored .*\\); the recoverable window is .* to about .*: choose a time in it, or --to latest`,
      ),
    );
    expect(existsSync(join(workDir, 'too-late'))).toBe(false);

    // A worker without the key the base backup was written with: refused before anything is
    // unpacked, in one line saying which key. An unknown key id, then the right id with another key.
    const keyId = Keyring.from(config.encryption!).activeKeyId;
    for (const [wrong, said] of [
      [{ BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('hex') }, `key "${keyId}" is not configured on this worker`],
      [
        { BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('hex'), BACKUP_ENCRYPTION_KEY_ID: keyId },
        `wrong key: BACKUP_ENCRYPTION_KEY is not the key that id "${keyId}" stands for in this bucket`,
      ],
    ] as const) {
      const wrongQueue = uniqueTaskQueue('pitr-wrong-key');
      const wrongWorker = await createHostWorker({
        connection: server.nativeConnection,
        namespace: server.namespace,
        taskQueue: wrongQueue,
        activities: createActivities(createActivityDeps(stackConfig({ ...overrides, ...wrong }))),
      });
      const keyRunId = `pitr-${db}-${uniqueSuffix()}`;
      const keyRefused = await wrongWorker.runUntil(
        server.client.workflow
          .execute(WorkflowType.pitrRestore, {
            taskQueue,
            workflowId: keyRunId,
            args: [{ server: db, target: { kind: 'latest' }, hostQueue: wrongQueue, dataDir: join(workDir, 'wrong-key') }],
          })
          .catch((e: unknown) => e),
      );
      expect(describeFailure(keyRefused)).toMatchObject({ exitCode: ExitCode.EncryptionFailure });
      // Not the caller's input but the worker's key: alerted.
      const [keyMail] = await waitForCaptured(capturedMail, keyRunId);
      expect(keyMail?.subject).toBe(`[pgwarden] FAILED: Point-in-time restore of ${db} FAILED`);
      expect(describeFailure(keyRefused).lines.join(' ')).toContain(said);
      expect(existsSync(join(workDir, 'wrong-key', 'data'))).toBe(false);
    }

    // Cancelled while it unpacks, and while its instance waits for WAL: the run ends once the
    // instance is stopped and nothing of it is left, not even the data directory it made.
    // (Before, a cancelled restore went on to its end, its instance running, and the run said
    // cancelled at once.) Reads held in S3 keep it in each step until the cancellation reached it.
    const [{ data: baseData }] = await baseBackups(
      new Bucket(config.storage!, createS3Client(config.storage!)),
      config.storage!.prefix,
      db,
    );
    const isSegment = (k: string) => /\/[0-9A-F]{24}\.zst\.enc$/.test(k);
    for (const [step, held, reached] of [
      ['unpacking', (k: string) => k === baseData.key, (dir: string) => existsSync(join(dir, 'data'))],
      ['waiting for WAL', isSegment, (dir: string) => existsSync(join(dir, 'data', 'postmaster.pid'))],
    ] as const) {
      const dir = join(workDir, `cancelled-${step.replace(/ /g, '-')}`);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const heldDeps = depsHoldingReads(config, held, () => released);
      const heldQueue = uniqueTaskQueue('pitr-cancel');
      const heldWorker = await createHostWorker({
        connection: server.nativeConnection,
        namespace: server.namespace,
        taskQueue: heldQueue,
        activities: createActivities(heldDeps),
      });
      try {
        const outcome = await heldWorker.runUntil(async () => {
          const run = await server.client.workflow.start(WorkflowType.pitrRestore, {
            taskQueue,
            workflowId: `pitr-${db}-${uniqueSuffix()}`,
            args: [{ server: db, target: { kind: 'latest' }, hostQueue: heldQueue, dataDir: dir }],
          });
          await waitFor(`the restore ${step}`, async () => reached(dir));
          await run.cancel();
          // The activity hears of it with its next heartbeat (every 5 s); the instance stops at once.
          if (step === 'unpacking') await sleep(7000);
          else await waitFor('the instance stopped', async () => !existsSync(join(dir, 'data', 'postmaster.pid')));
          const meanwhile = (await run.describe()).status.name;
          release();
          return { meanwhile, ended: await run.result().catch((e: unknown) => e) };
        });
        // The run waited for its activity to have cleaned up (held until then), not ending at once.
        expect(outcome.meanwhile).toBe('RUNNING');
        expect(outcome.ended).toBeInstanceOf(WorkflowFailedError);
        expect((outcome.ended as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
        expect(existsSync(dir)).toBe(false);
      } finally {
        release();
        heldDeps.bucket.s3.destroy();
      }
    }

    // Attempts of one run in one data directory (the operator's --data-dir). One the server gave
    // up on, still unpacking here, is stopped and its files gone before its retry takes the folder
    // over; then a retry after a worker that died with its instance running starts it over.
    const strayInput: RestorePointInTimeInput = {
      server: db,
      target: { kind: 'latest' },
      keepRunning: true,
      workflowId: `pitr-${db}-${uniqueSuffix()}`,
      dataDir: join(workDir, 'retried'),
    };
    let releaseStray!: () => void;
    const strayReleased = new Promise<void>((r) => (releaseStray = r));
    const strayDeps = depsHoldingReads(config, baseData.key, () => strayReleased);
    const strayBeats: string[] = [];
    const strayEnv = activityEnvironment({ attempt: 1, heartbeatTimeoutMs: 120_000 });
    strayEnv.on('heartbeat', (d: { summary?: string } | undefined) => void strayBeats.push(d?.summary ?? ''));
    const stray = strayEnv.run(createActivities(strayDeps).restorePointInTime, strayInput).catch((e: unknown) => e);
    const retryDeps = createActivityDeps(config);
    const retryActivities = createActivities(retryDeps);
    try {
      await waitFor('the first attempt unpacking', async () => strayBeats.some((b) => b.startsWith('unpacking')));
      const retry = activityEnvironment({ attempt: 2, heartbeatTimeoutMs: 120_000 }).run(
        retryActivities.restorePointInTime,
        strayInput,
      ) as Promise<PitrRestoreResult>;
      // The first attempt's download answers only now; told to stop, it does, and its files go.
      await sleep(1000);
      releaseStray();
      expect(await stray).toMatchObject({ message: 'replaced by a later attempt of the restore' });
      const retried = await retry;
      expect(retried).toMatchObject({ dataDir: join(workDir, 'retried', 'data'), connection: expect.any(String) });
      expect(existsSync(join(retried.dataDir, 'postmaster.pid'))).toBe(true);
      // The worker died with its instance running: the next attempt stops it and starts over.
      const again = (await activityEnvironment({ attempt: 3, heartbeatTimeoutMs: 120_000 }).run(
        retryActivities.restorePointInTime,
        strayInput,
      )) as PitrRestoreResult;
      expect(again).toMatchObject({ dataDir: retried.dataDir, connection: expect.any(String) });
      await activityEnvironment().run(retryActivities.stopPitrInstance, { dataDir: again.dataDir });
      // An attempt still working there in another worker process of this host (one cut off from
      // Temporal) cannot be stopped from here: the retry waits for it, retried, touching nothing.
      // Before, the two wrote into one cluster.
      const other = spawn('sleep', ['60']);
      try {
        writeFileSync(
          join(strayInput.dataDir!, FOLDER_HOLDER_FILE),
          formatFolderHolder({ pid: other.pid!, host: hostname(), what: `attempt 3 of ${strayInput.workflowId}` }),
        );
        const files = readdirSync(again.dataDir).sort();
        await expect(
          activityEnvironment({ attempt: 4, heartbeatTimeoutMs: 120_000 }).run(retryActivities.restorePointInTime, strayInput),
        ).rejects.toMatchObject({
          type: 'BusyError',
          nonRetryable: false,
          message: `attempt 3 of ${strayInput.workflowId} still works in ${strayInput.dataDir}, in process ${other.pid} of this host (another worker on this host's queue, cut off from Temporal); this attempt is retried once it ends: run one worker per host queue`,
        });
        expect(readdirSync(again.dataDir).sort()).toEqual(files);
        expect(existsSync(join(again.dataDir, 'postmaster.pid'))).toBe(false);
        // Another run's restore there is a usage error: a --data-dir of its own.
        await expect(
          activityEnvironment().run(retryActivities.restorePointInTime, { ...strayInput, workflowId: `pitr-${db}-other` }),
        ).rejects.toMatchObject({ type: 'UsageError', nonRetryable: true });
      } finally {
        other.kill();
      }
    } finally {
      releaseStray();
      await stray;
      strayDeps.bucket.s3.destroy();
      retryDeps.bucket.s3.destroy();
    }

    await archiving.cancel();
    await archiving.result();

    // The daily check sees the window, then a segment that went missing, named.
    const check = () =>
      server.client.workflow.execute(WorkflowType.check, {
        taskQueue,
        workflowId: `check-${db}-${uniqueSuffix()}`,
        args: [{ database: db }],
      });
    const whole = await check();
    expect(whole.pitr).toMatchObject({ baseBackups: 1, firstMissing: null, problems: [] });
    expect(whole.pitr!.window!.fromBackup).toBe(result.baseBackupId);
    const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
    const segmentKeys = (await bucket.list(walFolder(config.storage!.prefix, db)))
      .map((o) => o.key)
      .filter((k) => /\/[0-9A-F]{24}\.zst\.enc$/.test(k))
      .sort();
    // The first segment after the base backup's start: before it, WAL is outside the window.
    const [{ start }] = await baseBackups(bucket, config.storage!.prefix, db);
    const lost = segmentKeys.find((k) => walFileOf(k)!.fileName > start.walFile)!;
    await bucket.delete(lost);
    const broken = await check();
    expect(broken.pitr!.firstMissing).toBe(walFileOf(lost)!.fileName);
    // Verification checks the archive's continuity too.
    const verified: VerifyResult = await server.client.workflow.execute(WorkflowType.verify, {
      taskQueue,
      workflowId: `verify-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
    expect(verified.pitr).toMatchObject({ firstMissing: walFileOf(lost)!.fileName });
    expect(formatVerifyResult(verified).split('\n')).toContainEqual(
      expect.stringMatching(/^point-in-time archive: FAILED \(1 base backup\(s\)/),
    );
    // The report shows the window too, and the gap.
    const [report]: DatabaseReport[] = await server.client.workflow.execute(WorkflowType.report, {
      taskQueue,
      workflowId: `report-${db}-${uniqueSuffix()}`,
      args: [{ databases: [db], days: 7 }],
    });
    expect(report.pitr).toMatchObject({ baseBackups: 1, firstMissing: walFileOf(lost)!.fileName });
    expect(report.pitr!.window!.fromBackup).toBe(result.baseBackupId);
    expect(broken.problems).toContainEqual(
      expect.stringContaining(`the WAL archive of ${db} has a gap (${walFileOf(lost)!.fileName})`),
    );
    // The same judgement as the daily check's: its archive problems are the report's.
    const gap = (problems: string[]) => problems.filter((p) => p.includes('has a gap'));
    expect(gap(report.pitr!.problems)).toEqual(gap(broken.pitr!.problems));
    expect(gap(report.pitr!.problems)).toHaveLength(1);
  });
}, 300_000);
