/** Shared pieces of the benchmarks: timing, pgbench databases, a worker process, its memory. */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { temporal } from '@temporalio/proto';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { createS3Client } from '../src/infra/storage/s3-client';
import { loadConfig, WORKER_NEEDS } from '../src/infra/config/config';
import { readEnvFile } from '../src/infra/config/env-file';
import { envFile, repoRoot } from '../devstack/paths';
import { up } from '../devstack/stack';
import { pgProgram } from '../src/infra/postgres/binaries';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const MiB = 1024 * 1024;
export const seconds = (ms: number) => (ms / 1000).toFixed(2);
/** The best of repeated runs: the least disturbed by the rest of the machine. */
export const best = (times: number[]) => Math.min(...times);

export function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

export async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** /proc/stat counts in USER_HZ, 100 on Linux (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Busy CPU time of the whole machine so far (all processes, all cores), from /proc/stat. */
export function machineBusyMs(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS;
}

/** Wall time and the machine's busy CPU time of one run: on a saturated machine the two go together. */
export async function timedWithCpu(fn: () => Promise<unknown> | unknown): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = machineBusyMs();
  const ms = await timed(fn);
  return { ms, cpuMs: machineBusyMs() - cpu0 };
}

/** The run with the shortest wall time (see best). */
export const fastest = <T extends { ms: number }>(runs: T[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));

export function run(command: string, argv: string[], env: NodeJS.ProcessEnv): void {
  const res = spawnSync(command, argv, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * MiB });
  if (res.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed: ${res.stderr}`);
}

export function memoryMiB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

/** A pgbench database of the given scale, generated once and reused (vacuumed, as in production). */
export async function ensurePgbenchDatabase(baseEnv: Record<string, string | undefined>, scale: number): Promise<string> {
  const name = `bench_s${scale}`;
  const server = loadConfig(baseEnv, { require: WORKER_NEEDS }).databases[0];
  const admin = await connectDatabase(server, { database: 'postgres' });
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
    if (exists) {
      const c = await connectDatabase(server, { database: name });
      const n = await c.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_branches').catch(() => ({ rows: [{ n: '0' }] }));
      await c.end();
      if (Number(n.rows[0].n) === scale) {
        run(pgProgram('psql', baseEnv.PG_BIN_DIR), ['-q', '-c', 'VACUUM (ANALYZE)', name], libpqEnvironment(server, name));
        return name;
      }
      await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  process.stderr.write(`bench: generating ${name} (pgbench -i -s ${scale})...\n`);
  run(pgProgram('pgbench', baseEnv.PG_BIN_DIR), ['-i', '-q', '-s', String(scale), name], libpqEnvironment(server, name));
  return name;
}

/** A fresh `pgwarden worker` process for one database, ready once it says so. */
export async function startWorker(
  env: Record<string, string>,
  taskQueue: string,
  settings: Record<string, string> = {},
): Promise<ChildProcess> {
  const worker = spawn(process.execPath, [join(repoRoot, 'bin', 'pgwarden'), 'worker'], {
    // No metrics endpoint: the stack's port may be held by the quick start's worker.
    env: {
      PATH: process.env.PATH,
      PGWARDEN_CONFIG: envFile,
      DATABASE_URL: env.DATABASE_URL,
      PGWARDEN_TASK_QUEUE: taskQueue,
      METRICS_PORT: '0',
      // --server pg18: the worker runs that server's own tools.
      ...(env.PG_BIN_DIR ? { PG_BIN_DIR: env.PG_BIN_DIR } : {}),
      // The compression under test, as the benchmark's own environment says.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BACKUP_COMPRESSION'))),
      ...settings,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  await new Promise<void>((resolve, reject) => {
    worker.stderr!.on('data', (d: Buffer) => {
      said = (said + d.toString()).slice(-4000);
      if (said.includes('pgwarden worker:')) resolve();
    });
    // Its own words, not only a number: the line that says what is wrong and how to fix it.
    worker.once('exit', (code) =>
      reject(new Error(`worker exited with ${code}: ${said.trim().split('\n').slice(-3).join(' | ') || 'no output'}`)),
    );
  });
  return worker;
}

export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  process.stdout.write(
    `\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${rows.map(line).join('\n')}\n`,
  );
}

export interface BenchDatabase {
  database: string;
  env: Record<string, string>;
  config: ReturnType<typeof loadConfig>;
  target: ReturnType<typeof loadConfig>['databases'][number];
}

/** Print shops up to this many orders are generated row by row; larger ones are copies of one this size. */
const PRINTSHOP_BLOCK = 800_000;

/**
 * The generated print shop (bench/printshop.sql) with this many orders, made once and reused:
 * text, jsonb, numeric, timestamps and some bytea, compressing about 3x where pgbench does 55x.
 * Above PRINTSHOP_BLOCK orders (about 1 GiB) the count must be a multiple of it: the database
 * is made from the 1 GiB one and bench/printshop-copies.sql (generation takes ~2 min per 100 MiB).
 */
export async function ensurePrintshopDatabase(baseEnv: Record<string, string | undefined>, orders: number): Promise<string> {
  const copies = orders > PRINTSHOP_BLOCK ? orders / PRINTSHOP_BLOCK : 1;
  if (!Number.isInteger(copies)) throw new Error(`--printshop ${orders}: above ${PRINTSHOP_BLOCK} orders use a multiple of it`);
  const base = copies > 1 ? await ensurePrintshopDatabase(baseEnv, PRINTSHOP_BLOCK) : undefined;
  const name = `bench_printshop_${orders}`;
  const server = loadConfig(baseEnv, { require: WORKER_NEEDS }).databases[0];
  const admin = await connectDatabase(server, { database: 'postgres' });
  try {
    if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) {
      const c = await connectDatabase(server, { database: name });
      const n = await c.query<{ n: string }>('SELECT count(*) AS n FROM orders').catch(() => ({ rows: [{ n: '0' }] }));
      await c.end();
      if (Number(n.rows[0].n) === orders) return name;
      await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    }
    await admin.query(base ? `CREATE DATABASE "${name}" TEMPLATE "${base}"` : `CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  process.stderr.write(`bench: generating ${name} (${orders} orders${base ? `, ${copies} copies of ${base}` : ''})...\n`);
  const script = base
    ? ['-v', `base=${PRINTSHOP_BLOCK}`, '-v', `copies=${copies}`, '-f', join(repoRoot, 'bench', 'printshop-copies.sql')]
    : ['-v', `orders=${orders}`, '-f', join(repoRoot, 'bench', 'printshop.sql')];
  run(pgProgram('psql', baseEnv.PG_BIN_DIR), ['-q', '-v', 'ON_ERROR_STOP=1', ...script, name], libpqEnvironment(server, name));
  return name;
}

