/**
 * What the point-in-time test files share: the dev server, a scratch cluster of their own (a
 * base backup copies every database of a server, and the shared server holds gigabytes of
 * benchmark data), and at the end the runs they started terminated and the instances they
 * restored stopped and removed. `hostWorkers` gives the usual pair: workflows on one task
 * queue, the host's work on another (TASK_QUEUE_<SERVER>), as a fleet runs them.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { Config } from '../../src/infra/config/config';
import { instanceUser, stopInstance } from '../../src/infra/postgres/instance';
import { createHostWorker } from '../../src/app/worker/create-worker';
import { ScratchCluster, startScratchCluster } from './scratch-cluster';
import { stackConfig } from './stack-env';
import { uniqueDatabaseName } from './databases';
import { hostQueueVariable } from '../../src/infra/config/wal';
import { bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from './temporal';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { planRecoveryNames } from '../../src/operations/table-recovery/names';
import type { RecoverTableResult } from '../../workflows/recover-table';
import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';

export interface PitrFixture {
  readonly server: DevServer;
  readonly cluster: ScratchCluster;
  /** A run to terminate when the file's tests are done (archiving never ends by itself). */
  track(run: WorkflowHandle): void;
  /** An instance a restore left running: stopped, and its run folder removed, at the end. */
  restored(dataDir: string): void;
  hostWorkers(name: string, overrides: Record<string, string>): Promise<HostWorkers>;
  /**
   * A new database on the scratch cluster, filled by `statements`, and the settings that
   * archive its server: DATABASE_URL, WAL_ARCHIVE, a 1 s partial upload, a work folder of its own.
   */
  archivedDatabase(prefix: string, statements: string[]): Promise<{ db: string; settings: Record<string, string> }>;
}

export interface HostWorkers {
  config: Config;
  taskQueue: string;
  hostQueue: string;
  activities: ReturnType<typeof createActivities>;
  /** Runs `fn` while both workers poll. */
  runUntil<T>(fn: () => Promise<T>): Promise<T>;
  /** A workflow run to its result, on these workers' queue. */
  run<T>(type: string, args: object): Promise<T>;
  /** Starts archiving `server` (stopped when the file's tests are done) and takes a base backup. */
  archiveAndBaseBackup(server: string): Promise<BaseBackupManifest>;
  /** `public.<table>` of `server` recovered as of `time` beside the live table, as `<table>_recovered`. */
  recoverTableAsOf(server: string, table: string, time: string): Promise<RecoverTableResult>;
}

/** `pgBinDir`: the scratch cluster's PostgreSQL installation, when not Debian's; `settings`: its server settings. */
export function pitrFixture(options: { pgBinDir?: string; settings?: Record<string, string> } = {}): PitrFixture {
  let server: DevServer | undefined;
  let cluster: ScratchCluster | undefined;
  const runs: WorkflowHandle[] = [];
  const instances: string[] = [];
  const workDirs: string[] = [];
  beforeAll(async () => {
    server = await devServer();
    cluster = await startScratchCluster(options);
  });
  afterAll(async () => {
    for (const run of runs) await run.terminate('test over').catch(() => undefined);
    for (const dataDir of instances) {
      await stopInstance({ dataDir, runAs: instanceUser(), pgBinDir: options.pgBinDir }).catch(() => undefined);
      rmSync(dirname(dataDir), { recursive: true, force: true });
    }
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
    await cluster?.stop();
    await server?.close();
  });
  return {
    get server() {
      return server!;
    },
    get cluster() {
      return cluster!;
    },
    track: (run) => void runs.push(run),
    restored: (dataDir) => void instances.push(dataDir),
    async archivedDatabase(prefix, statements) {
      const db = uniqueDatabaseName(prefix);
      await cluster!.query(`CREATE DATABASE ${db}`);
      for (const sql of statements) await cluster!.query(sql, [], db);
      const workDir = join(tmpdir(), `pgwarden-${prefix}-test-${randomUUID().slice(0, 8)}`);
      mkdirSync(workDir, { recursive: true });
      workDirs.push(workDir);
      return {
        db,
        settings: {
          DATABASE_URL: cluster!.url(db),
          WAL_ARCHIVE: db,
          WAL_PARTIAL_UPLOAD_SECONDS: '1',
          PGWARDEN_WORK_DIR: workDir,
        },
      };
    },
    async hostWorkers(name, overrides) {
      const taskQueue = uniqueTaskQueue(name);
      const hostQueue = uniqueTaskQueue(`${name}-host`);
      // The worker knows each archived server's host queue, as a fleet's configuration says (TASK_QUEUE_<SERVER>).
      const servers = (overrides.WAL_ARCHIVE ?? '').split(',').filter(Boolean);
      const config = stackConfig({
        ...Object.fromEntries(servers.map((s) => [hostQueueVariable(s.trim()), hostQueue])),
        ...overrides,
      });
      const activities = createActivities(createActivityDeps(config));
      const worker = await bundledWorker(server!, taskQueue, activities);
      const hostWorker = await createHostWorker({
        connection: server!.nativeConnection,
        namespace: server!.namespace,
        taskQueue: hostQueue,
        activities,
      });
      const options = (type: string, args: object) => ({ taskQueue, workflowId: `${type}-${uniqueSuffix()}`, args: [args] });
      const run = <T>(type: string, args: object): Promise<T> => server!.client.workflow.execute(type, options(type, args));
      return {
        config,
        taskQueue,
        hostQueue,
        activities,
        runUntil: <T>(fn: () => Promise<T>) => worker.runUntil(hostWorker.runUntil(fn)),
        run,
        async archiveAndBaseBackup(name) {
          const archive = { server: name, roundSeconds: 600, hostQueue };
          runs.push(await server!.client.workflow.start(WorkflowType.walArchive, options(WorkflowType.walArchive, archive)));
          return run<BaseBackupManifest>(WorkflowType.baseBackup, { server: name, reason: 'test', hostQueue });
        },
        recoverTableAsOf(name, table, time) {
          const tables = planRecoveryNames([`public.${table}`], undefined, false);
          if ('problem' in tables) throw new Error(tables.problem);
          return run(WorkflowType.recoverTable, { server: name, into: name, hostQueue, tables, target: { kind: 'time', time } });
        },
      };
    },
  };
}
