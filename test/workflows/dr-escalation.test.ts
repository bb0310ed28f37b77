/**
 * The escalation matrix on the time-skipping server: hours of incident in seconds. The
 * notices are real (the stack's SMTP and webhook sinks capture them); the database, S3 and
 * restore work is faked, since the subject here is the timers and who hears what when.
 */
import { scratchDatabaseName } from '../../src/operations/restore/scratch-databases';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { shiftAt, shiftsFrom } from '../../src/operations/dr/on-call';
import { Context } from '@temporalio/activity';
import { WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import type { IncidentState } from '../../src/operations/dr/incident';
import * as m from '../../src/operations/dr/messages';
import { restoreStatusQuery } from '../../src/infra/temporal/messages';
import { EscalationLevelSA } from '../../src/infra/temporal/search-attributes';
import { capturedMail, capturedWebhooks, waitForCaptured } from '../support/sinks';
import { stackConfig, stackEnv } from '../support/stack-env';
import { readActionToken } from '../../src/infra/crypto/action-links';
import { uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import type { AddressInfo } from 'node:net';
import { createConsoleServer } from '../../src/app/console/server';
import { temporalBackend } from '../../src/app/console/backend';
import {
  SLACK_ACK_ACTION,
  SLACK_ESCALATE_ACTION,
  SLACK_UPDATE_ACTION,
  SLACK_UPDATE_VIEW,
} from '../../src/infra/notify/slack-interaction';
import { RunningWorker, timeSkippingEnvironment, workerOn } from '../support/time-skipping';
import { postAsSlack, slackClickBody, slackEscalateSubmitBody, slackSubmitBody } from '../support/slack-click';

const MINUTE = 60_000;
const CONTACTS = {
  ESCALATION_L1_EMAIL: 'devops@example.com',
  ESCALATION_L2_EMAIL: 'manager@example.com',
  ESCALATION_L3_EMAIL: 'exec@example.com',
  ESCALATION_L4_EMAIL: 'customers@example.com',
  ESCALATION_L1_REPEAT_MINUTES: '20',
  // Status update reminders only where a test asks for them (the "nudge" matrix): the others count mails.
  ESCALATION_UPDATE_REMINDER_MINUTES: '0',
  ESCALATION_MATRICES: 'nudge',
  ESCALATION_NUDGE_UPDATE_REMINDER_MINUTES: '30',
};

/** Databases the fake dropDrillDatabase was asked to drop. */
let dropped: string[] = [];
/** The worker's activities: the real notices, the rest faked. */
let activities: Record<string, unknown> = {};

describe('DisasterRecoveryWorkflow escalation (time-skipping server, real notices)', () => {
  let env: TestWorkflowEnvironment;
  let worker: RunningWorker;
  const taskQueue = uniqueTaskQueue('dr-esc');

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    const real = createActivities(createActivityDeps(stackConfig(CONTACTS)));
    // The server's clock runs ahead of ours once time was skipped: tests give the failure time
    // (now, by our clock), and backups are 5 h older than that.
    let verifyCalls = 0;
    dropped = [];
    const takenAt = () => new Date(Date.now() - 5 * 3_600_000).toISOString();
    activities = {
      openIncident: real.openIncident,
      // A "slow-mail" incident's notices take 3 s of real time, as a slow SMTP relay would.
      notifyIncident: async (i: Parameters<typeof real.notifyIncident>[0]) => {
        if (i.brief.incidentId.includes('slow-mail')) await new Promise((r) => setTimeout(r, 3000));
        return real.notifyIncident(i);
      },
      identifyFailure: async () => ({
        databaseReachable: false,
        databaseDetail: 'not reachable: connection refused',
        newestBackup: null,
        newestVerified: null,
      }),
      proposeBackup: async () => ({
        backupId: 'backup_20261124_020000',
        takenAt: takenAt(),
        verified: true,
        storageClass: 'STANDARD_IA',
        retrieval: null,
        why: 'the newest verified backup taken before the failure',
      }),
      proposePointInTime: async () => ({ unavailable: 'sample is not in WAL_ARCHIVE' }),
      // The real check reads Temporal's visibility, which this server does not have: dr-runbook.test.ts runs it.
      refuseDrillDuringIncident: async () => undefined,
      dropDrillDatabase: async (i: { name: string }) => void dropped.push(i.name),
      storeIncidentEvidence: async () => ({ json: 'reports/x.json', markdown: 'reports/x.md' }),
      storeRestoreEvidence: async () => ({ json: 'reports/r.json', markdown: 'reports/r.md' }),
      describeBackupChoice: async (i: { backupId: string }) => ({
        backupId: i.backupId,
        takenAt: takenAt(),
        storageClass: 'STANDARD_IA',
      }),
      // The first check of a "flaky-health" incident fails, as a health URL still down would.
      verifyRecovery: async () => {
        const run = Context.current().info.workflowExecution?.workflowId ?? '';
        // A "drill-flaky" drill's check always fails: nobody attends it to retry.
        const flaky = run.includes('drill-flaky') || (run.includes('flaky') && verifyCalls++ === 0);
        return [{ name: 'health URL', ok: !flaky, detail: flaky ? 'shop.example answered 503' : 'shop.example answered 200' }];
      },
      resolveRestoreSource: async () => ({
        kind: 'pgwarden',
        backupId: 'backup_20261124_020000',
        dataKey: 'k',
        format: 'custom',
        keyId: 'k',
        takenAt: takenAt(),
        storageClass: 'STANDARD_IA',
        storedBytes: 1,
      }),
      checkRestoreTarget: async () => undefined,
      notifyRestore: async () => [],
      recordRestore: async () => 'record',
      restoreDatabase: async (i: { targetName: string }) => ({
        restoredInto: i.targetName,
        keptAs: null,
        restoreMs: 1000,
        tables: 5,
        rowCountsChecked: true,
      }),
    };
    worker = await workerOn(env, taskQueue, activities);
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  async function open(extra: object = {}, idWord = 'esc'): Promise<WorkflowHandle> {
    return env.client.workflow.start('DisasterRecoveryWorkflow', {
      taskQueue,
      workflowId: `dr-${idWord}-${uniqueSuffix()}`,
      args: [{ summary: 'orders database lost', database: 'sample', failureTime: new Date().toISOString(), ...extra }],
    });
  }
  const state = (h: WorkflowHandle) => h.query(m.incidentStateQuery);
  const mailTo = async (id: string, address: string) =>
    (await capturedMail(id)).filter((mail) => mail.envelopeTo.includes(address));
  /** A worker of its own whose openIncident and notices are the real ones under `config`. */
  async function realNoticesWorker(name: string, config: ReturnType<typeof stackConfig>) {
    const queue = uniqueTaskQueue(name);
    const real = createActivities(createActivityDeps(config));
    const bot = await workerOn(env, queue, {
      ...activities,
      openIncident: real.openIncident,
      notifyIncident: real.notifyIncident,
      refreshIncidentMessage: real.refreshIncidentMessage,
    });
    const start = (prefix: string) =>
      env.client.workflow.start('DisasterRecoveryWorkflow', {
        taskQueue: queue,
        workflowId: `${prefix}-${uniqueSuffix()}`,
        args: [{ summary: 'orders database lost', database: 'sample', failureTime: new Date().toISOString() }],
      });
    return { queue, real, bot, start };
  }
  /** Minutes after opening, to the second: a timer fires at its time plus the workflow task's few ms. */
  const minutesAfterOpen = (s: IncidentState, what: RegExp) =>
    s.timeline.filter((t) => what.test(t.what)).map((t) => Math.floor((Date.parse(t.at) - Date.parse(s.openedAt)) / 1000) / 60);

  /** Drives the runbook to its last step quickly: ack, assess, select into a new database, restore, verify. */
  async function driveToResume(h: WorkflowHandle, customerImpact: boolean): Promise<void> {
    await h.signal(m.acknowledgeSignal, { by: 'alice' });
    await waitUntil(h, (s) => s.step === 'assess' && s.stepStatus === 'waiting');
    await h.signal(m.assessSignal, { by: 'alice', dataLossScope: 'orders since 02:00', customerImpact });
    await waitUntil(h, (s) => s.step === 'select' && s.stepStatus === 'waiting');
    await h.signal(m.selectBackupSignal, { by: 'alice', newDatabase: 'sample_recovered' });
    await waitUntil(h, (s) => s.step === 'resume' && s.stepStatus === 'waiting');
  }

  async function waitUntil(h: WorkflowHandle, ok: (s: IncidentState) => boolean): Promise<IncidentState> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = await state(h);
      if (ok(s)) return s;
      if (Date.now() > deadline)
        throw new Error(`timed out; incident at ${s.step} (${s.stepStatus}): ${JSON.stringify(s.timeline.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("threads an incident's Slack messages through a bot, and gives each level 1 reader a link of their own", async () => {
    const config = stackConfig({
      ...CONTACTS,
      ESCALATION_L1_EMAIL: 'devops@example.com,sre@example.com',
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_CHANNEL: 'C0INCIDENTS',
      SLACK_API_URL: `${stackEnv().PGWARDEN_SINKS_URL}/slack-api`,
      CONSOLE_SESSION_SECRET: 'escalation-test-secret-of-32-characters',
      CONSOLE_PUBLIC_URL: 'http://console.invalid',
      SLACK_SIGNING_SECRET: 'slack-signing-secret',
    });
    const { queue, real, bot, start } = await realNoticesWorker('dr-esc-bot', config);
    try {
      const h = await start('dr-bot');
      const id = h.workflowId;
      await waitUntil(h, (s) => s.escalation.level1Sends === 1);
      await env.sleep('50 minutes'); // two reminders, which may go to Slack now: as replies
      await waitUntil(h, (s) => s.escalation.level1Sends === 3);
      // bob clicks Acknowledge in Slack: the console (as `pgwarden console` runs it) takes the
      // signed click, acknowledges the incident, and replaces the notice through response_url.
      const [notice] = (await waitForCaptured(capturedWebhooks, id, 1)).map((p) => p.body as { text: string; blocks: unknown[] });
      const slackConsole = createConsoleServer({
        settings: { ...config.console, host: '127.0.0.1', port: 0 },
        backend: temporalBackend(env.client, { ...config, temporal: { ...config.temporal, taskQueue: queue } }),
        slackApp: config.notifications.slackApp,
      });
      await new Promise<void>((r) => slackConsole.listen(0, '127.0.0.1', r));
      const fromSlack = (body: string) =>
        postAsSlack(
          `http://127.0.0.1:${(slackConsole.address() as AddressInfo).port}/slack/actions`,
          body,
          'slack-signing-secret',
        );
      try {
        const responsePath = `/slack/actions/T0/1/${id}`;
        const body = slackClickBody(id, 'bob', {
          response_url: `${stackEnv().PGWARDEN_SINKS_URL}${responsePath}`,
          message: { text: notice.text, blocks: notice.blocks },
        });
        const click = await fromSlack(body);
        expect(click.status).toBe(200);
        await waitUntil(h, (s) => s.escalation.acknowledgedBy === 'slack:bob');
        // Everyone sees it in the message itself: the incident edits it (below), so the console
        // does not replace it through the click's response_url too (the two edits would race).

        // bob needs the manager before the hour: Escalate opens the form through the bot (the
        // sinks stand in for views.open), and its submission alerts level 2 now, as slack:bob.
        const escalate = slackClickBody(id, 'bob', {
          actions: [{ action_id: SLACK_ESCALATE_ACTION, value: id }],
          trigger_id: `trigger-${id}`,
          response_url: `${stackEnv().PGWARDEN_SINKS_URL}${responsePath}`,
        });
        expect((await fromSlack(escalate)).status).toBe(200);
        const [opened] = (await waitForCaptured(capturedWebhooks, `trigger-${id}`, 1)).map(
          (p) => p.body as { trigger_id: string; view: { private_metadata: string; blocks: unknown[] } },
        );
        expect(opened.view.private_metadata).toBe(id);
        expect(JSON.stringify(opened.view.blocks)).toContain(
          '"text":"level 2: manager"},"description":{"type":"plain_text","text":"manager@example.com"}',
        );
        const submitted = await fromSlack(
          slackEscalateSubmitBody(
            opened.view.private_metadata,
            'bob',
            '2',
            'customers cannot pay; a decision on data loss is needed',
          ),
        );
        expect(submitted.status).toBe(200);
        expect(await submitted.text()).toBe(''); // the form closes
        const s = await waitUntil(h, (x) => x.escalation.level === 2);
        expect(s.timeline.map((t) => t.what).join('\n')).toContain('slack:bob');

        // bob posts where it stands from Slack's Post update… form: everyone alerted hears it.
        const update = slackClickBody(id, 'bob', {
          actions: [{ action_id: SLACK_UPDATE_ACTION, value: id }],
          trigger_id: `update-${id}`,
          response_url: `${stackEnv().PGWARDEN_SINKS_URL}${responsePath}`,
        });
        expect((await fromSlack(update)).status).toBe(200);
        await waitForCaptured(capturedWebhooks, `update-${id}`, 1);
        const posted = await fromSlack(
          slackSubmitBody(SLACK_UPDATE_VIEW, id, 'bob', {
            text: { text: { value: 'restore at 60%, about 20 min left' } },
            tell: { tell: { selected_options: [{ value: 'yes' }] } },
          }),
        );
        expect(await posted.text()).toBe('');
        await waitUntil(h, (x) => x.timeline.some((t) => t.by === 'slack:bob' && /^update to .*restore at 60%/.test(t.what)));
      } finally {
        slackConsole.closeAllConnections();
        slackConsole.close();
      }
      const toManager = async (c: string) => (await capturedMail(c)).filter((x) => x.envelopeTo.includes('manager@example.com'));
      const [manager, managerUpdate] = await waitForCaptured(toManager, id, 2);
      expect(managerUpdate.subject).toMatch(/UPDATE: .*update from slack:bob: restore at 60%, about 20 min left/);
      expect(manager.subject).toMatch(/ESCALATION: .*manager notice: escalated by slack:bob after \d+ min: customers cannot pay/);
      await env.sleep('11 minutes'); // level 2's own timer: nobody is told twice
      await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
      await h.result();

      // The bot's posts (the answer to the click went to its response_url).
      const posts = (await waitForCaptured(capturedWebhooks, id, 10)).filter((p) => p.path === '/slack-api/chat.postMessage');
      const bodies = posts.map(
        (p) => p.body as { channel: string; ts: string; thread_ts?: string; text: string; blocks?: unknown },
      );
      expect(posts.map((p) => p.path)).toEqual(Array(7).fill('/slack-api/chat.postMessage')); // the bot, not the webhook
      expect(bodies.every((b) => b.channel === 'C0INCIDENTS')).toBe(true);
      const [first, ...replies] = bodies;
      expect(first.thread_ts).toBeUndefined();
      expect(JSON.stringify(first.blocks)).toContain('"action_id":"pgwarden_ack"');
      expect(JSON.stringify(first.blocks)).toContain('"action_id":"pgwarden_escalate"');
      expect(JSON.stringify(first.blocks)).toContain('"action_id":"pgwarden_update"');
      expect(first.text).not.toContain('console.invalid/ack'); // a link in the channel would let anyone ack as a reader
      expect(replies.map((r) => r.thread_ts)).toEqual(Array(6).fill(first.ts));
      // The thread says who took it (the click's own answer replaced the level 1 message).
      expect(
        replies.map((r) => /acknowledged by slack:bob|reminder|manager notice|update from slack:bob|aborted/i.exec(r.text)?.[0]),
      ).toEqual(['reminder', 'reminder', 'acknowledged by slack:bob', 'manager notice', 'update from slack:bob', 'aborted']);

      expect(await capturedWebhooks(`/slack/actions/T0/1/${id}`)).toEqual([]); // nothing through the response_url
      // The first message was kept current in place: who leads, the manager alerted, then how it ended.
      const edits = (await capturedWebhooks(id))
        .filter((p) => p.path === '/slack-api/chat.update')
        .map((p) => p.body as { channel: string; ts: string; text: string; blocks: unknown[] });
      expect(edits.every((e) => e.channel === 'C0INCIDENTS' && e.ts === first.ts)).toBe(true);
      const acked = edits.find((e) => /Acknowledged:\* by slack:bob/.test(e.text))!;
      expect(acked.text).toMatch(/under way for \d+ min/);
      expect(JSON.stringify(acked.blocks)).not.toContain(SLACK_ACK_ACTION); // taken: the button is gone for everyone
      expect(JSON.stringify(acked.blocks)).toContain(SLACK_ESCALATE_ACTION); // escalating stays open to the lead
      expect(edits.some((e) => /Escalation:\* levels 1 \(DevOps team\), 2 \(manager\) alerted/.test(e.text))).toBe(true);
      const last = edits.at(-1)!;
      expect(last.text).toMatch(
        /^:white_check_mark: \*\[SEV1\] sample: incident aborted after 1 h \d\d min: orders database lost\*/,
      );
      expect(last.blocks).toEqual([]); // closed: the buttons are gone

      // A reminder to post an update replies in the thread with Post update… (sent here as the
      // workflow does after 30 min without news; this matrix has reminders off).
      const reminderOf = `${id}-due`;
      await new MockActivityEnvironment().run(real.notifyIncident, {
        kind: 'update-due' as const,
        brief: {
          incidentId: reminderOf,
          database: 'sample',
          severity: 'SEV1',
          summary: 'orders database lost',
          step: 'restore',
          openedAt: new Date().toISOString(),
          failureTime: new Date().toISOString(),
          acknowledgedBy: 'slack:bob',
          updateDue: { minutes: 30, audience: ['devops@example.com', 'manager@example.com'] },
        },
        at: new Date().toISOString(),
        thread: first.ts,
      });
      const [due] = (await waitForCaptured(capturedWebhooks, reminderOf, 1)).map((p) => p.body as { blocks?: unknown[] });
      expect(JSON.stringify(due.blocks)).toContain('"action_id":"pgwarden_update"');
      expect(JSON.stringify(due.blocks)).not.toMatch(/pgwarden_ack|pgwarden_escalate/);

      // Each level 1 reader's mail carries a link signed for them alone.
      const level1 = (await capturedMail(id)).filter((x) => /disaster recovery started/.test(x.subject));
      expect(level1.map((x) => x.envelopeTo).sort()).toEqual([['devops@example.com'], ['sre@example.com']]);
      const links = level1.map((x) => /Acknowledge in one click: +(\S+)/.exec(x.text)![1]);
      expect(new Set(links).size).toBe(2);
      const readers = links.map((l) => {
        const t = new URL(l).searchParams.get('t')!;
        return readActionToken(t, 'escalation-test-secret-of-32-characters', Date.now());
      });
      expect(readers.map((r) => ('by' in r ? r.by : r.problem)).sort()).toEqual([
        'mail link to devops@example.com',
        'mail link to sre@example.com',
      ]);
    } finally {
      await bot.stop();
    }
  });

  it('keeps level 1 reminders on a 20-minute grid from the opening however long a notice takes to send', async () => {
    const h = await open({}, 'slow-mail');
    await waitUntil(h, (s) => s.escalation.level1Sends === 1);
    await env.sleep('70 minutes');
    const s = await waitUntil(h, (x) => x.escalation.level1Sends === 4);
    // Seconds after opening: each reminder within a second of its slot, not 3 s later per notice sent before it.
    const seconds = s.timeline
      .filter((t) => /^level 1 reminder/.test(t.what))
      .map((t) => Math.floor((Date.parse(t.at) - Date.parse(s.openedAt)) / 1000));
    expect(seconds).toEqual([1200, 2400, 3600]);
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
    await h.result();
  });

  it('alerts level 1 at once and every 20 min until acknowledged, level 2 at exactly 1 h and level 3 at exactly 4 h', async () => {
    const h = await open();
    const id = h.workflowId;
    await waitUntil(h, (s) => s.escalation.level1Sends === 1);
    await env.sleep('50 minutes'); // reminders at 20 and 40 min
    let s = await waitUntil(h, (x) => x.escalation.level1Sends === 3);
    await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'alice' }] });
    await env.sleep('9 minutes'); // 59 min: still level 1
    s = await state(h);
    expect(s.escalation).toMatchObject({ level: 1, sent: [1], level1Sends: 3, acknowledgedBy: 'alice', next: { level: 2 } });
    expect(Date.parse(s.escalation.next!.at) - Date.parse(s.openedAt)).toBe(60 * MINUTE);
    expect(await mailTo(id, 'manager@example.com')).toEqual([]);

    await env.sleep('2 minutes');
    s = await waitUntil(h, (x) => x.escalation.level === 2);
    expect(minutesAfterOpen(s, /^level 2 /)).toEqual([60]);
    await env.sleep('3 hours');
    s = await waitUntil(h, (x) => x.escalation.level === 3);
    expect(minutesAfterOpen(s, /^level 3 /)).toEqual([240]);
    expect(minutesAfterOpen(s, /^level 1 reminder/)).toEqual([20, 40]);
    expect(s.escalation.next).toBeNull();
    await env.sleep('5 hours'); // nothing more is due: no repeats after the acknowledgement, no level 4 without impact
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
    const final: IncidentState = await h.result();
    expect(final.status).toBe('aborted');

    await waitForCaptured(capturedMail, id, 6);
    // Level 1, two reminders, who acknowledged (in the 50th minute), the closing notice.
    expect(
      (await mailTo(id, 'devops@example.com')).map(
        (x) => /reminder|acknowledged by alice after 50 min|aborted|started/.exec(x.subject)?.[0],
      ),
    ).toEqual(['started', 'reminder', 'reminder', 'acknowledged by alice after 50 min', 'aborted']);
    expect(await mailTo(id, 'manager@example.com')).toHaveLength(2); // level 2 and the closing notice
    expect((await mailTo(id, 'manager@example.com'))[0].subject).toMatch(
      /^\[pgwarden\] ESCALATION: \[SEV1\] sample: manager notice: incident open 1 h 00 min, not resolved/,
    );
    expect(await mailTo(id, 'exec@example.com')).toHaveLength(2);
    expect((await mailTo(id, 'exec@example.com'))[0].subject).toMatch(/executive notice: incident open 4 h 00 min, not resolved/);
    expect(await mailTo(id, 'customers@example.com')).toEqual([]);
    // Slack: level 1, the acknowledgement, levels 2 and 3 and the closing notice; the reminders went by e-mail only.
    expect((await capturedWebhooks(id)).map((w) => JSON.stringify(w.body)).filter((b) => /\(reminder \d+\)/.test(b))).toEqual([]);
    expect(await capturedWebhooks(id)).toHaveLength(5);
  });

  it('keeps a note in the timeline only; a status update reaches everyone alerted so far, and a level reached later', async () => {
    const h = await open({}, 'note');
    const id = h.workflowId;
    await waitUntil(h, (s) => s.escalation.level1Sends === 1);
    let s: IncidentState = await h.executeUpdate(m.noteUpdate, { args: [{ by: 'bob', text: 'replica checked: also corrupt' }] });
    expect(s.timeline.at(-1)).toMatchObject({ step: 'incident', by: 'bob', what: 'note: replica checked: also corrupt' });
    s = await h.executeUpdate(m.noteUpdate, { args: [{ by: 'alice', text: 'restore at 60%, ~20 min left', tell: true }] });
    expect(s.timeline.at(-1)?.what).toBe('update to devops@example.com: restore at 60%, ~20 min left');
    const refused = await h
      .executeUpdate(m.noteUpdate, { args: [{ by: 'alice', text: ' ' }] })
      .catch((e: Error) => (e.cause as Error).message);
    expect(refused).toMatch(/^"text" is required/);

    await env.sleep('61 minutes'); // level 2: the manager is alerted, so the next update reaches them too
    await waitUntil(h, (x) => x.escalation.level === 2);
    await h.executeUpdate(m.noteUpdate, { args: [{ by: 'alice', text: 'restored, checking orders', tell: true }] });
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
    await h.result();

    const updates = async (address: string) =>
      (await mailTo(id, address)).filter((x) => / UPDATE: /.test(x.subject)).map((x) => x.subject);
    await waitForCaptured(capturedMail, id, 4); // level 1, two updates to devops, one to the manager (and more)
    expect(await updates('devops@example.com')).toEqual([
      '[pgwarden] UPDATE: [SEV1] sample: update from alice: restore at 60%, ~20 min left',
      '[pgwarden] UPDATE: [SEV1] sample: update from alice: restored, checking orders',
    ]);
    expect(await updates('manager@example.com')).toEqual([
      '[pgwarden] UPDATE: [SEV1] sample: update from alice: restored, checking orders',
    ]);
    expect(await mailTo(id, 'exec@example.com')).toEqual([]);
    // The note went nowhere but the timeline; the update went to Slack as well (the sinks keep
    // earlier runs' messages: only this incident's count).
    const mentioning = async (read: typeof capturedMail | typeof capturedWebhooks, text: string) =>
      (await read(id)).filter((x) => JSON.stringify(x).includes(text));
    expect(await mentioning(capturedMail, 'replica checked: also corrupt')).toEqual([]);
    expect(await mentioning(capturedWebhooks, 'replica checked: also corrupt')).toEqual([]);
    expect(await mentioning(capturedWebhooks, 'restore at 60%, ~20 min left')).toHaveLength(1);
  });

  it('asks someone the matrix does not name to help: mailed and posted with why, then told the updates and the close', async () => {
    const secret = 'escalation-test-secret-of-32-characters';
    const config = stackConfig({
      ...CONTACTS,
      CONSOLE_SESSION_SECRET: secret,
      CONSOLE_PUBLIC_URL: 'http://console.invalid',
      SLACK_SIGNING_SECRET: 'slack-signing-secret',
    });
    const { bot, start } = await realNoticesWorker('dr-esc-responder', config);
    try {
      const h = await start('dr-responder');
      const id = h.workflowId;
      await waitUntil(h, (s) => s.escalation.level1Sends === 1);
      const s: IncidentState = await h.executeUpdate(m.addResponderUpdate, {
        args: [{ by: 'alice', who: 'dba@example.com', reason: 'the replica will not catch up' }],
      });
      expect(s.escalation.responders).toEqual([
        { who: 'dba@example.com', by: 'alice', at: expect.any(String), reason: 'the replica will not catch up' },
      ]);
      expect(s.timeline.at(-1)).toMatchObject({
        by: 'alice',
        what: 'asked dba@example.com to help: the replica will not catch up',
      });
      const again = await h
        .executeUpdate(m.addResponderUpdate, { args: [{ by: 'alice', who: 'dba@example.com', reason: 'still' }] })
        .catch((e: Error) => (e.cause as Error).message);
      expect(again).toMatch(/^dba@example\.com already hears of this incident/);
      // Asked once someone leads it: they join them, with no link to take it.
      await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'alice' }] });
      await h.executeUpdate(m.addResponderUpdate, { args: [{ by: 'alice', who: 'net@example.com', reason: 'the VPN is down' }] });
      await h.executeUpdate(m.noteUpdate, { args: [{ by: 'alice', text: 'replica rebuilt', tell: true }] });
      await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
      await h.result();

      const [asked, update, closed] = await waitForCaptured(async (c) => mailTo(c, 'dba@example.com'), id, 3);
      expect(asked.subject).toBe(
        '[pgwarden] INCIDENT: [SEV1] sample: alice asks dba@example.com to help: the replica will not catch up: orders database lost',
      );
      expect(asked.envelopeTo).toEqual(['dba@example.com']);
      expect(asked.text).toMatch(/^Why: +the replica will not catch up$/m);
      // Nobody had acknowledged: their mail lets them take it, as themselves.
      const link = /Acknowledge in one click: +(\S+)/.exec(asked.text)![1];
      const reader = readActionToken(new URL(link).searchParams.get('t')!, secret, Date.now());
      expect('by' in reader && [reader.by, reader.email]).toEqual(['mail link to dba@example.com', 'dba@example.com']);
      expect(update.subject).toBe('[pgwarden] UPDATE: [SEV1] sample: update from alice: replica rebuilt');
      expect(closed.subject).toMatch(/^\[pgwarden\] ABORTED: /);
      // Posted to the channel once, never paged.
      const posted = (await capturedWebhooks(id)).filter((w) => JSON.stringify(w.body).includes('asks dba@example.com to help'));
      expect(posted).toHaveLength(1);
      expect(posted[0].path).not.toMatch(/pagerduty/i);
      expect(JSON.stringify(posted[0].body)).not.toContain('/ack?t=');
      // The channel gets the Acknowledge button instead while nobody leads; not once someone does.
      expect(JSON.stringify(posted[0].body)).toContain('"action_id":"pgwarden_ack"');
      const joinedPost = (await capturedWebhooks(id)).filter((w) => JSON.stringify(w.body).includes('asks net@example.com'));
      expect(joinedPost).toHaveLength(1);
      expect(JSON.stringify(joinedPost[0].body)).not.toContain('pgwarden_ack');
      const [joined] = await waitForCaptured(async (c) => mailTo(c, 'net@example.com'), id, 1);
      expect(joined.text).toContain('What to do: net@example.com: join alice, who leads the recovery;');
      expect(joined.text).not.toContain('Acknowledge in one click');
    } finally {
      await bot.stop();
    }
  });

  it('escalates by hand before the timer: the manager at 10 min, the executive with the reason, no timer sends them again', async () => {
    const h = await open({}, 'escalate');
    const id = h.workflowId;
    await waitUntil(h, (s) => s.escalation.level1Sends === 1);
    await env.sleep('10 minutes');
    let s: IncidentState = await h.executeUpdate(m.escalateUpdate, {
      args: [{ by: 'alice', level: 2, reason: 'restore failed twice, a decision on data loss is needed' }],
    });
    expect(s.escalation).toMatchObject({ level: 2, sent: [1, 2] });
    expect(minutesAfterOpen(s, /^level 2 \(manager\) notified: escalated by alice: manager@example.com$/)).toEqual([10]);
    // The level 2 timer has nothing left to send: the next one is the executive's, at 4 h.
    s = await waitUntil(h, (x) => x.escalation.next?.level === 3);
    expect(Date.parse(s.escalation.next!.at) - Date.parse(s.openedAt)).toBe(240 * MINUTE);
    const again = await h
      .executeUpdate(m.escalateUpdate, { args: [{ by: 'bob', level: 2, reason: 'x' }] })
      .catch((e: Error) => (e.cause as Error).message);
    expect(again).toMatch(/^level 2 \(manager\) was already alerted; to tell them more, post an update/);
    await env.sleep('61 minutes'); // past the level 2 minute: nothing more to the manager
    await h.executeUpdate(m.escalateUpdate, { args: [{ by: 'bob', level: 3, reason: 'customers cannot pay' }] });
    s = await waitUntil(h, (x) => x.escalation.level === 3 && x.escalation.next === null);
    await env.sleep('4 hours'); // past the level 3 minute: nothing more to the executive
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
    const final: IncidentState = await h.result();
    expect(final.timeline.filter((t) => t.step === 'escalation' && t.by !== 'pgwarden').map((t) => [t.by, t.what])).toEqual([
      ['alice', 'escalated to level 2 (manager) now: restore failed twice, a decision on data loss is needed'],
      ['bob', 'escalated to level 3 (executive) now: customers cannot pay'],
    ]);
    expect(minutesAfterOpen(final, /^level [23] /)).toEqual([10, 71]);

    await waitForCaptured(capturedMail, id, 5); // level 1, the manager's, the executive's, two closing notices (and more)
    const subjects = async (address: string) => (await mailTo(id, address)).map((x) => x.subject);
    expect(await subjects('manager@example.com')).toEqual([
      '[pgwarden] ESCALATION: [SEV1] sample: manager notice: escalated by alice after 10 min: restore failed twice, a decision on data loss is needed: orders database lost',
      expect.stringMatching(/ABORTED/),
    ]);
    expect(await subjects('exec@example.com')).toEqual([
      '[pgwarden] ESCALATION: [SEV1] sample: executive notice: escalated by bob after 1 h 11 min: customers cannot pay: orders database lost',
      expect.stringMatching(/ABORTED/),
    ]);
    expect((await mailTo(id, 'exec@example.com'))[0].text).toContain(
      "bob asks for you now, before the escalation's timer: customers cannot pay.",
    );
  });

  it('reminds level 1 to post a status update 30 min after the manager heard news, each update starting the wait again; a lead known by address alone', async () => {
    const h = await open({ matrix: 'nudge' }, 'nudge');
    const id = h.workflowId;
    await waitUntil(h, (s) => s.escalation.level1Sends === 1);
    await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'bob' }] });
    await env.sleep('61 minutes'); // the manager is told at 60
    await waitUntil(h, (x) => x.escalation.level === 2);
    await env.sleep('25 minutes'); // 86: no reminder yet
    let s: IncidentState = await h.executeUpdate(m.noteUpdate, { args: [{ by: 'bob', text: 'restore at 60%', tell: true }] });
    expect(minutesAfterOpen(s, /^update reminder/)).toEqual([]);
    const told = Date.parse(s.timeline.at(-1)!.at);
    await env.sleep('31 minutes'); // 30 min after the update
    s = await waitUntil(h, (x) => x.timeline.some((t) => /^update reminder/.test(t.what)));
    // carol takes the lead from her mail's link: the next reminder is hers alone, at that address.
    await h.executeUpdate(m.acknowledgeUpdate, {
      args: [{ by: 'mail link to carol@example.com', takeOver: true, reach: { email: 'carol@example.com' } }],
    });
    await env.sleep('30 minutes'); // and again 30 min after that reminder
    s = await waitUntil(h, (x) => x.timeline.filter((t) => /^update reminder/.test(t.what)).length === 2);
    // Seconds after the update: the timers fire on the minute, their tasks a few ms later.
    const reminders = s.timeline
      .filter((t) => /^update reminder/.test(t.what))
      .map((t) => Math.round((Date.parse(t.at) - told) / 1000));
    expect(reminders).toEqual([30 * 60, 60 * 60]);
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'bob', reason: 'drill over' }] });
    await h.result();

    await waitForCaptured(capturedMail, id, 6);
    const due = async (address: string) => (await mailTo(id, address)).filter((x) => / UPDATE DUE: /.test(x.subject));
    const [first] = await due('devops@example.com');
    const subject =
      '[pgwarden] UPDATE DUE: [SEV1] sample: no status update for 30 min since the manager was told: orders database lost';
    expect((await due('devops@example.com')).map((x) => x.subject)).toEqual([subject]);
    const [carols] = await due('carol@example.com');
    expect([carols.subject, carols.envelopeTo]).toEqual([subject, ['carol@example.com']]);
    expect(carols.text).toContain('mail link to carol@example.com (or anyone working on it): post where it stands');
    expect(first.text).toMatch(/^An update reaches: +devops@example\.com, manager@example\.com$/m);
    expect(first.text).toContain(
      `bob (or anyone working on it): post where it stands and what comes next: pgwarden dr note ${id}`,
    );
    expect(await due('manager@example.com')).toEqual([]); // the reminder is for those who can answer it
  });

  it('alerts whoever is on call when the incident opens, first, and keeps them in its frozen matrix', async () => {
    const rotation = { ESCALATION_ONCALL: 'alice@example.com,bob@example.com', ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z' };
    const onCall = shiftAt(
      { people: ['alice@example.com', 'bob@example.com'], from: rotation.ESCALATION_ONCALL_FROM, shiftHours: 168 },
      new Date(),
    ).who;
    const { bot, start } = await realNoticesWorker('dr-esc-oncall', stackConfig({ ...CONTACTS, ...rotation }));
    try {
      const h = await start('dr-oncall');
      const s = await waitUntil(h, (x) => x.escalation.level1Sends === 1);
      expect(s.matrix!.onCallNow).toBe(onCall);
      expect(s.matrix!.level1.contacts).toEqual([onCall, 'devops@example.com']);
      const [first] = await waitForCaptured(
        async (c) => (await mailTo(c, onCall)).filter((x) => /disaster recovery started/.test(x.subject)),
        h.workflowId,
      );
      expect(first.envelopeTo).toEqual([onCall, 'devops@example.com']);
      await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
      await h.result();
    } finally {
      await bot.stop();
    }
  });

  it('alerts whoever is on call next when nobody acknowledges in 15 min, with a link of their own; from then they hear what level 1 hears', async () => {
    const rotation = {
      ESCALATION_ONCALL: 'alice@example.com,bob@example.com',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
      ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
    };
    const [onCall, next] = shiftsFrom(
      { people: ['alice@example.com', 'bob@example.com'], from: rotation.ESCALATION_ONCALL_FROM, shiftHours: 168 },
      new Date(),
      2,
    ).map((s) => s.who);
    const secret = 'escalation-test-secret-of-32-characters';
    const config = stackConfig({
      ...CONTACTS,
      ...rotation,
      CONSOLE_SESSION_SECRET: secret,
      CONSOLE_PUBLIC_URL: 'http://console.invalid',
    });
    const { bot, start } = await realNoticesWorker('dr-esc-backup', config);
    try {
      // Nobody acknowledges: at 15 min the backup, at 20 the first reminder reaches them too.
      const h = await start('dr-backup');
      const id = h.workflowId;
      let s = await waitUntil(h, (x) => x.escalation.level1Sends === 1);
      expect(s.matrix!.onCallBackup).toEqual({ who: next, afterMinutes: 15 });
      // Acknowledged in time: the backup is never alerted.
      const quiet = await start('dr-backup-acked');
      await waitUntil(quiet, (x) => x.escalation.level1Sends === 1);
      await quiet.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'alice' }] });
      await env.sleep('21 minutes');
      s = await waitUntil(h, (x) => x.escalation.level1Sends === 2);
      expect(minutesAfterOpen(s, /^backup on call alerted/)).toEqual([15]);
      expect(s.timeline.find((t) => /^backup on call alerted/.test(t.what))!.what).toBe(
        `backup on call alerted: ${next} (level 1 not acknowledged after 15 min)`,
      );
      const [alerted] = await waitForCaptured(
        async (c) => (await mailTo(c, next)).filter((x) => /backup on call/.test(x.subject)),
        id,
      );
      expect(alerted.subject).toBe(
        `[pgwarden] INCIDENT: [SEV1] sample: NOT acknowledged after 15 min: backup on call ${next} alerted: orders database lost`,
      );
      expect(alerted.envelopeTo).toEqual([next]);
      expect(alerted.text).toMatch(new RegExp(`^On call: +${onCall.replace(/[.]/g, '\\.')}, alerted at the opening$`, 'm'));
      const link = /Acknowledge in one click: +(\S+)/.exec(alerted.text)![1];
      const reader = readActionToken(new URL(link).searchParams.get('t')!, secret, Date.now());
      expect('by' in reader && reader.by).toBe(`mail link to ${next}`);
      // The reminder at 20 min reaches the backup as well.
      const reminded = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => /\(reminder 1\)/.test(x.subject)),
        id,
        3,
      );
      expect(reminded.flatMap((x) => x.envelopeTo).sort()).toEqual([onCall, next, 'devops@example.com'].sort());
      // The backup takes it; the acknowledgement and the close reach them as level 1.
      await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'bob' }] });
      await h.executeUpdate(m.abortUpdate, { args: [{ by: 'bob', reason: 'drill over' }] });
      await h.result();
      await waitForCaptured(async (c) => (await mailTo(c, next)).filter((x) => /ABORTED/.test(x.subject)), id);
      expect((await mailTo(id, next)).some((x) => /ACKNOWLEDGED/.test(x.subject))).toBe(true);

      const q = await state(quiet);
      expect(q.timeline.some((t) => /backup on call/.test(t.what))).toBe(false);
      expect((await mailTo(quiet.workflowId, next)).filter((x) => /backup on call/.test(x.subject))).toEqual([]);
      await quiet.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
      await quiet.result();
    } finally {
      await bot.stop();
    }
  });

  it('hands the lead over at a shift change and tells everyone alerted, keeping the first acknowledgement', async () => {
    const h = await open({}, 'handover');
    const id = h.workflowId;
    await waitUntil(h, (s) => s.escalation.level1Sends === 1);
    await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'bob' }] });
    await env.sleep('61 minutes');
    await waitUntil(h, (x) => x.escalation.level === 2);
    const refused = await h
      .executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'carol' }] })
      .catch((e: Error) => (e.cause as Error).message);
    expect(refused).toMatch(/^already acknowledged by bob .*dr ack --take-over/);
    const s: IncidentState = await h.executeUpdate(m.acknowledgeUpdate, { args: [{ by: 'carol', takeOver: true }] });
    expect(s.escalation).toMatchObject({ acknowledgedBy: 'bob', lead: { by: 'carol', from: 'bob' } });
    expect(s.timeline.at(-1)).toMatchObject({ by: 'carol', what: 'took the lead over from bob' });
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'carol', reason: 'drill over' }] });
    await h.result();

    await waitForCaptured(capturedMail, id, 5);
    const handover = '[pgwarden] HANDOVER: [SEV1] sample: carol takes the lead over from bob: orders database lost';
    for (const address of ['devops@example.com', 'manager@example.com'])
      expect((await mailTo(id, address)).map((x) => x.subject)).toContain(handover);
    expect(await mailTo(id, 'exec@example.com')).toEqual([]);
    expect((await capturedWebhooks(id)).filter((w) => JSON.stringify(w.body).includes('takes the lead over'))).toHaveLength(1);
  });

  it('sends no level 2 or 3 when resolved at 59 minutes, and closes with the recovery figures', async () => {
    const h = await open();
    const id = h.workflowId;
    await driveToResume(h, false);
    await env.sleep('59 minutes');
    const before = await state(h);
    expect(before.escalation.level).toBe(1);
    await h.executeUpdate(m.resumeUpdate, { args: [{ by: 'bob', note: 'shop is taking orders' }] });
    const final: IncidentState = await h.result();
    expect(final.status).toBe('resolved');
    expect(final.escalation).toMatchObject({ level: 1, sent: [1], level1Sends: 1, next: null });
    expect(final.recovery).toMatchObject({ fullServiceWithinRto: true, restoreWithinRto: true, withinRpo: true });
    expect(final.recovery!.dataLossHours).toBeCloseTo(5, 0);
    expect(final.recovery!.fullServiceMs).toBeGreaterThanOrEqual(59 * MINUTE);
    expect(final.restore).toMatchObject({ status: 'succeeded', restoredInto: 'sample_recovered' });
    expect(final.timeline.map((t) => t.step)).toEqual(
      expect.arrayContaining(['identify', 'assess', 'select', 'restore', 'verify', 'resume']),
    );
    await env.sleep('5 hours'); // nothing is left to fire
    await waitForCaptured(capturedMail, id, 3);
    await new Promise((r) => setTimeout(r, 500));
    const mails = await capturedMail(id);
    expect(mails.map((x) => x.subject)).toEqual([
      expect.stringMatching(/disaster recovery started/),
      expect.stringMatching(/^\[pgwarden\] ACKNOWLEDGED: \[SEV1\] sample: acknowledged by alice after 0 min/),
      expect.stringMatching(/incident resolved/),
    ]);
    expect(mails[1].text).toMatch(
      /What to do: nothing is asked of you: alice leads the recovery, and the level 1 reminders stop/,
    );
    expect(mails[2].text).toMatch(/full service in 0\.98 h \(RTO 4-6 h: met\)/);
  });

  it('notifies customers once, only after an assessment with customer impact, and again at resolution', async () => {
    const quiet = await open();
    await driveToResume(quiet, false);
    await quiet.executeUpdate(m.resumeUpdate, { args: [{ by: 'bob' }] });
    await quiet.result();
    expect(await mailTo(quiet.workflowId, 'customers@example.com')).toEqual([]);

    const h = await open({ severity: 'SEV2' });
    await driveToResume(h, true);
    let s = await state(h);
    // Customers notified, the manager not yet: the level (PgwardenEscalationLevel) stays 1.
    expect(s.escalation).toMatchObject({ level: 1, sent: [1, 4] });
    expect((await h.describe()).typedSearchAttributes.get(EscalationLevelSA)).toBe(1);
    // Timers say what they wait for in the UI, not "1 (1m, 59s)".
    const summaries = (await h.fetchHistory())
      .events!.filter((e) => e.timerStartedEventAttributes)
      .map((e) =>
        e.userMetadata?.summary?.data ? JSON.parse(Buffer.from(e.userMetadata.summary.data).toString('utf8')) : undefined,
      );
    expect(summaries).toContain('level 2 (manager) after 60 min open, unless resolved');
    expect(summaries).not.toContain(undefined);
    // So do the notices: which one, to whom.
    const noticeSummaries = (await h.fetchHistory())
      .events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyIncident')
      .map((e) => JSON.parse(Buffer.from(e.userMetadata!.summary!.data!).toString('utf8')));
    expect(noticeSummaries).toEqual(expect.arrayContaining(['level4 notice to customers@example.com']));
    await env.sleep('30 minutes');
    await h.executeUpdate(m.resumeUpdate, { args: [{ by: 'bob' }] });
    s = await h.result();
    const customers = await waitForCaptured((c) => mailTo(c, 'customers@example.com'), h.workflowId, 2);
    expect(customers.map((x) => x.subject)).toEqual([
      expect.stringMatching(/^\[pgwarden\] CUSTOMERS: \[SEV2\] sample: customers are affected/),
      expect.stringMatching(/service restored: tell customers/),
    ]);
    expect(minutesAfterOpen(s, /^level 4 /)).toHaveLength(1);
  });

  it('waits after a failed step for a retry, and lets a waiting step be skipped with a reason', async () => {
    const h = await open({}, 'flaky');
    await waitUntil(h, (s) => s.step === 'assess' && s.stepStatus === 'waiting');
    await h.executeUpdate(m.skipStepUpdate, { args: [{ by: 'alice', reason: 'assessed on the bridge call' }] });
    await waitUntil(h, (s) => s.step === 'select' && s.stepStatus === 'waiting');
    await h.executeUpdate(m.selectBackupUpdate, { args: [{ by: 'alice', newDatabase: 'sample_recovered' }] });
    let s = await waitUntil(h, (x) => x.step === 'verify' && x.stepStatus === 'failed');
    expect(s.waitingFor).toMatch(/^a decision on the failed step: pgwarden dr retry\|skip/);
    expect(s.checks).toEqual([{ name: 'health URL', ok: false, detail: 'shop.example answered 503' }]);
    await expect(h.executeUpdate(m.resumeUpdate, { args: [{ by: 'alice' }] })).rejects.toThrow();
    await h.executeUpdate(m.retryStepUpdate, { args: [{ by: 'alice', reason: 'load balancer fixed' }] });
    s = await waitUntil(h, (x) => x.step === 'resume' && x.stepStatus === 'waiting');
    await h.signal(m.resumeSignal, { by: 'alice' });
    const final: IncidentState = await h.result();
    expect(final.skipped).toEqual(['assess']);
    expect(final.assessment).toBeNull();
    expect(final.timeline.filter((t) => t.by === 'alice').map((t) => [t.step, t.what])).toEqual([
      ['assess', 'skipped: assessed on the bridge call'],
      ['select', expect.stringMatching(/^chose backup_20261124_020000 .*into new database sample_recovered$/)],
      ['verify', 'retry: load balancer fixed'],
      ['resume', 'operations resumed'],
    ]);
    expect(final.timeline.filter((t) => t.step === 'verify' && t.by === 'pgwarden').map((t) => t.what)).toEqual([
      '5. Verify recovery: started',
      'health URL: FAILED (shop.example answered 503)',
      'failed: 1 recovery check(s) failed: health URL',
      '5. Verify recovery: started',
      'health URL: ok (shop.example answered 200)',
    ]);
  });

  it('aborts with a reason while an in-place restore waits for approval, cancelling that restore', async () => {
    const h = await open();
    await h.signal(m.acknowledgeSignal, { by: 'alice' });
    await waitUntil(h, (s) => s.step === 'assess' && s.stepStatus === 'waiting');
    await h.signal(m.assessSignal, { by: 'alice', dataLossScope: 'all of it', customerImpact: false });
    await waitUntil(h, (s) => s.step === 'select' && s.stepStatus === 'waiting');
    await h.executeUpdate(m.selectBackupUpdate, { args: [{ by: 'alice' }] });
    const s = await waitUntil(h, (x) => x.restore?.status === 'running');
    const child = env.client.workflow.getHandle(s.restore!.workflowId);
    // The incident names its restore as it starts it: a query may come before the run exists (seen once in CI).
    const awaiting = () =>
      child.query(restoreStatusQuery).then(
        (r) => r.awaitingApproval,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );
    for (let tries = 0; !(await awaiting()); tries++) {
      if (tries > 100) throw new Error('the restore never asked for approval');
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(h.executeUpdate(m.skipStepUpdate, { args: [{ by: 'alice', reason: 'x' }] })).rejects.toThrow();
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'failing over to the replica instead' }] });
    const final: IncidentState = await h.result();
    expect(final).toMatchObject({ status: 'aborted', step: 'restore', recovery: null });
    expect(final.timeline.slice(-2).map((t) => t.what)).toEqual([
      'aborted: failing over to the replica instead',
      'closed without recovery',
    ]);
    expect((await child.describe()).status.name).toBe('CANCELLED');
    const mails = await waitForCaptured(capturedMail, h.workflowId, 3);
    expect(mails.map((x) => x.subject)).toEqual([
      expect.stringMatching(/disaster recovery started/),
      expect.stringMatching(/acknowledged by alice/),
      expect.stringMatching(/^\[pgwarden\] ABORTED: \[SEV1\] sample: disaster recovery aborted/),
    ]);
  });

  it('runs a drill by itself: level 1 only and marked DRILL, the backup into a database of its own, dropped at the close', async () => {
    const h = await open({ drill: true, summary: 'quarterly drill' }, 'drill');
    const id = h.workflowId;
    const final: IncidentState = await h.result();
    expect(final).toMatchObject({
      status: 'resolved',
      severity: 'DRILL',
      drill: { attended: false, database: expect.stringMatching(/^pgwarden_drill_[0-9a-f]{16}$/) },
      assessment: { by: 'pgwarden (drill)', dataLossScope: 'none: a drill', customerImpact: false },
      selection: { by: 'pgwarden (drill)', backupId: 'backup_20261124_020000' },
      restore: { status: 'succeeded' },
      escalation: { sent: [1] },
    });
    expect(final.selection!.newDatabase).toBe(final.drill!.database);
    // Named for this run, not its id alone: another deployment's drill under the same id gets another database.
    expect(final.drill!.database).toBe(scratchDatabaseName('drill', id, (await h.describe()).runId));
    expect(final.recovery).toMatchObject({ restoreWithinRto: true, fullServiceWithinRto: true, withinRpo: true });
    expect(final.timeline.filter((t) => t.step === 'resume').map((t) => [t.by, t.what])).toContainEqual([
      'pgwarden (drill)',
      'operations resumed: a drill: operations never stopped',
    ]);
    expect(dropped).toContain(final.drill!.database);
    await waitForCaptured(capturedMail, id, 2);
    const mails = await capturedMail(id);
    expect(mails.map((x) => x.subject)).toEqual(
      expect.arrayContaining([
        '[pgwarden] DRILL: [DRILL] sample: disaster recovery drill started (nothing failed): quarterly drill',
        expect.stringMatching(/^\[pgwarden\] RESOLVED: \[DRILL\] sample/),
      ]),
    );
    expect(mails[0].text).toContain('DRILL:');
    expect(mails.flatMap((x) => x.envelopeTo).filter((to) => to !== 'devops@example.com')).toEqual([]);
  });

  it('an attended drill waits for people, never escalates past level 1 in hours, and refuses an in-place restore', async () => {
    const h = await open({ drill: true, attended: true, summary: 'attended drill' }, 'drill-attended');
    const id = h.workflowId;
    await waitUntil(h, (s) => s.step === 'assess' && s.stepStatus === 'waiting');
    await env.sleep('5 hours');
    const s = await waitUntil(h, (x) => x.escalation.level1Sends > 1);
    expect(s.escalation).toMatchObject({ level: 1, sent: [1], next: null });
    await h.executeUpdate(m.assessUpdate, { args: [{ by: 'alice', dataLossScope: 'none', customerImpact: true }] });
    await waitUntil(h, (x) => x.step === 'select' && x.stepStatus === 'waiting');
    const refused = await h.executeUpdate(m.selectBackupUpdate, { args: [{ by: 'alice' }] }).catch((e: Error) => e);
    expect((refused as { cause?: Error }).cause?.message).toMatch(/^a drill never restores in place: give "newDatabase"/);
    await h.executeUpdate(m.abortUpdate, { args: [{ by: 'alice', reason: 'drill over' }] });
    const final: IncidentState = await h.result();
    expect(final).toMatchObject({ status: 'aborted', severity: 'DRILL', escalation: { sent: [1] } });
    // Customer impact in a drill tells no customer, and neither manager nor executive heard of it.
    await waitForCaptured(capturedMail, id, 2);
    expect(await mailTo(id, 'customers@example.com')).toEqual([]);
    expect(await mailTo(id, 'manager@example.com')).toEqual([]);
    expect(await mailTo(id, 'exec@example.com')).toEqual([]);
  });

  it('ends an unattended drill whose step failed, aborted with the reason, instead of waiting for nobody', async () => {
    const h = await open({ drill: true, summary: 'drill with a health URL down' }, 'drill-flaky');
    const final: IncidentState = await h.result();
    expect(final).toMatchObject({ status: 'aborted', step: 'verify', stepStatus: 'failed' });
    expect(final.timeline.map((t) => t.what)).toContainEqual(
      expect.stringMatching(/^aborted: the drill stopped at verify: 1 recovery check\(s\) failed: health URL$/),
    );
    expect(dropped).toContain(final.drill!.database);
  });
});
