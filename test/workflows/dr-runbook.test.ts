/**
 * The whole runbook on the dev server, driven from the CLI as on-call would: a real backup
 * and verification first, then the failure (data destroyed), the six steps with a real
 * in-place restore behind its own approval, the recovery checks, and the close. The worker
 * is replaced halfway; the validators refuse bad steps without recording anything.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { keptName } from '../../src/operations/restore/restore-plan';
import type { IncidentState } from '../../src/operations/dr/incident';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import * as m from '../../src/operations/dr/messages';
import { rejectRestoreUpdate } from '../../src/infra/temporal/messages';
import { IncidentStatusSA, IncidentStepSA } from '../../src/infra/temporal/search-attributes';
import { databaseUrl, tableFingerprints, withClient } from '../support/databases';
import { capturedMail, capturedPages, capturedWebhooks, waitForCaptured } from '../support/sinks';
import { SLACK_OPEN_VIEW } from '../../src/infra/notify/slack-interaction';
import { postAsSlack, slackClickBody, slackSubmitBody } from '../support/slack-click';
import { waitFor } from '../support/wait';
import type { AddressInfo } from 'node:net';
import { createConsoleServer } from '../../src/app/console/server';
import { temporalBackend } from '../../src/app/console/backend';
import { hashPassword } from '../../src/app/console/auth';
import { Secret } from '../../src/infra/config/secret';
import { pagerDutySignature } from '../../src/infra/notify/pagerduty-webhook';
import { stackConfig, stackEnv } from '../support/stack-env';
import { bundledWorker, uniqueSuffix, uniqueTaskQueue, waitForPoller } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';
import { pgwarden } from '../support/cli';
import { evidenceKeys, reportsFolder } from '../../src/infra/storage/layout';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import type { EvidenceReport } from '../../src/operations/dr/evidence';
import type { RestoreEvidence } from '../../src/operations/restore/evidence';

describe('DisasterRecoveryWorkflow (dev server, real restore, CLI)', () => {
  const suite = workflowSuite('dr');

  /**
   * An incident started, acknowledged and assessed by carol, its proposal selected: in place,
   * the restore then waits for its approval. With its state and a wait for a step's status.
   */
  async function selectedIncident(db: string, taskQueue: string, name: string, summary: string) {
    const h = await suite.server.client.workflow.start(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: `dr-${db}-${name}-${uniqueSuffix()}`,
      args: [{ summary, database: db, severity: 'SEV2', openedBy: 'carol' }],
    });
    const state = () => h.query(m.incidentStateQuery);
    // A restore under load may take a while; a timeout says where the incident stood.
    const at = (step: string, status: string) =>
      waitFor(
        `${step} ${status}`,
        async () => {
          const s = await state();
          return s.step === step && s.stepStatus === status;
        },
        120,
      ).catch(async (err: Error) => {
        const s = await state();
        throw new Error(
          `${err.message}; the incident is at ${s.step} (${s.stepStatus}): ${JSON.stringify(s.timeline.slice(-3))}`,
        );
      });
    await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'carol' }] });
    await at('assess', 'waiting');
    await h.executeUpdate(m.assessUpdate, { args: [{ by: 'carol', dataLossScope: summary, customerImpact: false }] });
    await at('select', 'waiting');
    await h.executeUpdate(m.selectBackupUpdate, { args: [{ by: 'carol' }] });
    await waitFor('the restore waiting for approval', async () => (await state()).restore?.status === 'running');
    return { h, state, at };
  }

  it('runs the six steps from the CLI with a real in-place restore, across a worker restart', async () => {
    const db = await suite.freshDatabase('dr', 'awkward.sql');
    const taskQueue = uniqueTaskQueue('dr');
    const settings = {
      DATABASE_URL: databaseUrl(db),
      PGWARDEN_TASK_QUEUE: taskQueue,
      ESCALATION_L1_EMAIL: 'oncall@example.com',
      DR_SMOKE_QUERIES: `SELECT 1 FROM inventory.items WHERE qty > 10; SELECT count(*) FROM public.events`,
      DR_HEALTH_URL: `${stackEnv().PGWARDEN_SINKS_URL}/health`,
    };
    const activities = createActivities(createActivityDeps(stackConfig(settings)));
    const startWorker = async () => {
      const worker: Worker = await bundledWorker(suite.server, taskQueue, activities);
      return { worker, running: worker.run() };
    };
    let current = await startWorker();
    const cli = (...args: string[]) => pgwarden(settings, 'dr', ...args);
    const client = suite.server.client;
    let incident: string | undefined;

    try {
      const backup = await suite.verifiedBackup(db, taskQueue);
      const before = await tableFingerprints(db);
      await new Promise((r) => setTimeout(r, 1100)); // the failure comes after the backup
      await withClient(db, (c) => c.query('DELETE FROM inventory.items WHERE qty < 25'));

      const started = await cli(
        'start',
        '--summary',
        'items wiped by a bad migration',
        '--severity',
        'SEV2',
        '--as',
        'carol',
        '--json',
      );
      expect(started).toMatchObject({ code: 0, stderr: '' });
      // dr start returns once a worker took the incident and level 1 is out, saying to whom.
      expect(JSON.parse(started.stdout).level1Sent).toEqual(['oncall@example.com']);
      const id: string = JSON.parse(started.stdout).incidentId;
      incident = id;
      expect(id).toMatch(new RegExp(`^dr-${db}-\\d{8}T\\d{6}Z$`));
      const h = client.workflow.getHandle(id);
      const waitUntil = async (ok: (s: IncidentState) => boolean) => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const s = await h.query(m.incidentStateQuery);
          if (ok(s)) return s;
          if (Date.now() > deadline)
            throw new Error(`incident at ${s.step} (${s.stepStatus}); last: ${JSON.stringify(s.timeline.slice(-2))}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };

      // 1. Identify: automatic findings.
      let s = await waitUntil((x) => x.step === 'assess' && x.stepStatus === 'waiting');
      expect(s.findings).toMatchObject({
        databaseReachable: true,
        newestBackup: { backupId: backup.backupId },
        newestVerified: { backupId: backup.backupId },
      });
      expect(s.matrix!.level1.contacts).toEqual(['oncall@example.com']);

      // Bad steps are refused with a clear message; Updates record nothing.
      const recorded = s.timeline.length;
      const refusal = async <A>(update: UpdateDefinition<IncidentState, [A]>, arg: A) => {
        const err = await h.executeUpdate(update, { args: [arg] }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        // What the UI shows: the message alone, no worker stack trace.
        expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'UsageError', stack: '' });
        return ((err as WorkflowUpdateFailedError).cause as Error).message;
      };
      expect(await refusal(m.assessUpdate, { by: 'dave', customerImpact: false } as never)).toMatch(
        /"dataLossScope" is required/,
      );
      expect(await refusal(m.assessUpdate, { dataLossScope: 'x', customerImpact: false } as never)).toMatch(/"by" is required/);
      expect(await refusal(m.selectBackupUpdate, { by: 'dave' })).toMatch(
        /choosing a backup belongs to step "3. Select backup", but the incident is at "2. Assess impact" \(waiting\)/,
      );
      expect(await refusal(m.resumeUpdate, { by: 'dave' })).toMatch(/belongs to step "6. Resume operations"/);
      expect(await refusal(m.retryStepUpdate, { by: 'dave', reason: 'again' })).toMatch(/has not failed/);
      expect(await refusal(m.abortUpdate, { by: 'dave' } as never)).toMatch(/"reason" is required/);
      // A bad Signal (a UI click nobody sees refused) is not applied, but shown and recorded as refused.
      await h.signal(m.assessSignal, { by: 'dave', dataLossScope: '' } as never);
      expect(await cli('assess', id, '--scope', 'x', '--customer-impact', 'maybe')).toMatchObject({
        code: 64,
        stderr: 'pgwarden: --customer-impact maybe: answer yes or no\n',
      });
      expect(await cli('select', id, '--as', 'dave')).toMatchObject({
        code: 64,
        stderr: expect.stringMatching(
          /^pgwarden: dr-.*: choosing a backup belongs to step "3. Select backup", but the incident is at "2. Assess impact"/,
        ),
      });
      s = await h.query(m.incidentStateQuery);
      expect(s.timeline.slice(recorded).map((t) => [t.by, t.what])).toEqual([
        ['dave', 'refused assessSignal: "dataLossScope" is required: what data is lost or at risk, e.g. orders since 02:00'],
      ]);
      expect(s.lastRefused).toMatchObject({ by: 'dave', action: 'assessSignal' });
      expect(s.assessment).toBeNull();

      // 2. Assess, acknowledge.
      expect(await cli('ack', id, '--as', 'dave')).toMatchObject({ code: 0 });
      expect(await cli('ack', id, '--as', 'erin')).toMatchObject({
        code: 64,
        stderr: expect.stringContaining('already acknowledged by dave'),
      });
      expect(
        await cli('assess', id, '--scope', 'inventory items with qty < 25', '--customer-impact', 'no', '--as', 'dave'),
      ).toMatchObject({
        code: 0,
        // The reply says what comes next and how to give it, not where the incident was a moment ago.
        stdout: `assess recorded as dave; next: 3. Select backup: a backup: pgwarden dr select ${id} [--backup ID] [--new-db NAME] --as NAME\n`,
      });

      // 3. Select: the proposal is the verified backup from before the failure.
      s = await waitUntil((x) => x.step === 'select' && x.stepStatus === 'waiting');
      expect(s.proposal).toMatchObject({ backupId: backup.backupId, verified: true, retrieval: null });

      // The worker goes away and a new one takes over; the incident carries on.
      current.worker.shutdown();
      await current.running;
      current = await startWorker();
      await waitForPoller(client, taskQueue);

      expect(await cli('select', id, '--backup', 'yesterday', '--as', 'dave')).toMatchObject({
        code: 64,
        stderr: expect.stringMatching(/^pgwarden: dr-.*: --backup "yesterday" is not a backup id/),
      });
      // Well-formed but not a backup: the Update fails (exit 66, nothing recorded), and the same
      // choice by Signal is shown refused; the step waits on.
      const timelineBefore = (await h.query(m.incidentStateQuery)).timeline.length;
      expect(await cli('select', id, '--backup', 'backup_20000101_000000', '--as', 'dave')).toMatchObject({
        code: 66,
        stderr: expect.stringMatching(
          new RegExp(
            `^pgwarden: dr-.*: backup_20000101_000000 is not a complete backup of ${db}; see pgwarden restore --list\n$`,
          ),
        ),
      });
      expect((await h.query(m.incidentStateQuery)).timeline.length).toBe(timelineBefore);
      await h.signal(m.selectBackupSignal, { by: 'erin', backupId: 'backup_20000101_000000' });
      s = await waitUntil((x) => x.lastRefused?.action === 'selectBackupSignal');
      expect(s.lastRefused).toMatchObject({
        by: 'erin',
        reason: expect.stringMatching(/^backup_20000101_000000 is not a complete backup/),
      });
      expect(s.timeline.at(-1)!.what).toMatch(/^refused selectBackupSignal: backup_20000101_000000 is not a complete backup/);
      expect([s.step, s.stepStatus, s.selection]).toEqual(['select', 'waiting', null]);
      expect(await cli('select', id, '--as', 'dave')).toMatchObject({
        code: 0,
        stdout: `select recorded as dave; next: 4. Execute restore: approve it in place: pgwarden dr approve ${id} --as NAME\n`,
      });

      // 4. Restore in place, behind the restore's own approval.
      s = await waitUntil((x) => x.step === 'restore' && x.restore?.status === 'running');
      const status = await cli('status', id);
      expect(status.stdout).toMatch(/^incident   dr-.*: \[SEV2\] .*: items wiped by a bad migration$/m);
      expect(status.stdout).toMatch(/^restore    running: restoring backup_\d{8}_\d{6} in place; needs approval/m);
      const listed = await cli('list', '--json');
      expect(JSON.parse(listed.stdout)).toEqual(
        expect.arrayContaining([expect.objectContaining({ incident: id, severity: 'SEV2', status: 'open' })]),
      );
      expect(await waitForCaptured(capturedMail, s.restore!.workflowId)).toEqual([
        expect.objectContaining({ subject: expect.stringMatching(/approval/i) }),
      ]);
      // One approval path: the child's mail points to the incident's, not to its own.
      const [approvalMail] = await waitForCaptured(capturedMail, s.restore!.workflowId);
      expect(approvalMail.text).toContain(`What to do: approve through the incident: pgwarden dr approve ${id} --as <your name>`);
      expect(approvalMail.text).not.toContain('restore --approve');
      expect(await cli('approve', id, '--as', 'dave', '--note', 'go')).toMatchObject({ code: 0 });

      // 5. Verify: row counts, smoke queries, health URL.
      s = await waitUntil((x) => x.step === 'resume' && x.stepStatus === 'waiting');
      expect(s.restore).toMatchObject({ status: 'succeeded', restoredInto: db });
      suite.track(keptName(db, backup.backupId));
      expect(s.checks).toEqual([
        { name: 'row counts', ok: true, detail: expect.stringMatching(/^all \d+ tables match the manifest$/) },
        { name: 'smoke query 1', ok: true, detail: expect.any(String) },
        { name: 'smoke query 2', ok: true, detail: '1 row(s)' },
        { name: 'health URL', ok: true, detail: expect.stringMatching(/^127\.0\.0\.1:\d+ answered 200$/) },
      ]);
      expect(await tableFingerprints(db)).toEqual(before);

      // What the Temporal UI shows as the run's current details.
      const metadata = await h.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails?.split('\n').slice(0, 6)).toEqual([
        `**[SEV2] ${db}**: items wiped by a bad migration`,
        expect.stringMatching(/^\*\*Status:\*\* open; step 6\. Resume operations \(waiting\); failure at \d\d:\d\d UTC$/),
        `**Waiting for:** confirmation that operations resumed: \`pgwarden dr resume ${id} --as NAME\``,
        '**In the UI:** Update `resume` (or Signal `resumeSignal`) with `{"by": "<you>", "note": "<what you checked>"}`',
        expect.stringMatching(/^\*\*Last refused action:\*\* selectBackupSignal from erin at /),
        expect.stringMatching(/^\*\*Escalation:\*\* level 1 \(DevOps team\) sent; acknowledged by dave at \d\d:\d\d UTC$/),
      ]);

      // 6. Resume: closes the incident with the timeline and the recovery figures; a watcher sees it close and ends.
      const watching = cli('status', id, '--watch', '1');
      await new Promise((r) => setTimeout(r, 1500));
      expect(await cli('resume', id, '--as', 'dave', '--note', 'items are back')).toMatchObject({ code: 0 });
      const watched = await watching;
      expect(watched.code).toBe(0);
      expect(watched.stdout).toMatch(/^status +open;/m);
      expect(watched.stdout).toMatch(/^--- \d{4}-\d\d-\d\dT[\d:.]+Z\nincident +dr-.*\nstatus +resolved at /m);
      const final: IncidentState = await h.result();
      expect(final).toMatchObject({ status: 'resolved', step: 'resume', skipped: [] });
      expect(final.recovery).toMatchObject({ restoreWithinRto: true, fullServiceWithinRto: true, withinRpo: true });
      expect(final.timeline.filter((t) => t.by === 'dave').map((t) => t.what)).toEqual([
        expect.stringMatching(/^refused assessSignal: /),
        expect.stringMatching(/^acknowledged/),
        'data loss: inventory items with qty < 25; customer-facing impact: no',
        expect.stringMatching(new RegExp(`^chose ${backup.backupId} .*in place$`)),
        'approved the restore: go',
        'operations resumed: items are back',
      ]);
      // The evidence report, stored beside the backups: every step done, who did what, the objectives met.
      const config = stackConfig(settings);
      const keys = evidenceKeys(config.storage!.prefix, db, final.closedAt!, id);
      const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
      expect(final.evidence).toEqual({ json: bucket.where(keys.json), markdown: bucket.where(keys.markdown) });
      const evidence = JSON.parse((await bucket.getText(keys.json))!) as EvidenceReport;
      expect(evidence.steps.map((x) => x.outcome)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
      expect(evidence.people.find((p) => p.who === 'dave')!.did.map((d) => d.what)).toContain(
        'operations resumed: items are back',
      );
      expect([evidence.objectives.restore.met, evidence.objectives.dataLoss.met]).toEqual([true, true]);
      // Who opened it (carol, as she said) and from where (her CLI, as Temporal recorded it).
      expect(evidence).toMatchObject({ openedBy: 'carol', startedBy: expect.stringMatching(/^pgwarden \S+@\S+ pid \d+$/) });
      // The restore it ran keeps who asked for it: carol's CLI, through the incident.
      const restoreReport = (await bucket.list(reportsFolder(config.storage!.prefix, db)))
        .map((o) => o.key)
        .find((k) => k.endsWith(`_${final.restore!.workflowId}.json`));
      const restoreEvidence = JSON.parse((await bucket.getText(restoreReport!))!) as RestoreEvidence;
      expect(restoreEvidence.startedBy).toMatch(new RegExp(`^pgwarden \\S+@\\S+ pid \\d+, through ${id}$`));
      // Who was told: on-call at the opening; resolved within the hour, nobody above.
      expect(evidence.escalation!.map((e) => [e.level, e.why])).toEqual([
        [1, 'at the opening'],
        [2, null],
        [3, null],
        [4, null],
      ]);
      const toldAfter = Date.parse(evidence.escalation![0].at!) - Date.parse(final.openedAt);
      expect(toldAfter).toBeGreaterThanOrEqual(0);
      expect(toldAfter).toBeLessThan(60_000);
      const markdown = (await bucket.getText(keys.markdown))!;
      expect(markdown).toContain(`# Incident ${id}: items wiped by a bad migration`);
      expect(markdown).toMatch(/^\| 4\. Execute restore \| .* \| done \| dave \|$/m);
      expect((await cli('status', id)).stdout).toContain(`evidence   ${bucket.where(keys.markdown)} (and .json)`);
      const described = await h.describe();
      expect(described.typedSearchAttributes.get(IncidentStatusSA)).toBe('resolved');
      expect(described.typedSearchAttributes.get(IncidentStepSA)).toBe('resume');
      const mails = await waitForCaptured(capturedMail, id, 3);
      expect(mails.filter((x) => x.envelopeTo.includes('oncall@example.com')).map((x) => x.subject)).toEqual([
        expect.stringMatching(/disaster recovery started/),
        expect.stringMatching(/acknowledged by dave/),
        expect.stringMatching(/incident resolved/),
      ]);
      // The pager (the stack's PagerDuty stand-in): one alert from the opening to the end.
      const pages = await waitForCaptured(capturedPages, `pgwarden:incident:${id}`, 3);
      expect(pages.map((p) => [p.status, p.body.event_action])).toEqual([
        [202, 'trigger'],
        [202, 'acknowledge'],
        [202, 'resolve'],
      ]);
      expect(pages[0].body.payload).toMatchObject({
        summary: `[SEV2] ${db}: disaster recovery started: items wiped by a bad migration`,
        severity: 'critical',
        custom_details: { Incident: id, Acknowledged: 'NOT yet' },
      });
      expect((await cli('list', '--json')).stdout).not.toContain(id);
      expect(await cli('ack', id, '--as', 'late')).toMatchObject({ code: 64 });
    } finally {
      // A failed run must not leave an open incident behind on the shared dev server.
      if (incident)
        await client.workflow
          .getHandle(incident)
          .terminate('test ended')
          .catch(() => undefined);
      current.worker.shutdown();
      await current.running;
    }
  });

  it('an incident started while no worker runs opens at its start time, so the escalation clock is not late', async () => {
    const taskQueue = uniqueTaskQueue('dr-late');
    const id = `dr-late-${uniqueSuffix()}`;
    const handle = await suite.server.client.workflow.start(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: id,
      args: [{ summary: 'started before any worker', database: 'sample' }],
    });
    const startedAt = (await handle.describe()).startTime;
    // Without a worker, status and ack fail at once instead of hanging, and start says nobody was alerted.
    const settings = { DATABASE_URL: databaseUrl('sample'), PGWARDEN_TASK_QUEUE: taskQueue };
    const t0 = Date.now();
    expect(await pgwarden(settings, 'dr', 'status', id)).toEqual({
      code: 69,
      stdout: '',
      stderr: `pgwarden: no worker is polling task queue "${taskQueue}", so the state of ${id} cannot be read; start one (pgwarden worker)\n`,
    });
    expect(await pgwarden(settings, 'dr', 'ack', id, '--as', 'dave')).toMatchObject({
      code: 69,
      stderr: `pgwarden: no worker is polling task queue "${taskQueue}", so ack cannot be recorded until one runs; start one (pgwarden worker)\n`,
    });
    expect(Date.now() - t0).toBeLessThan(15_000);
    const unattended = await pgwarden(settings, 'dr', 'start', '--summary', 'nobody home', '--as', 'dave');
    expect(unattended).toMatchObject({
      code: 69,
      stdout: '',
      stderr: expect.stringMatching(
        new RegExp(
          `^pgwarden: incident dr-sample-\\d{8}T\\d{6}Z is recorded and its escalation clock runs from now, but no worker is polling task queue "${taskQueue}", so nobody has been alerted yet; start one \\(pgwarden worker\\)\n$`,
        ),
      ),
    });
    const unattendedId = /incident (\S+) is recorded/.exec(unattended.stderr)![1];
    await suite.server.client.workflow.getHandle(unattendedId).terminate('test ended');
    const worker = await bundledWorker(
      suite.server,
      taskQueue,
      createActivities(createActivityDeps(stackConfig({ PGWARDEN_TASK_QUEUE: taskQueue }))),
    );
    const running = worker.run();
    try {
      let s: IncidentState | undefined;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        s = await handle.query(m.incidentStateQuery).catch(() => undefined);
        if (s?.step === 'assess') break;
      }
      expect(s?.openedAt).toBe(startedAt.toISOString());
      expect(s?.failureTime).toBe(startedAt.toISOString());
      // The opening comes first in the timeline, at the start time.
      expect(s?.timeline[0]).toMatchObject({ at: startedAt.toISOString() });
    } finally {
      await handle.terminate('test ended').catch(() => undefined);
      worker.shutdown();
      await running;
    }
  });

  it('fails to open an incident for a database the worker does not have, says so, alerts, and never shows it open', async () => {
    const { taskQueue } = await suite.workerFor('sample');
    const id = `dr-nope-${uniqueSuffix()}`;
    // Started as `dr start` starts it: marked open from the first moment.
    const handle = await suite.server.client.workflow.start(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: id,
      args: [{ summary: 'wrong database', database: 'nope' }],
      typedSearchAttributes: [{ key: IncidentStatusSA, value: 'open' }],
    });
    await expect(handle.result()).rejects.toThrow();
    expect(await pgwarden({}, 'dr', 'status', id)).toEqual({
      code: 64,
      stdout: '',
      stderr: `pgwarden: ${id} is not running: failed: database "nope" is not configured on this worker (configured: sample); check DATABASE_URL / BACKUP_DATABASES\n`,
    });
    expect((await handle.describe()).typedSearchAttributes.get(IncidentStatusSA)).toBe('failed');
    const [mail] = await waitForCaptured(capturedMail, id);
    expect(mail.subject).toMatch(/^.*\[SEV1\] nope: disaster recovery could not start: wrong database$/);
    expect(mail.envelopeTo).toContain('devops@example.com');
    expect(mail.text).toContain('database "nope" is not configured on this worker');

    // Input the workflow refuses before anything runs (no summary) alerts the same way.
    const bad = `dr-nosummary-${uniqueSuffix()}`;
    const refused = await suite.server.client.workflow.start(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: bad,
      args: [{ database: 'sample' } as never],
      typedSearchAttributes: [{ key: IncidentStatusSA, value: 'open' }],
    });
    await expect(refused.result()).rejects.toThrow();
    expect((await refused.describe()).typedSearchAttributes.get(IncidentStatusSA)).toBe('failed');
    const [second] = await waitForCaptured(capturedMail, bad);
    expect(second.text).toContain('"summary" is required');
  });

  it('runs a drill on a real restore into a database of its own, dropped after; refuses one while a real incident is open', async () => {
    const db = await suite.freshDatabase('drill', 'awkward.sql');
    const { taskQueue } = await suite.workerFor(db, {
      ESCALATION_L1_EMAIL: 'oncall@example.com',
      DR_SMOKE_QUERIES: 'SELECT 1 FROM inventory.items LIMIT 1',
    });
    const client = suite.server.client;
    const backup = await suite.backup(db, taskQueue);

    // A real incident of the database is open: a drill now is refused, alerted, never shown open.
    const real = await client.workflow.start(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: `dr-${db}-real-${uniqueSuffix()}`,
      args: [{ summary: 'orders wiped', database: db }],
    });
    try {
      await waitFor('the real incident at step 2', async () => (await real.query(m.incidentStateQuery)).step === 'assess');
      // The list the refusal reads is eventually consistent: the open incident shows within a second or two.
      await waitFor(
        'the real incident in the list',
        async () => (await client.workflow.count(`PgwardenIncidentStatus = 'open' AND PgwardenDatabase = '${db}'`)).count > 0,
      );
      const refusedId = `dr-drill-${db}-${uniqueSuffix()}`;
      const refused = await client.workflow.start(WorkflowType.disasterRecovery, {
        taskQueue,
        workflowId: refusedId,
        args: [{ summary: 'quarterly drill', database: db, drill: true }],
      });
      await expect(refused.result()).rejects.toThrow();
      expect((await refused.describe()).typedSearchAttributes.get(IncidentStatusSA)).toBe('failed');
      const [mail] = await waitForCaptured(capturedMail, refusedId);
      expect(mail.subject).toMatch(/\[DRILL\] .*: disaster recovery could not start: quarterly drill$/);
      expect(mail.text).toContain(`a real incident of ${db} is open (${real.workflowId}): no drill while it is`);
    } finally {
      await real.executeUpdate(m.abortUpdate, { args: [{ by: 'carol', reason: 'test over' }] });
      await real.result();
    }

    // Once it closed, the drill runs by itself: the newest backup into its own database, checked, dropped.
    const drill = await client.workflow.execute(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: `dr-drill-${db}-${uniqueSuffix()}`,
      args: [{ summary: 'quarterly drill', database: db, drill: true, openedBy: 'schedule' }],
    });
    expect(drill).toMatchObject({
      status: 'resolved',
      severity: 'DRILL',
      selection: { backupId: backup.backupId, newDatabase: drill.drill!.database },
      restore: { status: 'succeeded', restoredInto: drill.drill!.database },
      checks: [
        { name: 'row counts', ok: true, detail: expect.stringMatching(/tables match the manifest$/) },
        { name: 'smoke query 1', ok: true, detail: '1 row(s)' },
      ],
      recovery: { restoreWithinRto: true, fullServiceWithinRto: true, withinRpo: true },
      evidence: { markdown: expect.stringMatching(/reports\/.*_dr-drill-/) },
    });
    const left = await withClient('postgres', (c) =>
      c.query('SELECT 1 FROM pg_database WHERE datname = $1', [drill.drill!.database]),
    );
    expect(left.rowCount).toBe(0);
    // The real incident paged and its abort resolved the page; the drill woke nobody (PAGERDUTY_DRILLS unset).
    const paged = async (incident: string) =>
      (await capturedPages(`pgwarden:incident:${incident}`)).map((p) => p.body.event_action);
    expect(
      (await waitForCaptured(capturedPages, `pgwarden:incident:${real.workflowId}`, 2)).map((p) => p.body.event_action),
    ).toEqual(['trigger', 'resolve']);
    expect(await paged(drill.incidentId)).toEqual([]);
  });

  it('restores onto a server that lost the database and its roles: the roles are made from the backup’s globals', async () => {
    const db = await suite.freshDatabase('lost');
    const role = `lost_owner_${uniqueSuffix()}`;
    await withClient('postgres', (c) => c.query(`CREATE ROLE ${role} NOLOGIN`));
    await withClient(db, (c) =>
      c.query(`CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 30) g; ALTER TABLE orders OWNER TO ${role}`),
    );
    const { taskQueue } = await suite.workerFor(db, { ESCALATION_L1_EMAIL: 'oncall@example.com' });
    const backup = await suite.backup(db, taskQueue);
    // The server is replaced by an empty one: no database, no roles.
    await withClient('postgres', async (c) => {
      await c.query(`DROP DATABASE ${db} WITH (FORCE)`);
      await c.query(`DROP ROLE ${role}`);
    });
    const { h, state, at } = await selectedIncident(db, taskQueue, 'lost', 'server lost');
    try {
      await waitFor('the approval gate', async () =>
        h
          .executeUpdate(m.approveIncidentRestoreUpdate, { args: [{ by: 'dave' }] })
          .then(() => true)
          .catch(() => false),
      );
      await at('resume', 'waiting');
      expect(await state()).toMatchObject({
        selection: { backupId: backup.backupId },
        restore: {
          status: 'succeeded',
          restoredInto: db,
          detail: expect.stringMatching(
            new RegExp(
              `^restored ${backup.backupId} into ${db} in [\\d.]+ min; roles created from the backup's globals: ${role}$`,
            ),
          ),
        },
      });
      const owner = await withClient(db, (c) =>
        c.query<{ o: string; n: number }>(
          "SELECT pg_get_userbyid(relowner) AS o, (SELECT count(*)::int FROM orders) AS n FROM pg_class WHERE relname = 'orders'",
        ),
      );
      expect(owner.rows[0]).toEqual({ o: role, n: 30 });
      await h.executeUpdate(m.resumeUpdate, { args: [{ by: 'carol' }] });
      expect(await h.result()).toMatchObject({ status: 'resolved' });
    } finally {
      await h.terminate('test over').catch(() => undefined);
      await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch(() => undefined);
      await withClient('postgres', (c) => c.query(`DROP ROLE IF EXISTS ${role}`)).catch(() => undefined);
    }
  }, 200_000); // past the 120 s an `at` waits, so a slow step says where the incident stood

  it('chooses another recovery after the in-place restore was rejected, from the CLI, and restores that', async () => {
    const db = await suite.freshDatabase('reselect', 'awkward.sql');
    const { taskQueue } = await suite.workerFor(db, { ESCALATION_L1_EMAIL: 'oncall@example.com' });
    const client = suite.server.client;
    const backup = await suite.backup(db, taskQueue);
    const settings = { DATABASE_URL: databaseUrl(db), PGWARDEN_TASK_QUEUE: taskQueue };
    const { h, state, at } = await selectedIncident(db, taskQueue, 'reselect', 'items wiped');
    try {
      // The restore's approver says no: the in-place restore fails, nothing changed.
      await waitFor('the approval gate', async () =>
        client.workflow
          .getHandle(`${h.workflowId}-restore`)
          .executeUpdate(rejectRestoreUpdate, { args: [{ by: 'dave', note: 'not over the live data' }] })
          .then(() => true)
          .catch(() => false),
      );
      await at('restore', 'failed');
      expect((await state()).waitingFor).toMatch(/or another recovery: pgwarden dr select /);
      const reselected = await pgwarden(
        settings,
        'dr',
        'select',
        h.workflowId,
        '--backup',
        backup.backupId,
        '--new-db',
        `${db}_again`,
        '--as',
        'dave',
      );
      expect(reselected).toMatchObject({ code: 0, stderr: '' });
      await at('resume', 'waiting');
      await h.executeUpdate(m.resumeUpdate, { args: [{ by: 'dave' }] });
      const final: IncidentState = await h.result();
      expect(final).toMatchObject({
        status: 'resolved',
        selection: { by: 'dave', backupId: backup.backupId, newDatabase: `${db}_again` },
        restore: { status: 'succeeded', restoredInto: `${db}_again`, workflowId: `${h.workflowId}-restore-2` },
      });
      expect(final.timeline.filter((t) => t.by === 'dave').map((t) => t.step)).toEqual(['select', 'restore', 'resume']);
    } finally {
      await h.terminate('test over').catch(() => undefined);
      await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(`${db}_again`)} WITH (FORCE)`));
    }
  });

  it('opens an incident from Slack (/pgwarden open), lists it (/pgwarden status) and takes its Acknowledge click', async () => {
    const db = await suite.freshDatabase('slackcmd', 'awkward.sql');
    const { taskQueue, config } = await suite.workerFor(db, {
      ESCALATION_L1_EMAIL: 'oncall@example.com',
      CONSOLE_SESSION_SECRET: 'slack-command-test-secret-of-32-characters',
      CONSOLE_PUBLIC_URL: 'http://console.invalid',
      SLACK_SIGNING_SECRET: 'slack-signing-secret',
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_CHANNEL: 'C0INCIDENTS',
      SLACK_API_URL: `${stackEnv().PGWARDEN_SINKS_URL}/slack-api`,
    });
    const client = suite.server.client;
    // The console as `pgwarden console` runs it: the bot from the configuration, incidents on this test's queue.
    const server = createConsoleServer({
      settings: { ...config.console, host: '127.0.0.1', port: 0 },
      backend: temporalBackend(client, { ...config, temporal: { ...config.temporal, taskQueue } }),
      slackApp: config.notifications.slackApp,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const signed = (path: string, body: string) => postAsSlack(`${base}${path}`, body, 'slack-signing-secret');
    const command = (text: string, trigger = '') =>
      signed(
        '/slack/commands',
        new URLSearchParams({ command: '/pgwarden', text, user_id: 'U0BOB', user_name: 'bob', trigger_id: trigger }).toString(),
      );
    const summary = `items wiped (${uniqueSuffix()})`;
    let incidentId: string | undefined;
    try {
      // `/pgwarden open <what failed>`: the form, opened through the bot (the sinks stand in for views.open).
      const trigger = `open-${uniqueSuffix()}`;
      expect(await (await command(`open ${summary}`, trigger)).text()).toBe('');
      const [form] = await waitForCaptured(capturedWebhooks, trigger);
      expect(JSON.stringify(form.body)).toContain(`"initial_value":"${summary}"`);
      expect(JSON.stringify(form.body)).toContain(`"value":"${db}"`);
      // Submitted as Slack sends it: the incident opens as slack:bob, and its level 1 message starts a thread.
      const submitted = await signed(
        '/slack/actions',
        slackSubmitBody(SLACK_OPEN_VIEW, '', 'bob', {
          database: { database: { selected_option: { value: db } } },
          summary: { summary: { value: summary } },
          severity: { severity: { selected_option: { value: 'SEV2' } } },
          failureTime: { failureTime: { value: null } },
        }),
      );
      expect(submitted.status).toBe(200);
      const posted = async (c: string) => (await capturedWebhooks(c)).filter((p) => p.path === '/slack-api/chat.postMessage');
      const [level1] = await waitForCaptured(posted, summary);
      incidentId = /Incident:\* (dr-[\w-]+)/.exec((level1.body as { text: string }).text)![1];
      const h = client.workflow.getHandle(incidentId);
      expect((await h.query(m.incidentStateQuery)).openedBy).toBe('slack:bob');

      // `/pgwarden status`: the incident, not acknowledged, to bob alone.
      // Listed once Temporal's visibility indexed it (a moment after it opened).
      const statusOf = async () => (await (await command('status')).json()) as { response_type: string; text: string };
      const status = await waitFor('the incident in /pgwarden status', async () => {
        const answer = await statusOf();
        return answer.text.includes(incidentId!) && answer;
      });
      expect(status.response_type).toBe('ephemeral');
      // Its own line (other tests' incidents may be open too).
      const lineOf = (text: string) => text.split('\n').find((l) => l.includes(incidentId!)) ?? '';
      expect(lineOf(status.text)).toContain(
        `*[SEV2] ${db}*: ${summary} (<http://console.invalid/incidents/${incidentId}|${incidentId}>)`,
      );
      expect(lineOf(status.text)).toContain('*not acknowledged*');

      // bob acknowledges with the message's button: Slack's user id goes with it, for later mentions.
      expect((await signed('/slack/actions', slackClickBody(incidentId, 'bob'))).status).toBe(200);
      await waitFor(
        'acknowledged by slack:bob',
        async () => (await h.query(m.incidentStateQuery)).escalation.acknowledgedBy === 'slack:bob',
      );
      expect((await h.query(m.incidentStateQuery)).escalation.leadReach).toEqual({ slack: 'U0BOB' });
      await waitFor('slack:bob leading in /pgwarden status', async () =>
        lineOf((await statusOf()).text).includes('led by slack:bob'),
      );
    } finally {
      server.closeAllConnections();
      server.close();
      if (incidentId)
        await client.workflow
          .getHandle(incidentId)
          .executeUpdate(m.abortUpdate, { args: [{ by: 'test', reason: 'test over' }] })
          .catch(() => undefined);
    }
  });

  it('pages through PagerDuty and takes the acknowledgement made there, signed by PagerDuty', async () => {
    const db = await suite.freshDatabase('pagerduty', 'awkward.sql');
    const hookSecret = 'pagerduty-webhook-subscription-secret';
    const { taskQueue, config } = await suite.workerFor(db, {
      ESCALATION_L1_EMAIL: 'oncall@example.com',
      CONSOLE_SESSION_SECRET: 'pagerduty-test-secret-of-32-characters!',
      PAGERDUTY_WEBHOOK_SECRET: hookSecret,
    });
    const client = suite.server.client;
    const server = createConsoleServer({
      settings: config.console,
      backend: temporalBackend(client, { ...config, temporal: { ...config.temporal, taskQueue } }),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pagerduty/webhook`;
    // What PagerDuty's v3 webhook posts when someone acknowledges the incident its alert opened.
    const acknowledgedInPagerDuty = (key: string, name: string) =>
      JSON.stringify({
        event: {
          id: uniqueSuffix(),
          event_type: 'incident.acknowledged',
          resource_type: 'incident',
          occurred_at: new Date().toISOString(),
          agent: { id: 'PLH1HKV', summary: name, type: 'user_reference' },
          data: { id: 'PGR0VU2', type: 'incident', status: 'acknowledged', incident_key: key, title: 'x' },
        },
      });
    const deliver = (body: string, signature = pagerDutySignature(hookSecret, body)) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature }, body });
    const h = await client.workflow.start(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: `dr-${db}-paged-${uniqueSuffix()}`,
      args: [{ summary: 'items wiped', database: db, severity: 'SEV2', openedBy: 'carol' }],
    });
    try {
      const [trigger] = await waitForCaptured(capturedPages, `pgwarden:incident:${h.workflowId}`);
      expect(trigger.body).toMatchObject({
        event_action: 'trigger',
        routing_key: config.notifications.pagerDuty!.routingKey.reveal(),
      });
      // Not signed with the subscription's secret: refused, nothing recorded.
      const forged = await deliver(acknowledgedInPagerDuty(trigger.body.dedup_key, 'mallory'), pagerDutySignature('guess', 'x'));
      expect([forged.status, await forged.text()]).toEqual([401, 'not signed by PagerDuty']);
      // Erin answers the phone call: PagerDuty's webhook acknowledges the incident as her.
      const taken = await deliver(acknowledgedInPagerDuty(trigger.body.dedup_key, 'Erin Oncall'));
      expect([taken.status, await taken.text()]).toEqual([200, `acknowledged ${h.workflowId} as pagerduty:Erin Oncall`]);
      const s = await h.query(m.incidentStateQuery);
      expect(s.escalation.acknowledgedBy).toBe('pagerduty:Erin Oncall');
      // PagerDuty sends again (at least once): already acknowledged, answered 200 so it stops.
      const again = await deliver(acknowledgedInPagerDuty(trigger.body.dedup_key, 'Erin Oncall'));
      expect([again.status, await again.text()]).toEqual([
        200,
        expect.stringMatching(/^not acknowledged: .*already acknowledged/),
      ]);
      // Level 1 hears who took it; the pager's alert is acknowledged by pgwarden's own event too.
      const told = async (c: string) =>
        (await capturedMail(c)).filter((x) => x.subject.includes('acknowledged by pagerduty:Erin Oncall'));
      expect((await waitForCaptured(told, h.workflowId)).map((x) => x.envelopeTo)).toEqual([['oncall@example.com']]);
      expect(
        (await waitForCaptured(capturedPages, `pgwarden:incident:${h.workflowId}`, 2)).map((p) => p.body.event_action),
      ).toEqual(['trigger', 'acknowledge']);
      // Another tool's alert, or a backup's, leaves every incident alone.
      const other = await deliver(acknowledgedInPagerDuty(`pgwarden:backup:${db}`, 'Erin Oncall'));
      expect(await other.text()).toBe('ignored: not the page of a pgwarden incident');
    } finally {
      server.closeAllConnections();
      server.close();
      await h.executeUpdate(m.abortUpdate, { args: [{ by: 'test', reason: 'test over' }] }).catch(() => undefined);
    }
  });

  it('drives an incident from the console: acknowledged from the mail link, each step a form, refusals inline', async () => {
    const db = await suite.freshDatabase('console', 'awkward.sql');
    const secret = 'console-test-secret-of-at-least-32-characters';
    const { taskQueue, config } = await suite.workerFor(db, {
      ESCALATION_L1_EMAIL: 'oncall@example.com',
      CONSOLE_SESSION_SECRET: secret,
      CONSOLE_PUBLIC_URL: 'http://console.invalid',
    });
    const client = suite.server.client;
    await suite.backup(db, taskQueue);
    const server = createConsoleServer({
      settings: {
        ...config.console,
        operators: new Map([['alice', hashPassword('correct horse battery')]]),
        sessionSecret: new Secret(secret),
      },
      backend: temporalBackend(client, { ...config, temporal: { ...config.temporal, taskQueue } }),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = (path: string, fields: Record<string, string>, cookie?: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
        body: new URLSearchParams(fields).toString(),
      });
    const h = await client.workflow.start(WorkflowType.disasterRecovery, {
      taskQueue,
      workflowId: `dr-${db}-console-${uniqueSuffix()}`,
      args: [{ summary: 'items wiped', database: db, severity: 'SEV2', openedBy: 'carol' }],
    });
    try {
      // The level 1 mail's one-click link: a confirmation page, then the acknowledgement.
      const [mail] = await waitForCaptured(capturedMail, h.workflowId);
      const link = /Acknowledge in one click: +http:\/\/console\.invalid(\/ack\?t=\S+)/.exec(mail.text)![1];
      expect(await (await fetch(`${base}${link}`)).text()).toContain(`Acknowledge <strong>${h.workflowId}</strong>`);
      expect(await (await post(link, {})).text()).toContain(`Acknowledged ${h.workflowId} as mail link to oncall@example.com`);
      // The pager's alert never holds a reader's own link: anyone seeing it could act as them.
      const [trigger] = await waitForCaptured(capturedPages, `pgwarden:incident:${h.workflowId}`);
      expect(trigger.body.event_action).toBe('trigger');
      expect(JSON.stringify(trigger.body)).not.toContain('/ack?t=');

      const login = await post('/login', { user: 'alice', password: 'correct horse battery' });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const board = await (await fetch(`${base}/`, { headers: { cookie } })).text();
      expect(board).toContain(`data-incident="${h.workflowId}"`);
      expect(board).toContain('mail link to oncall@example.com');
      const page = async () => (await fetch(`${base}/incidents/${h.workflowId}`, { headers: { cookie } })).text();
      await waitFor('the assessment awaited', async () => (await page()).includes('data-action="assess"'));
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page())![1];
      const act = (action: string, fields: Record<string, string>) =>
        post(`/incidents/${h.workflowId}/${action}`, { ...fields, csrf }, cookie);

      const refused = await act('assess', { scope: 'items with qty < 25' });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('&quot;customerImpact&quot; is required');
      expect((await act('assess', { scope: 'items with qty < 25', customerImpact: 'no' })).status).toBe(303);
      await waitFor('the selection awaited', async () => (await page()).includes('data-action="select"'));
      expect((await act('select', { newDatabase: `${db}_console` })).status).toBe(303);
      await waitFor('the resume awaited', async () => (await page()).includes('data-action="resume"'), 120);
      expect((await act('resume', { note: 'items back' })).status).toBe(303);
      const final: IncidentState = await h.result();
      expect(final).toMatchObject({
        status: 'resolved',
        escalation: { acknowledgedBy: 'mail link to oncall@example.com' },
        assessment: { by: 'alice' },
        selection: { by: 'alice', newDatabase: `${db}_console` },
        restore: { status: 'succeeded' },
      });
      expect(final.timeline.filter((t) => t.by === 'alice').map((t) => t.step)).toEqual(['assess', 'select', 'resume']);
    } finally {
      server.close();
      await h.terminate('test over').catch(() => undefined);
      await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(`${db}_console`)} WITH (FORCE)`));
    }
  });
});
