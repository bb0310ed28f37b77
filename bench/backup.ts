/**
 * Backup benchmark. For pgbench databases of the given scales and generated print shops
 * (bench/printshop.sql: text, jsonb, numeric, bytea; compressing about 3x) of the given order counts, in one run:
 *   1. baseline: plain `pg_dump -Fc > /dev/null`
 *   2. the strategy's shell pipeline: `pg_dump | gzip | openssl enc -aes-256-cbc` to a file
 *   3. pgwarden: BackupWorkflow through a fresh worker process into the local S3
 * and prints times, ratios to the baseline, throughput, the machine's busy CPU time of each, and
 * the worker's peak memory (VmHWM) per size; then where pgwarden's time went, step by step,
 * from the workflow's history. Each figure is the minimum and the median of --repeat rounds of
 * one run of each kind (a slower minute falls on all of them), and the paired ratio the median
 * of each round's own ratio.
 * With --jobs 1,2 pgwarden runs once per BACKUP_JOBS value, side by side.
 * Usage: npm run bench:backup -- [--scales 10,100] [--printshop 100000,400000] [--repeat 3] [--jobs 1,2]
 */
import { ChildProcess, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { pgProgram } from '../src/infra/postgres/binaries';
import { WorkflowType } from '../src/infra/temporal/definitions';
import type { BackupSummary } from '../workflows/backup';
import {
  activitySteps,
  benchDatabase,
  benchSetup,
  datasetName,
  deleteBenchBackups,
  fastest,
  median,
  pairedRatio,
  memoryMiB,
  MiB,
  printTable,
  run,
  seconds,
  startWorker,
  timedWithCpu,
} from './support';

async function main(): Promise<void> {
  const { datasets, repeat, jobs, stackEnv } = await benchSetup();
  const rows: string[][] = [];
  const steps: string[][] = [];
  const cpu = (r: { ms: number; cpuMs: number }) => `${seconds(r.cpuMs)} CPU-s`;
  for (const dataset of datasets) {
    const bench = await benchDatabase(stackEnv, dataset);
    const { database, env, target } = bench;
    const pgEnv = libpqEnvironment(target);
    const sizeBytes = await (async () => {
      const c = await connectDatabase(target);
      const r = await c.query<{ s: string }>('SELECT pg_database_size(current_database()) AS s');
      await c.end();
      return Number(r.rows[0].s);
    })();

    // 1. Baseline: plain pg_dump in custom format (its own gzip, level 6), to nowhere.
    let baselineBytes = 0;
    const baselineRun = () =>
      // Counted by wc on the way to nowhere: no disk in the baseline's time.
      timedWithCpu(() => {
        const out = spawnSync(
          'bash',
          ['-c', `set -o pipefail; "${pgProgram('pg_dump', env.PG_BIN_DIR)}" -Fc -Z6 "$PGDATABASE" | wc -c`],
          {
            env: pgEnv,
            encoding: 'utf8',
          },
        );
        if (out.status !== 0) throw new Error(`pg_dump failed: ${out.stderr}`);
        baselineBytes = Number(out.stdout.trim());
      });

    // 2. The strategy's shell pipeline, to a file.
    let shellBytes = 0;
    const shellRun = async () => {
      const file = join(tmpdir(), `bench-${randomUUID()}.sql.gz.enc`);
      const timed = await timedWithCpu(() =>
        run(
          'bash',
          [
            '-c',
            `set -o pipefail; "${pgProgram('pg_dump', env.PG_BIN_DIR)}" "$PGDATABASE" | gzip -6 | openssl enc -aes-256-cbc -salt -pbkdf2 -pass env:K > "${file}"`,
          ],
          { ...pgEnv, K: 'bench passphrase' },
        ),
      );
      shellBytes = statSync(file).size;
      rmSync(file);
      return timed;
    };

    // 3. pgwarden: a fresh worker process per size and BACKUP_JOBS, so its peak memory belongs to them.
    const workers: Array<{
      jobs: number;
      taskQueue: string;
      worker: ChildProcess;
      connection: Connection;
      client: Client;
      idle: { peak: number };
    }> = [];
    for (const j of jobs) {
      const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
      const worker = await startWorker(env, taskQueue, { BACKUP_JOBS: String(j) });
      const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
      const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
      workers.push({ jobs: j, taskQueue, worker, connection, client, idle: memoryMiB(worker.pid!) });
    }
    const oursRun = async (w: (typeof workers)[number]) => {
      // Backup ids are per second (backup_YYYYMMDD_HHMMSS): never two in the same second.
      await new Promise((r) => setTimeout(r, 1100));
      const workflowId = `bench-${database}-${randomUUID().slice(0, 8)}`;
      let summary: BackupSummary | undefined;
      const timed = await timedWithCpu(async () => {
        summary = await w.client.workflow.execute(WorkflowType.backup, {
          taskQueue: w.taskQueue,
          workflowId,
          args: [{ database, reason: 'benchmark', failFast: true }],
        });
      });
      return { ...timed, workflowId, summary: summary! };
    };

    // Rounds: every kind once per round, so a slower minute on this shared machine falls on all of them alike.
    const baseline: Array<{ ms: number; cpuMs: number }> = [];
    const shell: Array<{ ms: number; cpuMs: number }> = [];
    const ours = workers.map(() => [] as Array<Awaited<ReturnType<typeof oursRun>>>);
    for (let i = 0; i < repeat; i++) {
      baseline.push(await baselineRun());
      shell.push(await shellRun());
      for (const [k, w] of workers.entries()) ours[k].push(await oursRun(w));
    }

    const measured: Array<{ jobs: number; ours: Array<{ ms: number; cpuMs: number }>; summary: BackupSummary; memory: string }> =
      [];
    for (const [k, w] of workers.entries()) {
      const history = await w.client.workflow.getHandle(fastest(ours[k]).workflowId).fetchHistory();
      const memory = memoryMiB(w.worker.pid!);
      w.worker.kill('SIGTERM');
      await w.connection.close();
      const summary = ours[k].at(-1)!.summary;
      measured.push({ jobs: w.jobs, ours: ours[k], summary, memory: `${memory.peak.toFixed(0)}/${w.idle.peak.toFixed(0)} MiB` });
      const { total, activities } = activitySteps(history);
      const inActivities = activities.reduce((n, a) => n + a.ms, 0);
      steps.push([
        `${datasetName(dataset)}, BACKUP_JOBS=${w.jobs} (${summary.dataParts ?? 0} parts)`,
        ...activities.map((a) => `${a.name} ${seconds(a.ms)} s`),
        `task round trips ${seconds(total - inActivities)} s`,
        `workflow ${seconds(total)} s`,
      ]);
    }
    // Do not keep benchmark backups around.
    await deleteBenchBackups(bench);

    const b = fastest(baseline);
    // Throughput as database size over wall time, the same measure for all three.
    const rate = (ms: number) => `(${(sizeBytes / MiB / (ms / 1000)).toFixed(0)} MiB/s)`;
    const sh = fastest(shell);
    const med = (runs: Array<{ ms: number }>) => median(runs.map((r) => r.ms));
    const mins = (runs: Array<{ ms: number }>) => `${seconds(fastest(runs).ms)}/${seconds(med(runs))} s`;
    const paired = (runs: Array<{ ms: number }>) =>
      `paired x${pairedRatio(
        runs.map((r) => r.ms),
        baseline.map((r) => r.ms),
      ).toFixed(2)}`;
    rows.push([
      datasetName(dataset),
      `${(sizeBytes / MiB).toFixed(0)} MiB`,
      `${mins(baseline)} ${rate(b.ms)}, ${cpu(b)}, ${(baselineBytes / MiB).toFixed(1)} MiB`,
      `${mins(shell)} ${rate(sh.ms)} x${(sh.ms / b.ms).toFixed(2)}/x${(med(shell) / med(baseline)).toFixed(2)}, ${paired(shell)}, ${(shellBytes / MiB).toFixed(1)} MiB, ${cpu(sh)}`,
      ...measured.map(({ ours, summary }) => {
        const best = fastest(ours);
        return `${mins(ours)} ${rate(best.ms)} x${(best.ms / b.ms).toFixed(2)}/x${(med(ours) / med(baseline)).toFixed(2)}, ${paired(ours)}, ${(summary.storedBytes / MiB).toFixed(1)} MiB, ${cpu(best)}`;
      }),
      measured.map((m) => m.memory).join(', '),
      // Each BACKUP_JOBS value against the first one given, min/median.
      measured
        .slice(1)
        .map(
          (m) =>
            `${m.jobs}/${measured[0].jobs}: x${(fastest(m.ours).ms / fastest(measured[0].ours).ms).toFixed(2)}/x${(med(m.ours) / med(measured[0].ours)).toFixed(2)}`,
        )
        .join(', ') || '-',
    ]);
  }
  printTable(
    `backup benchmark (min/median of ${repeat} rounds; ratios min/median against pg_dump -Fc of the same database in this run, and paired: the median of each round's own ratio; rate and CPU of the fastest run)`,
    [
      'database',
      'size',
      'pg_dump -Fc (rate, machine CPU, output)',
      'shell pipeline (rate, ratio, stored, CPU)',
      ...jobs.map(
        (j) => `pgwarden backup, ${process.env.BACKUP_COMPRESSION ?? 'zstd'}, BACKUP_JOBS=${j} (rate, ratio, stored, CPU)`,
      ),
      'worker peak RSS (VmHWM, after the runs/after start)',
      'BACKUP_JOBS against the first',
    ],
    rows,
  );
  process.stdout.write(
    `\nwhere the fastest pgwarden backup's time went (from its workflow history; each activity from scheduled to completed)\n${steps.map((r) => r.join(' | ')).join('\n')}\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
