/**
 * Point-in-time recovery benchmark, on a PostgreSQL cluster of its own (pgbench at --scale,
 * archived by pgwarden and, when Debian's `pgbackrest` is installed, by pgBackRest's
 * archive_command too, so both hold the same WAL). In one run:
 *   1. base backups, each --repeat times: plain `pg_basebackup -Ft -D - > /dev/null` (the
 *      issue's baseline), the same with pgwarden's flags and compression (-X fetch,
 *      client-zstd:1 with 2 workers) to /dev/null, pgwarden's BaseBackupWorkflow into the local
 *      S3, and a pgBackRest full backup (zst, the same compression type) to a local repository;
 *   2. --minutes of pgbench load at --tps while archiving: the archive lag of a probe commit
 *      every 250 ms (commit acknowledged -> the bucket holds its WAL, polled every 100 ms),
 *      p50 / p99 / max, and the worker's resident memory every 10 s (first minute vs last);
 *   3. point-in-time restores to a moment near the end of the load, each --repeat times:
 *      pgwarden's PitrRestoreWorkflow (stopped after promotion) against `pgbackrest restore`
 *      plus starting PostgreSQL until it is promoted;
 *   4. verify's read-back of all the archived WAL, each --repeat times from scratch, against
 *      `pgbackrest verify` of its repository.
 * Each time is the minimum and the median of the repeats; ratios are against the baseline
 * measured in the same run.
 * Usage: npm run bench:pitr -- [--scale 20] [--repeat 3] [--minutes 10] [--tps 200] [--partial 5] [--partial-kb 64] [--base-only] [--tablespace] [--printshop ORDERS] [--keep]
 * (--base-only: step 1 alone; --tablespace: pgbench_accounts (or order_items) in a tablespace of
 * its own, so pg_basebackup writes to a folder (the baselines too) and pgwarden copies through
 * its spool; --printshop: with --base-only, the generated print shop (bench/printshop.sql,
 * compressing about 3x) of that many orders instead of pgbench)
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { ephemeralPort } from '../src/infra/net/ports';
import { envFile, repoRoot } from '../devstack/paths';
import { up } from '../devstack/stack';
import { loadConfig, WORKER_NEEDS } from '../src/infra/config/config';
import { readEnvFile } from '../src/infra/config/env-file';
import { Keyring } from '../src/infra/crypto/keyring';
import { pgProgram } from '../src/infra/postgres/binaries';
import { handOver, initCluster, instanceUser, RunAs, startInstance, stopInstance } from '../src/infra/postgres/instance';
import { Bucket } from '../src/infra/storage/bucket';
import { createS3Client } from '../src/infra/storage/s3-client';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { archivedUpTo, archivedWal } from '../src/operations/pitr/archive';
import { parseLsn } from '../src/operations/pitr/wal-names';
import type { PitrRestoreResult } from '../activities/pitr';
import type { VerifyResult } from '../workflows/verify';
import type { WalVerification } from '../src/operations/pitr/wal-verification';
import { walVerificationKey } from '../src/infra/storage/layout';
import { describePhases } from '../src/app/cli/commands/pitr';
import { activitySteps, median, memoryMiB, option, printTable, seconds, startWorker, timed } from './support';

/** initdb's default, which the benchmark's cluster keeps. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** Runs a program as the instance's user (pgBackRest must read and write what PostgreSQL owns). */
function runAsInstance(runAs: RunAs, command: string, argv: string[], stdout: 'ignore' | 'pipe' = 'ignore'): string {
  const res = spawnSync(command, argv, {
    uid: runAs.uid,
    gid: runAs.gid,
    env: { PATH: process.env.PATH, HOME: tmpdir() },
    stdio: ['ignore', stdout, 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed: ${res.stderr}`);
  return stdout === 'pipe' ? res.stdout.toString() : '';
}

async function main(): Promise<void> {
  const scale = Number(option('scale', '20'));
  const repeat = Number(option('repeat', '3'));
  const minutes = Number(option('minutes', '10'));
  const tps = Number(option('tps', '200'));
  const partialSeconds = option('partial', '5');
  const partialKb = option('partial-kb', '64');
  const baseOnly = process.argv.includes('--base-only');
  const withTablespace = process.argv.includes('--tablespace');
  const printshopOrders = Number(option('printshop', '0'));
  if (printshopOrders && !baseOnly) throw new Error('--printshop goes with --base-only: the load of steps 2-4 is pgbench');
  await up((line) => process.stderr.write(`stack: ${line}\n`));
  const stackEnv = readEnvFile(envFile);
  const runAs = instanceUser();
  const hasPgbackrest = spawnSync('pgbackrest', ['version']).status === 0;
  if (!hasPgbackrest)
    process.stderr.write('bench: pgbackrest not installed (apt-get install pgbackrest): its columns stay empty\n');

  // A cluster of its own: base backups copy a whole cluster, and the stack's holds gigabytes of other benchmarks.
  const root = mkdtempSync(join(tmpdir(), 'pgwarden-bench-pitr-'));
  const socketDir = mkdtempSync('/tmp/pgwb-');
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  for (const dir of [root, socketDir, dataDir]) handOver(dir, runAs);
  const password = randomBytes(12).toString('hex');
  await initCluster({ dataDir, superuser: 'pgwarden', password, runAs });
  const port = await ephemeralPort();
  const url = (db: string) => `postgres://pgwarden:${password}@127.0.0.1:${port}/${db}`;
  // Programs the bench runs get the password from the environment, not their arguments (ps shows those).
  process.env.PGPASSWORD = password;
  const argUrl = (db: string) => `postgres://pgwarden@127.0.0.1:${port}/${db}`;
  const conf = join(root, 'pgbackrest.conf');
  if (hasPgbackrest) {
    for (const d of ['repo', 'log', 'lock', 'spool']) {
      mkdirSync(join(root, `pgbackrest-${d}`));
      handOver(join(root, `pgbackrest-${d}`), runAs);
    }
    writeFileSync(
      conf,
      [
        '[global]',
        `repo1-path=${root}/pgbackrest-repo`,
        `log-path=${root}/pgbackrest-log`,
        `lock-path=${root}/pgbackrest-lock`,
        `spool-path=${root}/pgbackrest-spool`,
        'repo1-retention-full=99',
        'compress-type=zst',
        'start-fast=y',
        'log-level-console=warn',
        '[bench]',
        `pg1-path=${dataDir}`,
        `pg1-port=${port}`,
        `pg1-socket-path=${socketDir}`,
        'pg1-user=pgwarden',
        '',
      ].join('\n'),
    );
    handOver(conf, runAs);
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      `\narchive_mode = on\narchive_command = 'pgbackrest --config=${conf} --stanza=bench archive-push %p'\n`,
    );
  }
  const settings = { wal_level: 'replica', max_wal_senders: '10', unix_socket_directories: socketDir };
  await startInstance({ dataDir, port, runAs, settings });
  const admin = new PgClient({ connectionString: url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  if (printshopOrders) {
    process.stderr.write(`bench: generating the print shop (${printshopOrders} orders)...\n`);
    const made = spawnSync(
      pgProgram('psql'),
      [
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-v',
        `orders=${printshopOrders}`,
        '-f',
        join(repoRoot, 'bench', 'printshop.sql'),
        argUrl('bench'),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (made.status !== 0) throw new Error('the print shop could not be generated');
  } else {
    process.stderr.write(`bench: pgbench -i -s ${scale}...\n`);
    spawnSync(pgProgram('pgbench'), ['-i', '-q', '-s', String(scale), argUrl('bench')], { stdio: 'ignore' });
  }
  if (withTablespace) {
    const location = join(root, 'tablespace');
    mkdirSync(location, { mode: 0o700 });
    handOver(location, runAs);
    const c = new PgClient({ connectionString: url('bench') });
    await c.connect();
    await c.query(`CREATE TABLESPACE bench_ts LOCATION '${location}'`);
    const [table, index] = printshopOrders ? ['order_items', 'order_items_pkey'] : ['pgbench_accounts', 'pgbench_accounts_pkey'];
    await c.query(`ALTER TABLE ${table} SET TABLESPACE bench_ts`);
    await c.query(`ALTER INDEX ${index} SET TABLESPACE bench_ts`);
    await c.end();
  }
  if (hasPgbackrest) runAsInstance(runAs, 'pgbackrest', [`--config=${conf}`, '--stanza=bench', 'stanza-create']);
  // With a tablespace pg_basebackup writes only to a folder: the baselines too (removed after each, untimed).
  const copyTo = withTablespace ? join(root, 'basebackup') : '-';
  const clearCopy = () => withTablespace && rmSync(copyTo, { recursive: true, force: true });

  const prefix = `bench-pitr-${randomUUID().slice(0, 8)}`;
  const env: Record<string, string> = {
    ...stackEnv,
    DATABASE_URL: url('bench'),
    WAL_ARCHIVE: 'bench',
    PGWARDEN_WORK_DIR: join(root, 'work'),
    S3_PREFIX: prefix,
  };
  mkdirSync(env.PGWARDEN_WORK_DIR);
  const config = loadConfig(env, { require: WORKER_NEEDS });
  const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
  const keyring = Keyring.from(config.encryption!);
  const taskQueue = `bench-pitr-${randomUUID().slice(0, 8)}`;
  const worker = await startWorker(env, taskQueue, {
    WAL_ARCHIVE: 'bench',
    PGWARDEN_WORK_DIR: env.PGWARDEN_WORK_DIR,
    S3_PREFIX: prefix,
    WAL_PARTIAL_UPLOAD_SECONDS: partialSeconds,
    WAL_PARTIAL_UPLOAD_KB: partialKb,
  });
  // The worker's own log, kept with --keep for a look afterwards.
  worker.stderr!.pipe(createWriteStream(join(root, 'worker.log')));
  const memory: Array<{ at: number; rss: number }> = [];
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const id = () => randomUUID().slice(0, 8);
  try {
    const archiving = await client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `bench-wal-archive-${id()}`,
      args: [{ server: 'bench', roundSeconds: 3600 }],
    });
    const clusterBytes = Number(
      (await queryOne<{ s: string }>(url('postgres'), 'SELECT sum(pg_database_size(oid))::text AS s FROM pg_database')).s,
    );

    // 1. Base backups.
    await sleep(2000); // the archiver's first round settles
    const idlePeak = memoryMiB(worker.pid!).peak;
    const basebackup: number[] = [];
    const basebackupZstd: number[] = [];
    const ours: number[] = [];
    const ourIds: string[] = [];
    const pgbackrest: number[] = [];
    for (let i = 0; i < repeat; i++) {
      basebackup.push(
        await timed(() =>
          spawnSync(
            pgProgram('pg_basebackup'),
            [
              `--pgdata=${copyTo}`,
              '--format=tar',
              '--wal-method=none',
              '--checkpoint=fast',
              '--no-password',
              '-d',
              argUrl('postgres'),
            ],
            { stdio: ['ignore', 'ignore', 'ignore'] },
          ),
        ),
      );
      clearCopy();
      // The same copy with pgwarden's compression and nothing else: what is left is pgwarden's own cost.
      basebackupZstd.push(
        await timed(() =>
          spawnSync(
            pgProgram('pg_basebackup'),
            [
              `--pgdata=${copyTo}`,
              '--format=tar',
              '--wal-method=fetch',
              '--checkpoint=fast',
              '--compress=client-zstd:level=1,workers=2',
              '--no-password',
              '-d',
              argUrl('postgres'),
            ],
            { stdio: ['ignore', 'ignore', 'ignore'] },
          ),
        ),
      );
      clearCopy();
      const workflowId = `bench-base-backup-${id()}`;
      ourIds.push(workflowId);
      ours.push(
        await timed(() =>
          client.workflow.execute(WorkflowType.baseBackup, {
            taskQueue,
            workflowId,
            args: [{ server: 'bench', reason: 'bench' }],
          }),
        ),
      );
      if (hasPgbackrest)
        pgbackrest.push(
          await timed(() => runAsInstance(runAs, 'pgbackrest', [`--config=${conf}`, '--stanza=bench', '--type=full', 'backup'])),
        );
    }

    // Figures of the base backups, printed at once.
    const mm = (xs: number[]) => (xs.length ? `${seconds(Math.min(...xs))}/${seconds(median(xs))} s` : 'not measured');
    const ratio = (xs: number[], base: number[]) =>
      xs.length && base.length
        ? `x${(Math.min(...xs) / Math.min(...base)).toFixed(2)}/x${(median(xs) / median(base)).toFixed(2)}`
        : '';
    printTable(
      `Base backup of a ${(clusterBytes / 1048576).toFixed(0)} MiB cluster (${printshopOrders ? `print shop, ${printshopOrders} orders` : `pgbench scale ${scale}`}${withTablespace ? `, ${printshopOrders ? 'order_items' : 'pgbench_accounts'} in a second tablespace` : ''}); min/median of ${repeat}`,
      ['', 'time', 'vs pg_basebackup', 'vs pgBackRest'],
      [
        [
          withTablespace ? 'pg_basebackup -Ft -D DIR (a folder: tablespaces)' : 'pg_basebackup -Ft -D - > /dev/null',
          mm(basebackup),
          '',
          '',
        ],
        [
          `same, -X fetch, client-zstd:1 with 2 workers${withTablespace ? ', to the folder' : ''}`,
          mm(basebackupZstd),
          ratio(basebackupZstd, basebackup),
          '',
        ],
        ['pgBackRest full backup (zst, local repo)', mm(pgbackrest), ratio(pgbackrest, basebackup), ''],
        [
          `pgwarden basebackup (zstd, encrypted, S3${withTablespace ? ', through its spool' : ''})`,
          mm(ours),
          ratio(ours, basebackup),
          ratio(ours, pgbackrest),
        ],
        [
          `pgwarden vs the same compression to ${withTablespace ? 'the folder' : '/dev/null'}`,
          '',
          ratio(ours, basebackupZstd),
          '',
        ],
      ],
    );
    // Where the fastest base backup's time went, from its history.
    const steps = activitySteps(await client.workflow.getHandle(ourIds[ours.indexOf(Math.min(...ours))]).fetchHistory());
    process.stdout.write(
      `pgwarden base backup, fastest run: ${seconds(steps.total)} s in the workflow; ${steps.activities
        .map((a) => `${a.name} ${seconds(a.ms)} s`)
        .join(', ')}\n`,
    );
    // The worker has only archived a quiet server so far: its peak is the base backups'.
    process.stdout.write(
      `Worker peak resident memory: ${idlePeak.toFixed(0)} MiB before the base backups, ${memoryMiB(worker.pid!).peak.toFixed(0)} MiB after them\n`,
    );
    if (baseOnly) {
      await archiving.cancel();
      return;
    }

    // 2. Load, archive lag and the worker's memory.
    process.stderr.write(`bench: ${minutes} min of pgbench at ${tps} tps while archiving...\n`);
    const probe = new PgClient({ connectionString: url('bench') });
    await probe.connect();
    await probe.query('CREATE TABLE IF NOT EXISTS lag_probe (id serial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())');
    const load = spawn(
      pgProgram('pgbench'),
      ['-n', '-c', '2', '-R', String(tps), '-T', String(Math.round(minutes * 60)), argUrl('bench')],
      { stdio: 'ignore' },
    );
    const loadDone = new Promise((r) => load.once('exit', r));
    const loadStart = Date.now();
    let loading = true;
    void loadDone.then(() => (loading = false));
    const pending: Array<{ at: number; lsn: bigint }> = [];
    const lags: number[] = [];
    const probing = (async () => {
      while (loading) {
        await probe.query('INSERT INTO lag_probe DEFAULT VALUES');
        const lsn = parseLsn((await probe.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l);
        pending.push({ at: Date.now(), lsn });
        await sleep(250);
      }
    })();
    const polling = (async () => {
      while (loading || pending.length) {
        const upTo = await archivedUpTo(bucket, await archivedWal(bucket, keyring, prefix, 'bench'), SEGMENT_BYTES);
        const now = Date.now();
        while (pending.length && upTo !== null && pending[0].lsn <= upTo) lags.push(now - pending.shift()!.at);
        if (!loading && now - loadStart > minutes * 60_000 + 60_000) break;
        await sleep(100);
      }
    })();
    const sampling = setInterval(() => memory.push({ at: Date.now(), rss: memoryMiB(worker.pid!).now }), 10_000);
    await loadDone;
    await probing;
    await polling;
    clearInterval(sampling);
    const archivingPeak = memoryMiB(worker.pid!).peak;
    await probe.end();
    const target = new Date(Date.now() - 20_000).toISOString();
    // pgBackRest's archive_command gets completed segments only: finish the open one, and wait
    // until both archives hold it.
    const [{ f: lastSegment }] = await queryAll<{ f: string }>(url('bench'), 'SELECT pg_walfile_name(pg_switch_wal()) AS f');
    for (const deadline = Date.now() + 120_000; ;) {
      const ours = (await archivedWal(bucket, keyring, prefix, 'bench')).segments.has(lastSegment);
      const [{ a }] = await queryAll<{ a: string | null }>(
        url('postgres'),
        'SELECT last_archived_wal AS a FROM pg_stat_archiver',
      );
      if (ours && (!hasPgbackrest || (a ?? '') >= lastSegment)) break;
      if (Date.now() > deadline) throw new Error(`${lastSegment} did not reach both archives within 2 minutes`);
      await sleep(200);
    }

    // 3. Point-in-time restores to the same moment.
    const restores: number[] = [];
    const theirs: number[] = [];
    let last: PitrRestoreResult | undefined;
    for (let i = 0; i < repeat; i++) {
      const dir = join(root, `pitr-${i}`);
      restores.push(
        await timed(async () => {
          last = await client.workflow.execute(WorkflowType.pitrRestore, {
            taskQueue,
            workflowId: `bench-pitr-${id()}`,
            args: [{ server: 'bench', target: { kind: 'time', time: target }, dataDir: dir, stopAfter: true }],
          });
        }),
      );
      rmSync(dir, { recursive: true, force: true });
      if (hasPgbackrest) {
        const theirDir = join(root, `pgbackrest-restore-${i}`);
        mkdirSync(theirDir, { mode: 0o700 });
        handOver(theirDir, runAs);
        theirs.push(
          await timed(async () => {
            runAsInstance(runAs, 'pgbackrest', [
              `--config=${conf}`,
              '--stanza=bench',
              `--pg1-path=${theirDir}`,
              '--type=time',
              // pgBackRest's own time format: the same moment.
              `--target=${target.replace('T', ' ').replace('Z', '+00')}`,
              '--target-action=promote',
              'restore',
            ]);
            const theirPort = await ephemeralPort();
            await startInstance({
              dataDir: theirDir,
              port: theirPort,
              runAs,
              settings: { unix_socket_directories: "''", archive_mode: 'off' },
              timeoutSeconds: 3600,
            });
            for (;;) {
              const r = await queryOne<{ r: boolean }>(
                url('postgres').replace(`:${port}/`, `:${theirPort}/`),
                'SELECT pg_is_in_recovery() AS r',
              ).catch(() => ({ r: true }));
              if (!r.r) break;
              const fatal = /FATAL: .*/.exec(readFileSync(join(theirDir, 'pgwarden-instance.log'), 'utf8'));
              if (fatal) throw new Error(`pgBackRest's restored instance stopped: ${fatal[0]}`);
              await sleep(100);
            }
          }),
        );
        await stopInstance({ dataDir: theirDir, runAs });
        rmSync(theirDir, { recursive: true, force: true });
      }
    }

    // 4. verify's read-back of the archived WAL, from scratch each time (its record removed),
    // against pgBackRest's verify of its repository (which holds the same WAL).
    const readBacks: number[] = [];
    let readBack: WalVerification | undefined;
    for (let i = 0; i < repeat; i++) {
      await bucket.delete(walVerificationKey(prefix, 'bench'));
      const verified: VerifyResult = await client.workflow.execute(WorkflowType.verify, {
        taskQueue,
        workflowId: `bench-verify-${id()}`,
        args: [{ database: 'bench' }],
      });
      readBack = verified.walContents;
      if (readBack?.status !== 'passed') throw new Error(`the WAL read-back did not pass: ${JSON.stringify(readBack)}`);
      readBacks.push(readBack.durationMs);
    }
    const theirVerify: number[] = [];
    if (hasPgbackrest)
      for (let i = 0; i < repeat; i++)
        theirVerify.push(await timed(() => runAsInstance(runAs, 'pgbackrest', [`--config=${conf}`, '--stanza=bench', 'verify'])));
    await archiving.cancel();

    // Figures.
    printTable(
      `Archive lag under pgbench -c 2 -R ${tps} for ${minutes} min, WAL_PARTIAL_UPLOAD_SECONDS=${partialSeconds}, WAL_PARTIAL_UPLOAD_KB=${partialKb} (commit acknowledged -> its WAL in the bucket, polled every 100 ms; ${lags.length} probes)`,
      ['p50', 'p99', 'max', 'not seen archived'],
      [[`${seconds(pct(lags, 50))} s`, `${seconds(pct(lags, 99))} s`, `${seconds(Math.max(...lags))} s`, String(pending.length)]],
    );
    const firstMinute = memory.filter((m) => m.at - loadStart <= 60_000).map((m) => m.rss);
    const lastMinute = memory.filter((m) => m.at - loadStart >= minutes * 60_000 - 60_000).map((m) => m.rss);
    printTable(
      `Worker resident memory while archiving (every 10 s; peak since start: ${archivingPeak.toFixed(0)} MiB after archiving, ${memoryMiB(worker.pid!).peak.toFixed(0)} MiB after the point-in-time restores)`,
      ['first minute, max', 'last minute, max', 'all samples, min-max'],
      [
        [
          `${Math.max(...firstMinute).toFixed(0)} MiB`,
          `${Math.max(...lastMinute).toFixed(0)} MiB`,
          `${Math.min(...memory.map((m) => m.rss)).toFixed(0)}-${Math.max(...memory.map((m) => m.rss)).toFixed(0)} MiB`,
        ],
      ],
    );
    printTable(
      `Point-in-time restore to ${target} (${last?.walSegments ?? '?'} WAL files, ${((last?.walBytes ?? 0) / 1048576).toFixed(0)} MiB); min/median of ${repeat}`,
      ['', 'time', 'vs pgBackRest'],
      [
        ['pgBackRest restore + start until promoted', mm(theirs), ''],
        ['pgwarden restore --pitr (until promoted, then stopped)', mm(restores), ratio(restores, theirs)],
      ],
    );
    // Where the last restore's time went.
    if (last?.phases) process.stdout.write(`pgwarden restore, last run: ${describePhases(last.phases)}\n`);
    const mib = ((readBack?.bytes ?? 0) / 1048576).toFixed(0);
    printTable(
      `WAL read back by verify: ${readBack?.segments ?? '?'} segments (${mib} MiB, everything archived since the first base backup); min/median of ${repeat}`,
      ['', 'time', 'MiB/s (min time)', 'vs pgBackRest'],
      [
        ["pgBackRest verify (the repository's backups and WAL: file checksums, no record read)", mm(theirVerify), '', ''],
        [
          "pgwarden verify's WAL read-back (S3, decrypted, SHA-256, pg_waldump)",
          mm(readBacks),
          readBacks.length ? ((readBack?.bytes ?? 0) / 1048576 / (Math.min(...readBacks) / 1000)).toFixed(0) : '',
          ratio(readBacks, theirVerify),
        ],
      ],
    );
    if (readBack?.phases)
      process.stdout.write(
        `pgwarden's read-back, last run: fetching ${seconds(readBack.phases.fetchMs)} s (S3, decryption, SHA-256, to disk), pg_waldump ${seconds(readBack.phases.readMs)} s\n`,
      );
  } finally {
    worker.kill('SIGTERM');
    await connection.close();
    await stopInstance({ dataDir, runAs }).catch(() => undefined);
    if (!process.argv.includes('--keep')) rmSync(root, { recursive: true, force: true });
    rmSync(socketDir, { recursive: true, force: true });
    await deletePrefix(bucket, prefix);
  }
}

async function queryAll<T extends object>(connectionString: string, sql: string): Promise<T[]> {
  const c = new PgClient({ connectionString });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function queryOne<T extends object>(connectionString: string, sql: string): Promise<T> {
  const c = new PgClient({ connectionString });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows[0];
  } finally {
    await c.end();
  }
}

/** Benchmark archives are not kept. */
async function deletePrefix(bucket: Bucket, prefix: string): Promise<void> {
  for (const o of await bucket.list(`${prefix}/`)) await bucket.delete(o.key);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
