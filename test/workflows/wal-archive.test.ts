/**
 * Continuous WAL archiving against the stack's real PostgreSQL and S3: pg_receivewal's
 * segments land compressed and encrypted within seconds, the open segment is shipped every
 * WAL_PARTIAL_UPLOAD_SECONDS, a worker killed mid-round is replaced without a gap in the
 * archive, the slot never holds more than the archive lacks, and a slot moved past the
 * archive (WAL lost) stops archiving with the gap named instead of skipping it.
 */
import { waitFor } from '../support/wait';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { walFileOf, walFolder } from '../../src/infra/storage/layout';
import { Keyring } from '../../src/infra/crypto/keyring';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { describeFailure } from '../../src/app/cli/failure';
import { slotNameFor } from '../../src/operations/pitr/spool';
import { walContinuity } from '../../src/operations/pitr/wal-continuity';
import { openWalFile, WAL_PLAIN_SHA256 } from '../../src/operations/pitr/wal-object';
import { parseLsn, parseSegmentName } from '../../src/operations/pitr/wal-names';
import type { WalArchiveStopped } from '../../workflows/wal-archive';
import type { FreshnessReport } from '../../src/operations/backup/freshness';
import { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName, withClient } from '../support/databases';
import { startDoomedWorker } from '../support/doomed-worker';
import { ephemeralPort } from '../../src/infra/net/ports';
import { stackConfig } from '../support/stack-env';
import { activityEnvironment, bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import { createHash } from 'node:crypto';
import { createHostWorker } from '../../src/app/worker/create-worker';
import { OutageProxy } from '../support/outage-proxy';
import { capturedMail, capturedPages, waitForCaptured } from '../support/sinks';
import { stackEnv } from '../support/stack-env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SEGMENT = 16 * 1024 * 1024;

let server: DevServer;
const databases: string[] = [];
const runs: WorkflowHandle[] = [];
beforeAll(async () => {
  server = await devServer();
});
afterAll(async () => {
  // A failed test leaves no archiving running: it would hold a slot on the shared server.
  for (const run of runs) await run.terminate('test over').catch(() => undefined);
  for (const db of databases) {
    // A slot left behind would hold the shared server's WAL for ever.
    await withClient('postgres', (c) =>
      c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slotNameFor(db)]),
    ).catch(() => undefined);
    await dropDatabase(db);
  }
  await server.close();
});

async function archivedDatabase(prefix: string, settings: Record<string, string> = {}) {
  const db = uniqueDatabaseName(prefix);
  databases.push(db);
  await createDatabase(db);
  await withClient(db, (c) =>
    c.query('CREATE TABLE marks (id serial PRIMARY KEY, mark text NOT NULL, at timestamptz DEFAULT now())'),
  );
  const overrides = { DATABASE_URL: databaseUrl(db), WAL_ARCHIVE: db, WAL_PARTIAL_UPLOAD_SECONDS: '1', ...settings };
  const config = stackConfig(overrides);
  const s3 = createS3Client(config.storage!);
  const bucket = new Bucket(config.storage!, s3);
  const keyring = Keyring.from(config.encryption!);
  /** Archived WAL files by PostgreSQL name, with their keys. */
  const archived = async () =>
    new Map(
      (await bucket.list(walFolder(config.storage!.prefix, db)))
        .map((o) => [walFileOf(o.key)?.fileName, o.key] as const)
        .filter((e): e is [string, string] => e[0] !== undefined),
    );
  /** Inserts a mark and finishes the WAL segment it is in; returns the segment's name. */
  const markAndSwitch = (mark: string) =>
    withClient(db, async (c) => {
      await c.query('INSERT INTO marks (mark) VALUES ($1)', [mark]);
      return (await c.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f')).rows[0].f;
    });
  /** Marks and switches until a completed segment is in S3 (archiving may still be starting); its name. */
  const firstArchived = (mark: string) =>
    waitFor(
      'a first segment in S3',
      async () => {
        const n = await markAndSwitch(`${mark}-${Date.now()}`);
        await sleep(1500);
        return (await archived()).has(n) && n;
      },
      60,
    );
  /** Starts archiving on a worker's queue, for ten minutes; the run is terminated after the tests. */
  const startRound = async (taskQueue: string, more: Record<string, unknown> = {}) => {
    const handle = await server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600, ...more }],
    });
    runs.push(handle);
    return handle;
  };
  return { db, overrides, config, s3, bucket, keyring, archived, markAndSwitch, firstArchived, startRound };
}

