/**
 * Restore benchmark. For pgbench databases of the given scales and print shops of the given order counts, in one run:
 *   1. baseline: plain `pg_restore --jobs=2` of a `pg_dump -Fc` file into a new database; and
 *      the same file kept in the bucket, fetched to local disk first (as a script would)
 *   2. pgwarden: RestoreWorkflow --new-db of a pgwarden backup of the same database
 *      (download, decrypt, parallel pg_restore, row counts against the manifest)
 *   3. pgwarden: VerifyBackupWorkflow of that backup (test restore checking checksums and
 *      decrypting as it loads, row counts, the globals' integrity, size)
 * for each BACKUP_JOBS value of --jobs (a backup taken with it), in rounds of one of each, and
 * prints the times and their ratios to the baseline (of the minimums, and the median of each
 * round's own ratio). Usage:
 *   npm run bench:restore -- [--scales 10,100] [--printshop 100000] [--repeat 3] [--jobs 1,2] [--server pg18]
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/infra/storage/s3-client';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { connectDatabase, libpqEnvironment } from '../src/infra/postgres/client';
import { pgProgram } from '../src/infra/postgres/binaries';
import { WorkflowType } from '../src/infra/temporal/definitions';
import type { BackupSummary } from '../workflows/backup';
import {
  benchDatabase,
  benchSetup,
  datasetName,
  best,
  median,
  pairedRatio,
  deleteBenchBackups,
  MiB,
  printTable,
  run,
  seconds,
  startWorker,
  timed,
} from './support';

async function main(): Promise<void> {
  const { datasets, repeat, jobs, stackEnv } = await benchSetup();
  const rows: string[][] = [];
  for (const dataset of datasets) {
    const bench = await benchDatabase(stackEnv, dataset);
    const { database, env, target } = bench;
    const admin = await connectDatabase(target, { database: 'postgres' });
    const drop = (name: string) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);

    // 1. Baseline: pg_dump -Fc to a file once, then pg_restore --jobs=2 into a new database;
    // and the same file kept in the bucket, fetched to local disk first, as a script keeps its
    // dumps (pgwarden's restore also starts from the bucket).
    const file = join(tmpdir(), `bench-${randomUUID()}.dump`);
    run(pgProgram('pg_dump', env.PG_BIN_DIR), ['-Fc', '-Z6', '-f', file, '--no-sync', database], libpqEnvironment(target));
    const storage = bench.config.storage!;
    const s3 = createS3Client(storage);
    const key = `${storage.prefix}/${database}/bench-baseline.dump`;
    await s3.send(
      new PutObjectCommand({
        Bucket: storage.bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: statSync(file).size,
      }),
    );
    const fetchedFile = `${file}.fetched`;
    /** Times `before` (if any) plus pg_restore --jobs=2 of `from` into a fresh database. */
    const plainRestore = async (from: string, before?: () => Promise<void>): Promise<number> => {
      const name = `${database}_plain_restore`;
      await drop(name);
      await admin.query(`CREATE DATABASE "${name}"`);
      const ms = await timed(async () => {
        await before?.();
        run(
          pgProgram('pg_restore', env.PG_BIN_DIR),
          ['--no-owner', '--jobs=2', `--dbname=${name}`, from],
          libpqEnvironment(target, name),
        );
      });
      await drop(name);
      return ms;
    };
    const fetchThenRestore = () =>
      plainRestore(fetchedFile, async () => {
        const got = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
        await pipeline(got.Body as Readable, createWriteStream(fetchedFile));
      });

    // 2 and 3: pgwarden's restore and verify through a worker, of one backup of the same
    // database per BACKUP_JOBS value (a parallel backup restores its parts side by side).
    const runs = [];
    for (const j of jobs) {
      const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
      const worker = await startWorker(env, taskQueue, { BACKUP_JOBS: String(j) });
      const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
      const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
      const backup: BackupSummary = await client.workflow.execute(WorkflowType.backup, {
        taskQueue,
        workflowId: `bench-${database}-${randomUUID().slice(0, 8)}`,
        args: [{ database, reason: 'benchmark', failFast: true }],
      });
      runs.push({ worker, connection, client, taskQueue, backup, restores: [] as number[], verifies: [] as number[] });
    }

    // Rounds: every kind once per round, so a slower minute on this shared machine falls on
    // all of them alike; the paired ratio is the median of each round's own ratio.
    const baseline: number[] = [];
    const fetched: number[] = [];
    for (let i = 0; i < repeat; i++) {
      baseline.push(await plainRestore(file));
      fetched.push(await fetchThenRestore());
      for (const r of runs) {
        const name = `${database}_pgwarden_restore`;
        await drop(name);
        r.restores.push(
          await timed(() =>
            r.client.workflow.execute(WorkflowType.restore, {
              taskQueue: r.taskQueue,
              workflowId: `bench-restore-${randomUUID().slice(0, 8)}`,
              args: [{ database, file: r.backup.backupId, newDatabase: name }],
            }),
          ),
        );
        await drop(name);
        r.verifies.push(
          await timed(() =>
            r.client.workflow.execute(WorkflowType.verify, {
              taskQueue: r.taskQueue,
              workflowId: `bench-verify-${randomUUID().slice(0, 8)}`,
              args: [{ database, backupId: r.backup.backupId }],
            }),
          ),
        );
      }
    }
    rmSync(fetchedFile, { force: true });
    s3.destroy();
    rmSync(file);
    for (const r of runs) {
      r.worker.kill('SIGTERM');
      await r.connection.close();
    }
    await deleteBenchBackups(bench);

    const b = best(baseline);
    const cell = (times: number[]) =>
      `${seconds(best(times))}/${seconds(median(times))} s  x${(best(times) / b).toFixed(2)}, paired x${pairedRatio(times, baseline).toFixed(2)}`;
    const backup = runs[0].backup;
    await admin.end();
    rows.push([
      datasetName(dataset),
      `${(backup.rawBytes / MiB).toFixed(1)} MiB from pg_dump (${(backup.rawBytes / backup.storedBytes).toFixed(1)}x stored)`,
      `${seconds(b)}/${seconds(median(baseline))} s`,
      cell(fetched),
      ...runs.flatMap((r) => [cell(r.restores), cell(r.verifies)]),
    ]);
  }
  printTable(
    `restore benchmark (min/median of ${repeat} rounds; ratios of the minimum against pg_restore --jobs=2 of the same dump in this run, and paired: the median of each round's ratio)`,
    [
      'database',
      'dump',
      'pg_restore -j2',
      'fetched from S3, then pg_restore -j2 (ratio)',
      ...jobs.flatMap((j) => [`restore --new-db, BACKUP_JOBS=${j} (ratio)`, `verify, BACKUP_JOBS=${j} (ratio)`]),
    ],
    rows,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
