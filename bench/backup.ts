/**
 * Backup benchmark. For pgbench databases of the given scales and generated print shops
 * (bench/printshop.sql: text, jsonb, numeric, bytea; compressing about 3x) of the given order counts, in one run:
 *   1. baseline: plain `pg_dump -Fc > /dev/null`
 *   2. the strategy's shell pipeline: `pg_dump | gzip | openssl enc -aes-256-cbc` to a file
 *   3. pgwarden: BackupWorkflow through a fresh worker process into the local S3
 * and prints times, ratios to the baseline, throughput, the machine's busy CPU time of each, and
 * the worker's peak memory (VmHWM) per size; then where pgwarden's time went, step by step,
 * from the workflow's history. Each figure is the minimum and the median of --repeat runs.
 * With --jobs 1,2 pgwarden runs once per BACKUP_JOBS value, side by side.
 * Usage: npm run bench:backup -- [--scales 10,100] [--printshop 100000,400000] [--repeat 3] [--jobs 1,2]
 */
import { spawnSync } from 'node:child_process';
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
    const baseline: Array<{ ms: number; cpuMs: number }> = [];
    let baselineBytes = 0;
    for (let i = 0; i < repeat; i++) {
      // Counted by wc on the way to nowhere: no disk in the baseline's time.
      baseline.push(
        await timedWithCpu(() => {
          const out = spawnSync('bash', ['-c', `set -o pipefail; "${pgProgram('pg_dump')}" -Fc -Z6 "$PGDATABASE" | wc -c`], {
            env: pgEnv,
            encoding: 'utf8',
          });
          if (out.status !== 0) throw new Error(`pg_dump failed: ${out.stderr}`);
          baselineBytes = Number(out.stdout.trim());
        }),
      );
    }

    // 2. The strategy's shell pipeline, to a file.
    const shell: Array<{ ms: number; cpuMs: number }> = [];
    let shellBytes = 0;
    for (let i = 0; i < repeat; i++) {
      const file = join(tmpdir(), `bench-${randomUUID()}.sql.gz.enc`);
      shell.push(
        await timedWithCpu(() =>
          run(
            'bash',
            [
              '-c',
              `set -o pipefail; "${pgProgram('pg_dump')}" "$PGDATABASE" | gzip -6 | openssl enc -aes-256-cbc -salt -pbkdf2 -pass env:K > "${file}"`,
            ],
            { ...pgEnv, K: 'bench passphrase' },
          ),
        ),
      );
      shellBytes = statSync(file).size;
      rmSync(file);
    }

    // 3. pgwarden: a fresh worker process per size and BACKUP_JOBS, so its peak memory belongs to them.
    const measured: Array<{ jobs: number; ours: Array<{ ms: number; cpuMs: number }>; summary: BackupSummary; memory: string }> =
      [];
    for (const j of jobs) {
      const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
      const worker = await startWorker(env, taskQueue, { BACKUP_JOBS: String(j) });
      const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
      const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
      const idle = memoryMiB(worker.pid!);
      const ours: Array<{ ms: number; cpuMs: number; workflowId: string }> = [];
      let summary: BackupSummary | undefined;
      for (let i = 0; i < repeat; i++) {
        // Backup ids are per second (backup_YYYYMMDD_HHMMSS): never two in the same second.
        await new Promise((r) => setTimeout(r, 1100));
        const workflowId = `bench-${database}-${randomUUID().slice(0, 8)}`;
        const run = await timedWithCpu(async () => {
          summary = await client.workflow.execute(WorkflowType.backup, {
            taskQueue,
            workflowId,
            args: [{ database, reason: 'benchmark', failFast: true }],
          });
        });
        ours.push({ ...run, workflowId });
      }
      const history = await client.workflow.getHandle(fastest(ours).workflowId).fetchHistory();
      const memory = memoryMiB(worker.pid!);
      worker.kill('SIGTERM');
      await connection.close();
      // Do not keep benchmark backups around.
      await deleteBenchBackups(bench);
      measured.push({ jobs: j, ours, summary: summary!, memory: `${memory.peak.toFixed(0)}/${idle.peak.toFixed(0)} MiB` });
      const { total, activities } = activitySteps(history);
      const inActivities = activities.reduce((n, a) => n + a.ms, 0);
      steps.push([
        `${datasetName(dataset)}, BACKUP_JOBS=${j} (${summary!.dataParts ?? 0} parts)`,
        ...activities.map((a) => `${a.name} ${seconds(a.ms)} s`),
        `task round trips ${seconds(total - inActivities)} s`,
        `workflow ${seconds(total)} s`,
      ]);
    }

    const b = fastest(baseline);
    // Throughput as database size over wall time, the same measure for all three.
    const rate = (ms: number) => `(${(sizeBytes / MiB / (ms / 1000)).toFixed(0)} MiB/s)`;
    const sh = fastest(shell);
    const med = (runs: Array<{ ms: number }>) => median(runs.map((r) => r.ms));
    const mins = (runs: Array<{ ms: number }>) => `${seconds(fastest(runs).ms)}/${seconds(med(runs))} s`;
    rows.push([
      datasetName(dataset),
      `${(sizeBytes / MiB).toFixed(0)} MiB`,
      `${mins(baseline)} ${rate(b.ms)}, ${cpu(b)}, ${(baselineBytes / MiB).toFixed(1)} MiB`,
      `${mins(shell)} ${rate(sh.ms)} x${(sh.ms / b.ms).toFixed(2)}/x${(med(shell) / med(baseline)).toFixed(2)}, ${(shellBytes / MiB).toFixed(1)} MiB, ${cpu(sh)}`,
      ...measured.map(({ ours, summary }) => {
        const best = fastest(ours);
        return `${mins(ours)} ${rate(best.ms)} x${(best.ms / b.ms).toFixed(2)}/x${(med(ours) / med(baseline)).toFixed(2)}, ${(summary.storedBytes / MiB).toFixed(1)} MiB, ${cpu(best)}`;
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
    `backup benchmark (min/median of ${repeat}; ratios min/median against pg_dump -Fc of the same database in this run; rate and CPU of the fastest run)`,
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