it('ships completed segments and the open one within seconds, and stops cleanly', async () => {
  const t = await archivedDatabase('wal');
  const taskQueue = uniqueTaskQueue('wal');
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(t.config)));
  await worker.runUntil(async () => {
    const handle = await t.startRound(taskQueue);
    // The slot exists once archiving runs; WAL from then on is held for the archive.
    await waitFor('the slot', () =>
      withClient(
        'postgres',
        async (c) => (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slotNameFor(t.db)])).rowCount,
      ),
    );
    await sleep(1000);
    const first = await t.markAndSwitch('first');
    const switchedAt = Date.now();
    const key = await waitFor(`${first} in S3`, async () => (await t.archived()).get(first));
    // Compressed and encrypted, and exactly the segment PostgreSQL wrote.
    expect(key).toMatch(new RegExp(`/wal/${first}\\.zst\\.enc$`));
    expect(Date.now() - switchedAt).toBeLessThan(10_000);
    const plain = (await openWalFile(t.bucket, key, t.keyring))!;
    expect(plain.length).toBe(SEGMENT);
    expect(plain.includes(Buffer.from('first'))).toBe(true);
    const head = await t.bucket.head(key);
    expect(head?.Metadata?.[WAL_PLAIN_SHA256]).toBe(createHash('sha256').update(plain).digest('hex'));

    // A commit without a segment switch reaches S3 in the open segment's copy.
    const mark = `open-${randomUUID()}`;
    const segments = await withClient(t.db, async (c) => {
      const insertSegment = async () =>
        (await c.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS f')).rows[0].f;
      const before = await insertSegment();
      await c.query('INSERT INTO marks (mark) VALUES ($1)', [mark]);
      return [...new Set([before, await insertSegment()])];
    });
    const committedAt = Date.now();
    // Tests running beside this one share the cluster's WAL: one of them may switch segments,
    // and then the mark ships in the completed segment, whose arrival replaces the open copy.
    await waitFor('the mark in the open segment', async () => {
      const files = await t.archived();
      for (const name of segments.flatMap((n) => [`${n}.partial`, n])) {
        const k = files.get(name);
        if (k && (await openWalFile(t.bucket, k, t.keyring))?.includes(Buffer.from(mark))) return true;
      }
      return false;
    });
    expect(Date.now() - committedAt).toBeLessThan(10_000);

    // The slot holds WAL only from the archive's end on: the server may recycle everything before it.
    const slot = await withClient(
      'postgres',
      async (c) =>
        (
          await c.query<{ lsn: string }>('SELECT restart_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [
            slotNameFor(t.db),
          ])
        ).rows[0].lsn,
    );
    expect(parseSegmentName(first)!.segno).toBeLessThan(parseLsn(slot) / BigInt(SEGMENT));

    await handle.cancel();
    const stopped = (await handle.result()) as WalArchiveStopped;
    expect(stopped).toMatchObject({ server: t.db, stoppedBy: 'request' });
    // Nothing keeps streaming after a stop.
    const receivers = await withClient(
      'postgres',
      async (c) => (await c.query('SELECT 1 FROM pg_stat_replication WHERE application_name = $1', [slotNameFor(t.db)])).rowCount,
    );
    expect(receivers).toBe(0);
  });
  t.s3.destroy();
}, 120_000);