/** A benchmark dataset: pgbench at a scale, or the print shop with a number of orders. */
export type Dataset = { kind: 'pgbench'; scale: number } | { kind: 'printshop'; orders: number };

export const datasetName = (d: Dataset) => (d.kind === 'pgbench' ? `pgbench scale ${d.scale}` : `print shop ${d.orders} orders`);

/** The dataset's database and pgwarden's settings pointed at it. */
export async function benchDatabase(stackEnv: Record<string, string>, dataset: Dataset): Promise<BenchDatabase> {
  const database =
    dataset.kind === 'pgbench'
      ? await ensurePgbenchDatabase(stackEnv, dataset.scale)
      : await ensurePrintshopDatabase(stackEnv, dataset.orders);
  const env: Record<string, string> = { ...stackEnv, DATABASE_URL: stackEnv.DATABASE_URL!.replace(/\/[^/]+$/, `/${database}`) };
  const config = loadConfig(env, { require: WORKER_NEEDS });
  return { database, env, config, target: config.databases[0] };
}

/** Benchmark backups are not kept: removes everything stored for the database. */
export async function deleteBenchBackups(bench: BenchDatabase): Promise<void> {
  const storage = bench.config.storage!;
  const s3 = createS3Client(storage);
  try {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: `${storage.prefix}/${bench.database}/` }),
    );
    if (listed.Contents?.length)
      await s3.send(
        new DeleteObjectsCommand({ Bucket: storage.bucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key! })) } }),
      );
  } finally {
    s3.destroy();
  }
}

/**
 * What every benchmark starts from: the datasets (`--scales` of pgbench, `--printshop` order
 * counts; either may be empty), `--repeat`, `--jobs`, the local stack up, and its settings
 * (`--server pg18`: pointed at the stack's PostgreSQL 18 and its tools instead of Debian's 15).
 */
export async function benchSetup(): Promise<{
  datasets: Dataset[];
  repeat: number;
  /** `--jobs 1,2`: the BACKUP_JOBS values pgwarden is measured with, side by side. */
  jobs: number[];
  stackEnv: Record<string, string>;
}> {
  const list = (name: string, fallback: string) => option(name, fallback).split(',').filter(Boolean).map(Number);
  const datasets: Dataset[] = [
    ...list('scales', '10,100').map((scale): Dataset => ({ kind: 'pgbench', scale })),
    ...list('printshop', '').map((orders): Dataset => ({ kind: 'printshop', orders })),
  ];
  const repeat = Number(option('repeat', '3'));
  const jobs = list('jobs', '1');
  await up((line) => process.stderr.write(`stack: ${line}\n`));
  const stackEnv = readEnvFile(envFile);
  // --server pg18: the stack's PostgreSQL 18 cluster, with its own tools for pgwarden and the baselines alike.
  if (option('server', 'pg15') === 'pg18')
    return {
      datasets,
      repeat,
      jobs,
      stackEnv: { ...stackEnv, DATABASE_URL: stackEnv.PGWARDEN_TEST_PG18_URL, PG_BIN_DIR: stackEnv.PGWARDEN_TEST_PG18_BIN_DIR },
    };
  return { datasets, repeat, jobs, stackEnv };
}

/** The median of repeated runs: with the minimum, what a shared, noisy machine lets us say. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The median of each round's own ratio (`times[i]` against `baseline[i]`, run in the same round):
 * a slower minute on a shared machine weighs on both sides of its round alike.
 */
export function pairedRatio(times: number[], baseline: number[]): number {
  return median(times.map((t, i) => t / baseline[i]));
}

/**
 * A workflow's time by activity, from its history: each activity from scheduled to completed
 * (so its queueing is included), and the whole run from the first event to the last.
 */
export function activitySteps(history: temporal.api.history.v1.IHistory): {
  total: number;
  activities: Array<{ name: string; ms: number }>;
} {
  const events = history.events ?? [];
  const at = (e: temporal.api.history.v1.IHistoryEvent) =>
    Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);
  const scheduled = new Map<string, { name: string; at: number }>();
  const activities: Array<{ name: string; ms: number }> = [];
  for (const e of events) {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled.set(String(e.eventId), { name, at: at(e) });
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId))!;
      activities.push({ name: s.name, ms: at(e) - s.at });
    }
  }
  return { total: at(events[events.length - 1]) - at(events[0]), activities };
}
