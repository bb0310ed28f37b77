/**
 * The fault campaign's long cases, too slow for every CI run (`npm run campaign`): a backup
 * started while S3 is unreachable for 3 minutes, and another while PostgreSQL is, each cut at
 * the TCP level between the worker and the real server, ride it out within the default
 * BACKUP_RETRY_WINDOW_MINUTES (10) and leave exactly one complete backup, no failure record,
 * no stray upload.
 */
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BackupSummary } from '../../workflows/backup';
import { databaseUrl, stackServer } from '../support/databases';
import { OutageProxy } from '../support/outage-proxy';
import { stackConfig, stackEnv } from '../support/stack-env';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const OUTAGE_MS = 3 * 60_000;

describe('fault campaign: 3-minute outages (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('campaign');
  const proxies: OutageProxy[] = [];
  afterAll(() => Promise.all(proxies.map((p) => p.close())));

  it.concurrent.each(['S3', 'PostgreSQL'])(
    'a backup rides out %s unreachable for 3 minutes',
    async (what) => {
      const db = await suite.freshDatabase('campaign', 'awkward.sql');
      const s3 = new URL(stackEnv().S3_ENDPOINT!);
      const pg = stackServer();
      const proxy = await OutageProxy.start(
        what === 'S3' ? { host: s3.hostname, port: Number(s3.port) } : { host: pg.host, port: pg.port },
      );
      proxies.push(proxy);
      const overrides =
        what === 'S3'
          ? { S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` }
          : { DATABASE_URL: databaseUrl(db).replace(`:${pg.port}/`, `:${proxy.port}/`) };
      const { taskQueue } = await suite.workerFor(db, overrides);
      await proxy.down();
      const started = Date.now();
      const handle = await suite.server.client.workflow.start(WorkflowType.backup, {
        taskQueue,
        workflowId: `backup-${db}-${uniqueSuffix()}`,
        args: [{ database: db, reason: 'campaign' }],
      });
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await proxy.up();
      const summary: BackupSummary = await handle.result();
      process.stderr.write(
        `campaign: ${what} down ${OUTAGE_MS / 1000}s; backup ${summary.backupId} completed ${((Date.now() - started) / 1000).toFixed(0)}s after its start\n`,
      );
      const storage = stackConfig().storage!;
      const client = createS3Client(storage);
      const prefix = `${storage.prefix}/${db}/`;
      const { Contents = [] } = await client.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix }));
      expect(Contents.map((o) => o.Key!.slice(prefix.length)).sort()).toEqual([
        `data/${summary.backupId}.dump.zst.enc`,
        `data/${summary.backupId}.globals.sql.zst.enc`,
        `manifests/${summary.backupId}.json`,
      ]);
      expect(
        (await client.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: prefix }))).Uploads ?? [],
      ).toEqual([]);
      client.destroy();
    },
    15 * 60_000,
  );
});