it('a busy server has its open segment shipped every second, not only every WAL_PARTIAL_UPLOAD_SECONDS', async () => {
  const t = await archivedDatabase('walbusy', { WAL_PARTIAL_UPLOAD_SECONDS: '120', WAL_PARTIAL_UPLOAD_KB: '16' });
  const taskQueue = uniqueTaskQueue('walbusy');
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(t.config)));
  await worker.runUntil(async () => {
    const handle = await t.startRound(taskQueue);
    // Archiving runs once a first segment is in S3.
    await t.firstArchived('start');
    /** The archived file holding a mark, if any. */
    const holding = async (mark: string) => {
      for (const [name, k] of await t.archived())
        if ((await openWalFile(t.bucket, k, t.keyring))?.includes(Buffer.from(mark))) return name;
      return undefined;
    };
    /** A mark and 200 KiB of WAL behind it (far more than WAL_PARTIAL_UPLOAD_KB), no segment switch. */
    const busyWrite = async () => {
      const mark = `busy-${randomUUID()}`;
      await withClient(t.db, async (c) => {
        await c.query('INSERT INTO marks (mark) VALUES ($1)', [mark]);
        await c.query("INSERT INTO marks (mark) SELECT md5(g::text) || repeat('x', 900) FROM generate_series(1, 200) g");
      });
      return mark;
    };
    // First, a copy of the open segment exists: its first copy goes out at once, so only a
    // later write shows the cadence.
    let shipped: string;
    do {
      const first = await busyWrite();
      shipped = await waitFor('a first mark in S3', () => holding(first), 60);
    } while (!shipped.endsWith('.partial'));
    await sleep(1500);
    const mark = await busyWrite();
    const committedAt = Date.now();
    await waitFor('the mark in S3', () => holding(mark), 60);
    // Within seconds, where the interval alone would take two minutes.
    expect(Date.now() - committedAt).toBeLessThan(15_000);
    await handle.cancel();
    await handle.result();
  });
  t.s3.destroy();
}, 120_000);

