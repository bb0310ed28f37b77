/**
 * A nightly backup rides out S3 and PostgreSQL being unreachable for a while (both cut at the
 * TCP level between the worker and the real servers), within BACKUP_RETRY_WINDOW_MINUTES; and
 * its progress, as the CLI and the UI read it from the server, moves every few seconds.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { BackupProgress } from '../../src/operations/backup/progress';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { BackupSummary } from '../../workflows/backup';
import { databaseUrl, stackServer, withClient } from '../support/databases';
import { OutageProxy } from '../support/outage-proxy';
import { stackEnv } from '../support/stack-env';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

describe('BackupWorkflow through outages (dev server, real PostgreSQL and S3)', () => {
  const suite = workflowSuite('outage');
  const proxies: OutageProxy[] = [];
  afterAll(() => Promise.all(proxies.map((p) => p.close())));

  it('waits out a 20 s outage of S3 and PostgreSQL and completes the backup', async () => {
    const db = await suite.freshDatabase('outage', 'awkward.sql');
    const s3 = new URL(stackEnv().S3_ENDPOINT!);
    const pg = stackServer();
    const s3Proxy = await OutageProxy.start({ host: s3.hostname, port: Number(s3.port) });
    const pgProxy = await OutageProxy.start({ host: pg.host, port: pg.port });
    proxies.push(s3Proxy, pgProxy);
    const { taskQueue } = await suite.workerFor(db, {
      S3_ENDPOINT: `http://127.0.0.1:${s3Proxy.port}`,
      DATABASE_URL: databaseUrl(db).replace(`:${pg.port}/`, `:${pgProxy.port}/`),
    });
    await Promise.all([s3Proxy.down(), pgProxy.down()]);
    const started = Date.now();
    const handle = await suite.server.client.workflow.start(WorkflowType.backup, {
      taskQueue,
      workflowId: `backup-${db}-${uniqueSuffix()}`,
      args: [{ database: db, reason: 'outage test', retryWindowMinutes: 1 }],
    });
    await new Promise((r) => setTimeout(r, 20_000));
    await Promise.all([s3Proxy.up(), pgProxy.up()]);
    const summary: BackupSummary = await handle.result();
    expect(Date.now() - started).toBeGreaterThan(20_000);
    expect(summary).toMatchObject({ database: db, tables: 7 });
    // The preflight failed while the servers were away, and was retried rather than given up.
    const history = await handle.fetchHistory();
    const preflight = history.events!.find(
      (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
    );
    expect(preflight).toBeDefined();
  }, 180_000);

  it('shows progress that moves every few seconds while a dump runs', async () => {
    const db = await suite.freshDatabase('progress');
    await withClient(db, (c) =>
      c.query(
        `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS pad FROM generate_series(1, 1200000) g`,
      ),
    );
    // gzip inside pg_dump: slow enough that the dump spans several heartbeats (zstd finishes this in a few seconds).
    const { taskQueue } = await suite.workerFor(db, { BACKUP_COMPRESSION: 'gzip' });
    const handle = await suite.server.client.workflow.start(WorkflowType.backup, {
      taskQueue,
      workflowId: `backup-${db}-${uniqueSuffix()}`,
      args: [{ database: db, reason: 'progress test' }],
    });
    let finished = false;
    const result = handle.result().finally(() => (finished = true));
    const seen: Array<{ at: number; summary: string; storedBytes: number }> = [];
    while (!finished) {
      const { raw } = await handle.describe();
      const payload = raw.pendingActivities?.find((a) => a.activityType?.name === 'dumpAndUpload')?.heartbeatDetails
        ?.payloads?.[0];
      const p = payload ? defaultPayloadConverter.fromPayload<BackupProgress>(payload) : undefined;
      if (p && p.summary !== seen.at(-1)?.summary) seen.push({ at: Date.now(), summary: p.summary, storedBytes: p.storedBytes });
      await new Promise((r) => setTimeout(r, 250));
    }
    await result;
    const dumping = seen.filter((s) => s.summary.startsWith('dumping'));
    expect(dumping.length).toBeGreaterThanOrEqual(2);
    const gaps = dumping.slice(1).map((s, i) => s.at - dumping[i].at);
    expect(Math.max(...gaps)).toBeLessThan(4000);
    expect(dumping.at(-1)!.storedBytes).toBeGreaterThan(dumping[0].storedBytes);
  }, 180_000);
});
