/**
 * Incremental base backups benchmark, on a PostgreSQL 18 cluster of its own (the stack's
 * build, summarize_wal on; pgbench at --scale), archived by pgwarden. With
 * BASEBACKUP_INCREMENTALS=1 the worker takes full and incremental base backups in turn, so
 * each of --repeat rounds is:
 *   1. plain `pg_basebackup -Ft -D - -X fetch --compress=client-zstd:level=1,workers=2 >
 *      /dev/null` of the whole cluster (the baseline: a full copy with pgwarden's compression);
 *   2. pgwarden's full base backup (it also keeps its backup_manifest from the stream);
 *   3. --tx pgbench transactions (the change since): with `--workload tpcb` pgbench's own, whose
 *      updates fall uniformly over pgbench_accounts (the worst case for block increments); with
 *      `--workload append` the same without the accounts update, so the change is new rows in
 *      pgbench_history and the small branch and teller tables (a ledger, an orders table);
 *   4. pgwarden's incremental base backup on it.
 * Then point-in-time restores to the end of the last round, each --repeat times: from the last
 * incremental (its chain put together by pg_combinebackup, then a little WAL) against from the
 * full one before it (and all the WAL of step 3). Times are min/median; sizes are as stored;
 * ratios are against figures of the same run. pgBackRest (Debian's 2.45) does not support
 * PostgreSQL 18, so it has no column here.
 * Usage: npm run bench:incremental -- [--scale 50] [--repeat 3] [--tx 20000] [--workload tpcb|append] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { ephemeralPort } from '../src/infra/net/ports';
import { envFile } from '../devstack/paths';
import { up } from '../devstack/stack';
import { loadConfig, WORKER_NEEDS } from '../src/infra/config/config';
import { readEnvFile } from '../src/infra/config/env-file';
import { handOver, initCluster, instanceUser, startInstance, stopInstance } from '../src/infra/postgres/instance';
import { Bucket } from '../src/infra/storage/bucket';
import { createS3Client } from '../src/infra/storage/s3-client';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { baseBackupStoredBytes, type BaseBackupManifest } from '../src/operations/pitr/base-backup';
import { describePhases } from '../src/app/cli/commands/pitr';
import type { PitrRestoreResult } from '../activities/pitr';
import { median, memoryMiB, MiB, option, printTable, seconds, startWorker, timed } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const scale = Number(option('scale', '50'));
  const repeat = Number(option('repeat', '3'));
  const tx = Number(option('tx', '20000'));
  const workload = option('workload', 'tpcb');
  if (!['tpcb', 'append'].includes(workload)) throw new Error(`--workload ${workload}: tpcb or append`);
  await up((line) => process.stderr.write(`stack: ${line}\n`));
  const stackEnv = readEnvFile(envFile);
  const pgBin = stackEnv.PGWARDEN_TEST_PG18_BIN_DIR;
  if (!pgBin) throw new Error("the stack's PostgreSQL 18 is not installed (bash scripts/ensure-deps)");
  const runAs = instanceUser();

  const root = mkdtempSync(join(tmpdir(), 'pgwarden-bench-incr-'));
  // TPC-B without its update of pgbench_accounts: what changes is appended, or small and hot.
  const appendScript = join(root, 'append.sql');
  writeFileSync(
    appendScript,
    [
      '\\set aid random(1, 100000 * :scale)',
      '\\set bid random(1, 1 * :scale)',
      '\\set tid random(1, 10 * :scale)',
      '\\set delta random(-5000, 5000)',
      'BEGIN;',
      'UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;',
      'UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;',
      'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);',
      'END;',
      '',
    ].join('\n'),
  );
  const script = workload === 'append' ? ['-f', appendScript, '-s', String(scale)] : [];
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  for (const dir of [root, dataDir]) handOver(dir, runAs);
  const password = randomBytes(12).toString('hex');
  await initCluster({ dataDir, superuser: 'pgwarden', password, runAs, pgBinDir: pgBin });
  const port = await ephemeralPort();
  const url = (db: string) => `postgres://pgwarden:${password}@127.0.0.1:${port}/${db}`;
  // Programs the bench runs get the password from the environment, not their arguments (ps shows those).
  process.env.PGPASSWORD = password;
  const argUrl = (db: string) => `postgres://pgwarden@127.0.0.1:${port}/${db}`;
  const settings = { wal_level: 'replica', max_wal_senders: '10', summarize_wal: 'on', unix_socket_directories: root };
  await startInstance({ dataDir, port, runAs, settings, pgBinDir: pgBin });
  const admin = new PgClient({ connectionString: url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  process.stderr.write(`bench: pgbench -i -s ${scale}...\n`);
  spawnSync(join(pgBin, 'pgbench'), ['-i', '-q', '-s', String(scale), argUrl('bench')], { stdio: 'ignore' });
  const clusterBytes = Number(
    (await admin.query<{ s: string }>('SELECT sum(pg_database_size(oid))::text AS s FROM pg_database')).rows[0].s,
  );

  const prefix = `bench-incr-${randomUUID().slice(0, 8)}`;
  const env: Record<string, string> = {
    ...stackEnv,
    DATABASE_URL: url('bench'),
    WAL_ARCHIVE: 'bench',
    PG_BIN_DIR: pgBin,
    PGWARDEN_WORK_DIR: join(root, 'work'),
    S3_PREFIX: prefix,
  };
  mkdirSync(env.PGWARDEN_WORK_DIR);
  const config = loadConfig(env, { require: WORKER_NEEDS });
  const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
  const taskQueue = `bench-incr-${randomUUID().slice(0, 8)}`;
  const worker = await startWorker(env, taskQueue, {
    WAL_ARCHIVE: 'bench',
    PG_BIN_DIR: pgBin,
    PGWARDEN_WORK_DIR: env.PGWARDEN_WORK_DIR,
    S3_PREFIX: prefix,
    WAL_PARTIAL_UPLOAD_SECONDS: '1',
    BASEBACKUP_INCREMENTALS: '1',
  });
  worker.stderr!.pipe(createWriteStream(join(root, 'worker.log')));
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const id = () => randomUUID().slice(0, 8);
  const baseBackup = async () => {
    await sleep(1100); // base backup ids are per second
    let m: BaseBackupManifest | undefined;
    const ms = await timed(async () => {
      m = await client.workflow.execute(WorkflowType.baseBackup, {
        taskQueue,
        workflowId: `bench-base-${id()}`,
        args: [{ server: 'bench', reason: 'bench' }],
      });
    });
    return { ms, m: m! };
  };
  try {
    await client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `bench-wal-archive-${id()}`,
      args: [{ server: 'bench', roundSeconds: 3600 }],
    });
    await sleep(2000);
    const plain: number[] = [];
    const full: Array<{ ms: number; m: BaseBackupManifest }> = [];
    const incremental: Array<{ ms: number; m: BaseBackupManifest }> = [];
    const changed: number[] = [];
    for (let i = 0; i < repeat; i++) {
      plain.push(
        await timed(() =>
          spawnSync(
            join(pgBin, 'pg_basebackup'),
            [
              '--pgdata=-',
              '--format=tar',
              '--wal-method=fetch',
              '--checkpoint=fast',
              '--compress=client-zstd:level=1,workers=2',
              '-d',
              argUrl('postgres'),
            ],
            { stdio: ['ignore', 'ignore', 'ignore'] },
          ),
        ),
      );
      const f = await baseBackup();
      if (f.m.incremental) throw new Error(`round ${i + 1}: expected a full base backup, got one on ${f.m.incremental.parent}`);
      full.push(f);
      spawnSync(join(pgBin, 'pgbench'), ['-n', '-c', '2', '-t', String(Math.ceil(tx / 2)), ...script, argUrl('bench')], {
        stdio: 'ignore',
      });
      const inc = await baseBackup();
      if (!inc.m.incremental) throw new Error(`round ${i + 1}: expected an incremental base backup (${inc.m.fullBecause})`);
      incremental.push(inc);
      changed.push(inc.m.data.rawBytes / f.m.data.rawBytes);
    }
    const mm = (xs: number[]) => `${seconds(Math.min(...xs))}/${seconds(median(xs))} s`;
    const ratio = (xs: number[], base: number[]) =>
      `x${(Math.min(...xs) / Math.min(...base)).toFixed(2)}/x${(median(xs) / median(base)).toFixed(2)}`;
    const sizes = (xs: Array<{ m: BaseBackupManifest }>) =>
      `${(median(xs.map((x) => baseBackupStoredBytes(x.m))) / MiB).toFixed(1)} MiB`;
    printTable(
      `Base backups of a ${(clusterBytes / MiB).toFixed(0)} MiB PostgreSQL 18 cluster (pgbench scale ${scale}); ${tx} pgbench transactions (${workload}) between the full one and the incremental; min/median of ${repeat}`,
      ['', 'time', 'vs plain pg_basebackup', 'vs pgwarden full', 'stored (median)'],
      [
        ['plain pg_basebackup, zstd:1 x2 to /dev/null (full)', mm(plain), '', '', ''],
        [
          'pgwarden full (keeps its backup_manifest too)',
          mm(full.map((x) => x.ms)),
          ratio(
            full.map((x) => x.ms),
            plain,
          ),
          '',
          sizes(full),
        ],
        [
          'pgwarden incremental on it',
          mm(incremental.map((x) => x.ms)),
          ratio(
            incremental.map((x) => x.ms),
            plain,
          ),
          ratio(
            incremental.map((x) => x.ms),
            full.map((x) => x.ms),
          ),
          `${sizes(incremental)} (tar ${(median(changed) * 100).toFixed(0)}% of the full one's)`,
        ],
      ],
    );

    // Restores to the end of the last round: from the incremental, and from the full one before it.
    await admin.query('SELECT pg_switch_wal()');
    await sleep(3000);
    const phases = new Map<string, string>();
    const restore = async (backupId: string) => {
      const dir = join(root, `restore-${id()}`);
      const ms = await timed(async () => {
        const r: PitrRestoreResult = await client.workflow.execute(WorkflowType.pitrRestore, {
          taskQueue,
          workflowId: `bench-pitr-${id()}`,
          args: [{ server: 'bench', target: { kind: 'latest' }, baseBackupId: backupId, dataDir: dir, stopAfter: true }],
        });
        if (r.phases) phases.set(backupId, describePhases(r.phases));
      });
      rmSync(dir, { recursive: true, force: true });
      return ms;
    };
    const fromIncremental: number[] = [];
    const fromFull: number[] = [];
    for (let i = 0; i < repeat; i++) {
      fromIncremental.push(await restore(incremental.at(-1)!.m.backupId));
      fromFull.push(await restore(full.at(-1)!.m.backupId));
    }
    printTable(
      `Point-in-time restore to the end of the last round (latest); min/median of ${repeat}`,
      ['', 'time', 'vs from the full one'],
      [
        ['from the full base backup, replaying the WAL of the change', mm(fromFull), ''],
        [
          'from the incremental (pg_combinebackup of full + incremental, then the WAL since)',
          mm(fromIncremental),
          ratio(fromIncremental, fromFull),
        ],
      ],
    );
    for (const [what, backup] of [
      ['full one', full.at(-1)!],
      ['incremental', incremental.at(-1)!],
    ] as const)
      process.stdout.write(`last restore from the ${what}: ${phases.get(backup.m.backupId) ?? 'no phases reported'}\n`);
    process.stdout.write(`\nworker peak resident memory: ${memoryMiB(worker.pid!).peak.toFixed(0)} MiB\n`);
  } finally {
    worker.kill('SIGTERM');
    await admin.end().catch(() => undefined);
    await connection.close();
    await stopInstance({ dataDir, runAs, pgBinDir: pgBin }).catch(() => undefined);
    if (!process.argv.includes('--keep')) rmSync(root, { recursive: true, force: true });
    for (const o of await bucket.list(`${prefix}/`)) await bucket.delete(o.key);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