it('a worker killed mid-round is replaced from the archive and the slot, with no gap', async () => {
  const t = await archivedDatabase('walcrash');
  const taskQueue = uniqueTaskQueue('walcrash');
  const metricsPort = await ephemeralPort();
  const doomed = startDoomedWorker({
    ...t.overrides,
    PGWARDEN_TASK_QUEUE: taskQueue,
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: '127.0.0.1',
  });
  const handle = await t.startRound(taskQueue);
  const before = await t.firstArchived('before');
  // The worker says where the archive stands: its position, the server's lead over it, and when it last moved.
  // Every gauge is there once the round has shipped a segment and sampled the server (every 2 s);
  // the position one reaches past the segment found in S3 at the next sample after it (CI once
  // scraped the sample before).
  const pastBefore = Number(parseSegmentName(before)!.segno + 1n) * SEGMENT;
  let metrics = '';
  const gauge = (name: string) =>
    Number(new RegExp(`^${name}\\S*\\{[^}]*server="${t.db}"[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
  await waitFor('the gauges, the position past the first segment archived', async () => {
    metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return (
      metrics.includes('pgwarden_wal_archive_lag_seconds') &&
      metrics.includes('pgwarden_wal_slot_retained_bytes') &&
      gauge('pgwarden_wal_archived_position_bytes') >= pastBefore
    );
  });
  expect(gauge('pgwarden_wal_archived_position_bytes')).toBeGreaterThanOrEqual(pastBefore);
  expect(gauge('pgwarden_wal_archive_behind_bytes')).toBeGreaterThanOrEqual(0);
  expect(gauge('pgwarden_wal_last_archived_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  // The watchdog's reading: the RPO of a recovery now, and what the slot keeps on the server's disk.
  expect(gauge('pgwarden_wal_archive_lag_seconds')).toBeGreaterThanOrEqual(0);
  expect(gauge('pgwarden_wal_archive_lag_seconds')).toBeLessThan(60);
  expect(gauge('pgwarden_wal_slot_retained_bytes')).toBeGreaterThanOrEqual(0);
  doomed.killHard();
  // Segments finished while nobody archives stay on the server, held by the slot; checkpoints
  // recycle everything before it, so the takeover must start where the bucket ends, not where
  // the dead worker's last (throttled) heartbeat said.
  const during = [await t.markAndSwitch('during-1'), await t.markAndSwitch('during-2')];
  await withClient('postgres', async (c) => {
    await c.query('CHECKPOINT');
    await c.query('SELECT pg_switch_wal()');
    await c.query('CHECKPOINT');
  });

  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(t.config)));
  await worker.runUntil(async () => {
    const after = await t.markAndSwitch('after');
    await waitFor(
      'every segment after the takeover',
      async () => {
        const names = await t.archived();
        if ([...during, after].every((n) => names.has(n))) return true;
        // A round that failed for good says why, instead of a bare timeout.
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') await handle.result();
        return false;
      },
      120,
    );
    await handle.cancel();
    await handle.result();
  });
  const names = [...(await t.archived()).keys()];
  const continuity = walContinuity({
    from: parseSegmentName(before)!.segno * BigInt(SEGMENT),
    timeline: 1,
    history: [],
    stored: names,
  });
  expect(continuity).toMatchObject({ firstMissing: undefined, gaps: [] });
  expect(continuity.found).toBeGreaterThanOrEqual(4);
  t.s3.destroy();
}, 240_000);

it('refuses to go on when the slot was moved past the archive, naming the gap', async () => {
  const t = await archivedDatabase('walgap');
  const taskQueue = uniqueTaskQueue('walgap');
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(t.config)));
  const slot = slotNameFor(t.db);
  await worker.runUntil(async () => {
    const start = async () => {
      const handle = await t.startRound(taskQueue);
      return handle;
    };
    const first = await start();
    const name = await t.firstArchived('x');
    await first.cancel();
    await first.result();
    expect(name).toBeTruthy();
    // Someone recreates the slot while archiving is stopped: the WAL in between is not held any more.
    await withClient('postgres', (c) => c.query('SELECT pg_drop_replication_slot($1)', [slot]));
    // Two segments finish that nothing holds for the archive.
    await t.markAndSwitch('lost-1');
    await t.markAndSwitch('lost-2');
    // A new physical slot holds WAL from the last checkpoint on: after this one, none of the lost segments.
    await withClient('postgres', async (c) => {
      await c.query('CHECKPOINT');
      await c.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
    });
    await t.markAndSwitch('y');
    const second = await start();
    const err = await Promise.race([second.result().catch((e: unknown) => e), sleep(30_000).then(() => 'still archiving')]);
    if (err === 'still archiving') await second.terminate('the gap was not found');
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(describeFailure(err).lines.join(' ')).toMatch(
      /the archive ends before [0-9A-F]{24} but the replication slot only holds WAL from [0-9A-F]+\/[0-9A-F]+: WAL from .* is lost/,
    );
    // People hear of it at once, not at the next daily check.
    const [stopped] = await waitForCaptured(capturedMail, `WAL archiving of ${t.db} stopped`);
    expect(stopped?.text).toMatch(/Reason: .*is lost/);
    expect(stopped?.text).toContain('pgwarden basebackup');

    // Started again past the gap (wal start --accept-gap): once its checks pass, the pager's alert of the stop ends.
    const resumed = await t.startRound(taskQueue, { acceptGap: true });
    const alert = `pgwarden:wal-stopped:${t.db}`;
    const pages = async () =>
      (await capturedPages(alert)).filter((p) => p.body.dedup_key === alert).map((p) => p.body.event_action);
    // Each run started afresh ends it: the first one (nothing to end yet), then the stop, then the restart.
    await waitFor('the restart to end the alert', async () => (await pages()).length === 3);
    expect(await pages()).toEqual(['resolve', 'trigger', 'resolve']);
    // Nobody else hears of it.
    expect(await capturedMail(`WAL archiving of ${t.db} runs`)).toEqual([]);
    await resumed.cancel();
    await resumed.result();
  });
  t.s3.destroy();
}, 120_000);

it("alerts when no worker takes a round from the server's host queue, once, and says when the archive caught up", async () => {
  const t = await archivedDatabase('walnoworker');
  const taskQueue = uniqueTaskQueue('walnoworker');
  const hostQueue = uniqueTaskQueue('walnoworker-host');
  // The round's own watchdog gets a roomier limit than the workflow's, so a busy CI server's lag cannot flap it.
  const activities = createActivities(createActivityDeps(stackConfig({ ...t.overrides, WAL_MAX_LAG_SECONDS: '20' })));
  const worker = await bundledWorker(server, taskQueue, activities);
  await worker.runUntil(async () => {
    const handle = await t.startRound(taskQueue, { hostQueue, maxLagSeconds: 2 });
    const behind = `WAL archive of ${t.db} is behind`;
    const [alert] = await waitForCaptured(capturedMail, behind, 1, 30_000);
    expect(alert?.subject).toContain(`FAILED: ${behind}`);
    expect(alert?.text).toContain(`no worker took the round from task queue "${hostQueue}"`);
    await sleep(5000); // more rounds time out meanwhile: still one alert
    expect(await capturedMail(behind)).toHaveLength(1);

    const hostWorker = await createHostWorker({
      connection: server.nativeConnection,
      namespace: server.namespace,
      taskQueue: hostQueue,
      activities,
    });
    await hostWorker.runUntil(async () => {
      const [clear] = await waitForCaptured(capturedMail, `WAL archive of ${t.db} caught up`, 1, 60_000);
      expect(clear?.subject).toContain('OK:');
      const name = await t.markAndSwitch('after');
      await waitFor(`${name} in S3`, async () => (await t.archived()).has(name), 60);
      await handle.cancel();
      await handle.result();
    });
    expect(await capturedMail(behind)).toHaveLength(1);
  });
  t.s3.destroy();
}, 180_000);

it('S3 away while writes go on: the slot keeps the WAL, the watchdog alerts, and the archive catches up with no gap', async () => {
  const t = await archivedDatabase('wals3down');
  const taskQueue = uniqueTaskQueue('wals3down');
  const s3 = new URL(stackEnv().S3_ENDPOINT!);
  const proxy = await OutageProxy.start({ host: s3.hostname, port: Number(s3.port) });
  const config = stackConfig({ ...t.overrides, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, WAL_MAX_LAG_SECONDS: '5' });
  const worker = await bundledWorker(server, taskQueue, createActivities(createActivityDeps(config)));
  try {
    await worker.runUntil(async () => {
      const handle = await t.startRound(taskQueue, { maxLagSeconds: 60 });
      const before = await t.firstArchived('before');
      await proxy.down();
      const during: string[] = [];
      for (let i = 0; i < 8; i++) {
        during.push(await t.markAndSwitch(`during-${i}`));
        await sleep(2000);
      }
      const behind = `WAL archive of ${t.db} is behind`;
      const [alert] = await waitForCaptured(capturedMail, behind, 1, 30_000);
      expect(alert?.text).toMatch(
        /Problem: +(archiving has been failing for \d+ s|the archive is \d+ s behind the server) \(WAL_MAX_LAG_SECONDS=5\)/,
      );
      // The server keeps what the archive lacks.
      const held = await withClient(
        'postgres',
        async (c) =>
          (
            await c.query<{ f: string }>(
              'SELECT pg_walfile_name(restart_lsn) AS f FROM pg_replication_slots WHERE slot_name = $1',
              [slotNameFor(t.db)],
            )
          ).rows[0].f,
      );
      expect(held <= during[0]).toBe(true);
      // The daily check, reading the bucket directly, sees the archive stand still behind the server.
      const checker = createActivities(createActivityDeps(stackConfig({ ...t.overrides, WAL_MAX_LAG_SECONDS: '5' })));
      const checked = (await activityEnvironment().run(checker.checkBackupFreshness, {
        database: t.db,
        now: new Date().toISOString(),
        workflowId: `check-${t.db}`,
      })) as FreshnessReport;
      expect(checked.pitr!.problems).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^the WAL archive of ${t.db} is [\\d.]+ MiB behind the server and has not grown for \\d+ s \\(WAL_MAX_LAG_SECONDS=5\\): is archiving running\\?`,
          ),
        ),
      );
      await proxy.up();
      await waitFor(
        'every segment written while S3 was away',
        async () => {
          const names = await t.archived();
          return during.every((n) => names.has(n));
        },
        120,
      );
      await waitForCaptured(capturedMail, `WAL archive of ${t.db} caught up`, 1, 60_000);
      expect(await capturedMail(behind)).toHaveLength(1);
      await handle.cancel();
      await handle.result();
      const continuity = walContinuity({
        from: parseSegmentName(before)!.segno * BigInt(SEGMENT),
        timeline: 1,
        history: [],
        stored: [...(await t.archived()).keys()],
      });
      expect(continuity).toMatchObject({ firstMissing: undefined, gaps: [] });
    });
  } finally {
    await proxy.close();
    t.s3.destroy();
  }
}, 240_000);
