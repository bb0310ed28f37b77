/** The daily missing-backup check on the real stack: quiet when recent, an alert when stale. */
import { createS3Client } from '../../src/infra/storage/s3-client';
import { describeFailure } from '../../src/app/cli/failure';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { CheckBackupsWorkflow } from '../../workflows/check-backups';
import { capturedMail, capturedPages, capturedWebhooks, waitForCaptured } from '../support/sinks';
import { DAY, putBackup } from '../support/simulated-backups';
import { stackConfig } from '../support/stack-env';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

type Report = Awaited<ReturnType<typeof CheckBackupsWorkflow>>;

describe('CheckBackupsWorkflow (dev server, real S3)', () => {
  const suite = workflowSuite('check');

  it.each([
    ['stays quiet when both are recent', 2 * 3_600_000, 3 * DAY, []],
    [
      'alerts when the newest backup is too old',
      30 * 3_600_000,
      3 * DAY,
      [/^the newest complete backup of .* is 30 h old, over the 26 h limit, missing since \d{4}-/],
    ],
    [
      'alerts when the newest verified backup is too old',
      2 * 3_600_000,
      9 * DAY,
      [/^the newest verified backup of .* is 9(\.\d)? days old, over the 8-day limit/],
    ],
  ])('%s', async (_what, newestAge, verifiedAge, expected) => {
    const database = `check_${uniqueSuffix()}`;
    const { taskQueue } = await suite.workerFor(database, { DATABASE_URL: `postgres://u:p@127.0.0.1:1/${database}` });
    const storage = stackConfig().storage!;
    const s3 = createS3Client(storage);
    const now = Date.now();
    await putBackup(s3, storage, database, new Date(Math.floor((now - verifiedAge) / 1000) * 1000), { verified: 'passed' });
    await putBackup(s3, storage, database, new Date(Math.floor((now - newestAge) / 1000) * 1000));
    s3.destroy();
    const workflowId = `check-${database}-${uniqueSuffix()}`;
    const report: Report = await suite.server.client.workflow.execute(WorkflowType.check, {
      taskQueue,
      workflowId,
      args: [{ database }],
    });
    expect(report.problems).toEqual(expected.map((e) => expect.stringMatching(e)));
    expect(report.notified).toBe(expected.length > 0);
    // The pager: an alert while something is missing; a quiet day ends the alerts of earlier checks.
    const paged = (await capturedPages(`:${database}`)).map((p) => [p.body.event_action, p.body.dedup_key]);
    if (expected.length) {
      const [mail] = await waitForCaptured(capturedMail, workflowId);
      expect(mail.subject).toBe(`[pgwarden] FAILED: Backups of ${database} are missing or stale`);
      expect(await waitForCaptured(capturedWebhooks, workflowId)).toHaveLength(1);
      expect(paged).toEqual([['trigger', `pgwarden:backups-missing:${database}`]]);
    } else {
      await new Promise((r) => setTimeout(r, 500));
      expect(await capturedMail(workflowId)).toEqual([]);
      expect(await capturedWebhooks(workflowId)).toEqual([]);
      expect(paged).toEqual([
        ['resolve', `pgwarden:backups-missing:${database}`],
        ['resolve', `pgwarden:backups-unchecked:${database}`],
      ]);
    }
  });

  it("warns each day the database's storage costs more than STORAGE_BUDGET_USD, and not within it", async () => {
    const database = `check_${uniqueSuffix()}`;
    const storage = stackConfig().storage!;
    const s3 = createS3Client(storage);
    const now = Date.now();
    await putBackup(s3, storage, database, new Date(Math.floor((now - 3 * DAY) / 1000) * 1000), { verified: 'passed' });
    await putBackup(s3, storage, database, new Date(Math.floor((now - 3_600_000) / 1000) * 1000));
    s3.destroy();
    const check = async (budget: string) => {
      const { taskQueue } = await suite.workerFor(database, {
        DATABASE_URL: `postgres://u:p@127.0.0.1:1/${database}`,
        STORAGE_BUDGET_USD: budget,
      });
      const workflowId = `check-${database}-${uniqueSuffix()}`;
      const report: Report = await suite.server.client.workflow.execute(WorkflowType.check, {
        taskQueue,
        workflowId,
        args: [{ database }],
      });
      return { report, workflowId };
    };
    // A few kilobytes cost far less than a thousandth of a cent: within any real budget, over this one.
    const over = await check('0.000000000001');
    expect(over.report.problems).toEqual([]);
    expect(over.report.storage).toEqual({ monthlyUsd: expect.any(Number), budgetUsd: 1e-12 });
    const [mail] = await waitForCaptured(capturedMail, over.workflowId);
    expect(mail.subject).toBe(`[pgwarden] WARNING: Backups of ${database} cost about <$0.0001/month, over the <$0.0001 budget`);
    expect(mail.text).toMatch(/^By storage class: +[A-Z_]+ [\d.]+ (B|KiB) <\$0\.0001/m);

    const within = await check('25');
    expect(within.report.storage).toEqual({ monthlyUsd: over.report.storage!.monthlyUsd, budgetUsd: 25 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await capturedMail(within.workflowId)).toEqual([]);
  });

  it('alerts when it cannot look at all (the bucket out of reach), instead of passing in silence', async () => {
    const database = `check_${uniqueSuffix()}`;
    const { taskQueue } = await suite.workerFor(database, {
      DATABASE_URL: `postgres://u:p@127.0.0.1:1/${database}`,
      S3_ENDPOINT: 'http://127.0.0.1:1',
    });
    const workflowId = `check-${database}-${uniqueSuffix()}`;
    const err = await suite.server.client.workflow
      .execute(WorkflowType.check, { taskQueue, workflowId, args: [{ database }] })
      .catch((e: unknown) => e);
    expect(describeFailure(err).exitCode).toBe(3);
    const [mail] = await waitForCaptured(capturedMail, workflowId);
    expect(mail.subject).toBe(`[pgwarden] FAILED: Backups of ${database} could not be checked`);
    expect(mail.text).toMatch(/Error: +StorageError: /);
    expect(mail.text).toContain(`then look with pgwarden restore --list --database ${database}`);
  });
});
