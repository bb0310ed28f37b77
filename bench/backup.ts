/**
 * Backup benchmark. For pgbench databases of the given scales, in one run:
 *   1. baseline: plain `pg_dump -Fc > /dev/null`
 *   2. the strategy's shell pipeline: `pg_dump | gzip | openssl enc -aes-256-cbc` to a file
 *   3. pgwarden: BackupWorkflow through a fresh worker process into the local S3
 * and prints times, ratios to the baseline, throughput, the machine's busy CPU time of each, and
 * the worker's peak memory (VmHWM) per size; then where pgwarden's time went, step by step,
 * from the workflow's history. Usage: npm run bench:backup -- [--scales 10,100] [--repeat 1]
 */
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
  deleteBenchBackups,
  fastest,
  memoryMiB,
  MiB,
  printTable,
  run,
  seconds,
  startWorker,
  timedWithCpu,
} from './support';

async function main(): Promise<void> {
  const { scales, repeat, stackEnv } = await benchSetup();
  const rows: string[][] = [];
  const steps: string[][] = [];
  const cpu = (r: { ms: number; cpuMs: number }) => `${seconds(r.cpuMs)} CPU-s`;
  for (const scale of scales) {
    const bench = await benchDatabase(stackEnv, scale);
    const { database, env, target } = bench;
    const pgEnv = libpqEnvironment(target);
    const sizeBytes = await (async () => {
      const c = await connectDatabase(target);
      const r = await c.query<{ s: string }>('SELECT pg_database_size(current_database()) AS s');
      await c.end();
      return Number(r.rows[0].s);
    })();

    // 1. Baseline: plain pg_dump in custom format, to /dev/null.
    const baseline: Array<{ ms: number; cpuMs: number }> = [];
    for (let i = 0; i < repeat; i++)
      baseline.push(await timedWithCpu(() => run(pgProgram('pg_dump'), ['-Fc', '-Z6', database], pgEnv)));

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

    // 3. pgwarden: a fresh worker process per size, so its peak memory belongs to this size.
    const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
    const worker = await startWorker(env, taskQueue);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const idle = memoryMiB(worker.pid!);
    const ours: Array<{ ms: number; cpuMs: number; workflowId: string }> = [];
    let summary: BackupSummary | undefined;
    for (let i = 0; i < repeat; i++) {
      // Backup ids are per second (backup_YYYYMMDD_HHMMSS): never two in the same second.
      await new Promise((r) => setTimeout(r, 1100));
      const workflowId = `bench-${database}-${randomUUID().slice(0, 8)}`;
      const measured = await timedWithCpu(async () => {
        summary = await client.workflow.execute(WorkflowType.backup, {
          taskQueue,
          workflowId,
          args: [{ database, reason: 'benchmark', failFast: true }],
        });
      });
      ours.push({ ...measured, workflowId });
    }
    const oursBest = fastest(ours);
    const history = await client.workflow.getHandle(oursBest.workflowId).fetchHistory();
    const memory = memoryMiB(worker.pid!);
    worker.kill('SIGTERM');
    await connection.close();

    // Do not keep benchmark backups around.
    await deleteBenchBackups(bench);

    const b = fastest(baseline);
    // Throughput as database size over wall time, the same measure for all three.
    const rate = (ms: number) => `(${(sizeBytes / MiB / (ms / 1000)).toFixed(0)} MiB/s)`;
    const sh = fastest(shell);
    rows.push([
      `scale ${scale}`,
      `${(sizeBytes / MiB).toFixed(0)} MiB`,
      `${seconds(b.ms)} s ${rate(b.ms)}, ${cpu(b)}`,
      `${seconds(sh.ms)} s ${rate(sh.ms)} x${(sh.ms / b.ms).toFixed(2)}, ${(shellBytes / MiB).toFixed(1)} MiB, ${cpu(sh)}`,
      `${seconds(oursBest.ms)} s ${rate(oursBest.ms)} x${(oursBest.ms / b.ms).toFixed(2)}, ${(summary!.storedBytes / MiB).toFixed(1)} MiB, ${cpu(oursBest)}`,
      `${memory.peak.toFixed(0)} MiB (${idle.peak.toFixed(0)} after start)`,
    ]);
    const { total, activities } = activitySteps(history);
    const inActivities = activities.reduce((n, a) => n + a.ms, 0);
    steps.push([
      `scale ${scale}`,
      ...activities.map((a) => `${a.name} ${seconds(a.ms)} s`),
      `task round trips ${seconds(total - inActivities)} s`,
      `workflow ${seconds(total)} s`,
    ]);
  }
  printTable(
    `backup benchmark (best of ${repeat}; ratios against pg_dump -Fc of the same database in this run)`,
    [
      'database',
      'size',
      'pg_dump -Fc > /dev/null (rate, machine CPU)',
      'shell pipeline (rate, ratio, stored, CPU)',
      'pgwarden backup (rate, ratio, stored, CPU)',
      'worker peak RSS (VmHWM)',
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
