/**
 * What the workflow test files share: a connection to the dev server, workers configured for
 * one database each (on task queues of their own), throw-away databases dropped at the end,
 * and a backup run to start from.
 */
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { Config } from '../../src/infra/config/config';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BackupSummary } from '../../workflows/backup';
import type { RestoreResult } from '../../workflows/restore';
import type { VerifyResult } from '../../workflows/verify';
import { createDatabase, databaseUrl, dropDatabase, uniqueDatabaseName } from './databases';
import { stackConfig } from './stack-env';
import { bundledWorker, devServer, DevServer, uniqueSuffix, uniqueTaskQueue } from './temporal';

export interface WorkflowSuite {
  readonly server: DevServer;
  /** Drops these databases when the file's tests are done. */
  track(...databases: string[]): void;
  freshDatabase(prefix: string, fixture?: string): Promise<string>;
  workerFor(database: string, overrides?: Record<string, string | undefined>): Promise<{ taskQueue: string; config: Config }>;
  backup(database: string, taskQueue: string, extra?: object): Promise<BackupSummary>;
  /** A backup, then its verification (what an incident proposes: the newest verified backup). */
  verifiedBackup(database: string, taskQueue: string): Promise<BackupSummary>;
  /** VerifyBackupWorkflow of one backup. */
  verify(database: string, taskQueue: string, backupId: string): Promise<VerifyResult>;
  /** RestoreWorkflow of one backup into a new database. */
  restoreNew(database: string, taskQueue: string, backupId: string, newDatabase: string): Promise<RestoreResult>;
}

export function workflowSuite(name: string): WorkflowSuite {
  let server: DevServer | undefined;
  const created: string[] = [];
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
  beforeAll(async () => {
    server = await devServer();
  });
  afterAll(async () => {
    for (const w of workers) w.worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    for (const db of created) await dropDatabase(db);
    await server?.close();
  });
  return {
    get server() {
      return server!;
    },
    track: (...databases) => void created.push(...databases),
    async freshDatabase(prefix, fixture) {
      const db = uniqueDatabaseName(prefix);
      created.push(db);
      await createDatabase(db, fixture);
      return db;
    },
    async workerFor(database, overrides = {}) {
      const config = stackConfig({ DATABASE_URL: databaseUrl(database), ...overrides });
      const taskQueue = uniqueTaskQueue(name);
      const worker = await bundledWorker(server!, taskQueue, createActivities(createActivityDeps(config)));
      workers.push({ worker, running: worker.run() });
      return { taskQueue, config };
    },
    backup(database, taskQueue, extra = {}) {
      return server!.client.workflow.execute(WorkflowType.backup, {
        taskQueue,
        workflowId: `backup-${database}-${uniqueSuffix()}`,
        args: [{ database, reason: 'test', failFast: true, ...extra }],
      });
    },
    async verifiedBackup(database, taskQueue) {
      const backup = await this.backup(database, taskQueue);
      await this.verify(database, taskQueue, backup.backupId);
      return backup;
    },
    verify(database, taskQueue, backupId) {
      return server!.client.workflow.execute(WorkflowType.verify, {
        taskQueue,
        workflowId: `verify-${database}-${uniqueSuffix()}`,
        args: [{ database, backupId }],
      });
    },
    restoreNew(database, taskQueue, backupId, newDatabase) {
      return server!.client.workflow.execute(WorkflowType.restore, {
        taskQueue,
        workflowId: `restore-${database}-${uniqueSuffix()}`,
        args: [{ database, file: backupId, newDatabase }],
      });
    },
  };
}
