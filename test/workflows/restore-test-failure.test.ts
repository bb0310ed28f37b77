/**
 * A restore test that cannot finish (here the bucket is out of reach, so its report cannot be
 * stored) tells people, with the parts it did; before, it failed in Temporal and nobody knew
 * until the daily check found the last report weeks old.
 */
import { describeFailure } from '../../src/app/cli/failure';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { capturedMail, waitForCaptured } from '../support/sinks';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

describe('RestoreTestWorkflow that cannot finish', () => {
  const suite = workflowSuite('restore-test-failure');

  it('alerts with the step it stopped at and the parts it did, when its report cannot be stored', async () => {
    const database = await suite.freshDatabase('rtestfail', 'awkward.sql');
    const { taskQueue } = await suite.workerFor(database, { S3_ENDPOINT: 'http://127.0.0.1:1' });
    const workflowId = `restore-test-${database}-${uniqueSuffix()}`;
    const err = await suite.server.client.workflow
      .execute(WorkflowType.restoreTest, { taskQueue, workflowId, args: [{ database }] })
      .catch((e: unknown) => e);
    expect(describeFailure(err).exitCode).toBe(3);
    const [mail] = await waitForCaptured(capturedMail, workflowId);
    expect(mail.subject).toBe(`[pgwarden] FAILED: Restore test of ${database} could not finish`);
    expect(mail.text).toMatch(/During: +storing the report\n/);
    expect(mail.text).toMatch(/Error: +StorageError: /);
    // The logical part failed too (the backup is in the same bucket): said, since no report keeps it.
    expect(mail.text).toMatch(/logical: +FAILED: the newest backup; /);
    expect(mail.text).toMatch(/point-in-time: +not tested: \S+ is not in WAL_ARCHIVE/);
    expect(mail.text).toContain(`then run pgwarden restore-test --database ${database};`);
  }, 300_000);
});
