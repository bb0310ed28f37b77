/**
 * `pgwarden report`'s figures on the real stack: real backups, real failed backups (one that
 * could not record its own failure, S3 being the failure), a verification and a restore, then the report checked against the manifests and records
 * read back from the bucket.
 */
import { createS3Client } from '../../src/infra/storage/s3-client';
import type { BackupManifest } from '../../src/operations/backup/manifest';
import { BackupStore } from '../../src/operations/catalog/store';
import { VerificationRecord } from '../../src/operations/verify/verification';
import type { DatabaseReport } from '../../src/operations/report/report';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { RestoreResult } from '../../workflows/restore';
import { dropDatabase } from '../support/databases';
import { stackConfig } from '../support/stack-env';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';
import { databaseRoot, failureKey, verificationKey } from '../../src/infra/storage/layout';
import { Bucket } from '../../src/infra/storage/bucket';

describe('BackupReportWorkflow (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('report');

  it('reports figures that match the manifests and records of the backups made here', async () => {
    const db = await suite.freshDatabase('report', 'awkward.sql');
    const { taskQueue } = await suite.workerFor(db);
    // The same database id on a worker whose database is down: a backup that really fails.
    const broken = await suite.workerFor(db, { DATABASE_URL: `postgres://u:p@127.0.0.1:1/${db}` });
    const client = suite.server.client;

    const first = await suite.backup(db, taskQueue);
    await new Promise((r) => setTimeout(r, 1100)); // backup ids have one-second resolution
    await expect(suite.backup(db, broken.taskQueue)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1100));
    // And one whose S3 is unreachable: it cannot write its own failure record; Temporal knows of it.
    const noStore = await suite.workerFor(db, { S3_ENDPOINT: 'http://127.0.0.1:1' });
    await expect(suite.backup(db, noStore.taskQueue)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1100));
    const second = await suite.backup(db, taskQueue);
    await client.workflow.execute(WorkflowType.verify, {
      taskQueue,
      workflowId: `verify-${db}-${uniqueSuffix()}`,
      args: [{ database: db, backupId: second.backupId }],
    });
    const copy = `${db}_copy`;
    suite.track(copy);
    const restored: RestoreResult = await client.workflow.execute(WorkflowType.restore, {
      taskQueue,
      workflowId: `restore-${db}-${uniqueSuffix()}`,
      args: [{ database: db, file: first.backupId, newDatabase: copy }],
    });
    await dropDatabase(copy);

    const [report]: DatabaseReport[] = await client.workflow.execute(WorkflowType.report, {
      taskQueue,
      workflowId: `report-${db}-${uniqueSuffix()}`,
      args: [{ databases: [db], days: 7 }],
    });

    // What the bucket says, read independently of the report's code path.
    const storage = stackConfig().storage!;
    const s3 = createS3Client(storage);
    const store = new BackupStore(new Bucket(storage, s3));
    const manifests = await Promise.all(
      [first, second].map(async (b) => (await store.manifest(db, b.backupId))!.manifest as BackupManifest),
    );
    const verification = JSON.parse(
      (await store.bucket.getText(verificationKey(storage.prefix, db, second.backupId)))!,
    ) as VerificationRecord;
    const failureKeys = (await store.bucket.list(`${databaseRoot(storage.prefix, db)}records/backup-failures/`)).map(
      (o) => o.key,
    );
    const objects = await store.bucket.list(databaseRoot(storage.prefix, db));
    s3.destroy();

    expect(failureKeys).toHaveLength(1);
    expect(failureKeys[0]).toMatch(/backup_\d{8}_\d{6}\.json$/);
    expect(failureKeys[0]).not.toBe(failureKey(storage.prefix, db, first.backupId));
    expect(report.backups).toEqual({
      succeeded: 2,
      failed: 2,
      successRate: 50,
      lastSuccessAt: manifests[1].finishedAt,
      lastFailure: expect.objectContaining({
        errorType: 'StorageError',
        message: expect.stringMatching(/^HeadBucket failed: cannot reach bucket .* \(ECONNREFUSED\)/),
      }),
    });
    expect(report.size).toMatchObject({
      latestBytes: manifests[1].data.storedBytes,
      minBytes: Math.min(...manifests.map((m) => m.data.storedBytes)),
      maxBytes: Math.max(...manifests.map((m) => m.data.storedBytes)),
    });
    expect(report.size.perDay.filter((v) => v !== null)).toEqual([manifests[1].data.storedBytes]);
    expect(report.duration).toMatchObject({
      latestMs: manifests[1].durationMs,
      medianMs: (manifests[0].durationMs + manifests[1].durationMs) / 2,
      maxMs: Math.max(manifests[0].durationMs, manifests[1].durationMs),
    });
    expect(report.verification).toEqual({
      passed: 1,
      failed: 0,
      testRestoreMedianMs: verification.checks.restore.restoreMs,
      testRestoreLastMs: verification.checks.restore.restoreMs,
    });
    expect(report.restores).toMatchObject({
      succeeded: 1,
      failed: 0,
      lastRecoveryMs: restored.recoveryMs,
      medianRestoreMs: restored.restoreMs,
      withinRto: 1,
    });
    expect(report.storage.objects).toBe(objects.length);
    expect(report.storage.bytes).toBe(objects.reduce((n, o) => n + o.size, 0));
    const dataBytes = objects.filter((o) => o.key.includes('/data/')).reduce((n, o) => n + o.size, 0);
    expect(dataBytes).toBe(manifests.reduce((n, m) => n + m.data.storedBytes + m.globals.storedBytes, 0));
    expect(report.storage.byClass.reduce((n, c) => n + c.bytes, 0)).toBe(report.storage.bytes);
    expect(report.storage.monthlyUsd).toBeGreaterThan(0);
  });
});
