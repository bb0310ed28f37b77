/**
 * The on-call roster (dev server, the built CLI, a real worker). Stand-ins set at run time: set
 * with `pgwarden dr oncall --stand-in`, they take level 1 of the next incident, show on the
 * console's board, are refused with one line when they cannot be, and come back out with
 * --remove-stand-in. Handovers: from `pgwarden schedules apply` on, whoever comes on call and
 * whoever goes off are told when the shift changes hands.
 */
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createActivityDeps } from '../../activities/deps';
import { ActionRefused, temporalBackend } from '../../src/app/console/backend';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import * as m from '../../src/operations/dr/messages';
import { backupWhoAt, shiftAt } from '../../src/operations/dr/on-call';
import { checkHandoversSignal, onCallRosterId, standInsQuery } from '../../src/operations/dr/roster-messages';
import { pgwarden } from '../support/cli';
import { databaseUrl } from '../support/databases';
import { capturedMail, capturedWebhooks, waitForCaptured } from '../support/sinks';
import { minuteUtc } from '../../src/operations/dr/details';
import { stackConfig, stackEnv } from '../support/stack-env';
import { slackUserFor } from '../../devstack/sinks/server';
import { bundledWorker, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait';
import { workflowSuite } from '../support/workflow-suite';

describe('on-call stand-ins set at run time (dev server, CLI)', () => {
  const suite = workflowSuite('oncall');
  /** Ends what a test started: its roster (it never ends by itself) and its worker. */
  const stopRoster = async (taskQueue: string, worker: Worker, running: Promise<void>) => {
    await suite.server.client.workflow
      .getHandle(onCallRosterId(taskQueue))
      .terminate('test over')
      .catch(() => undefined);
    worker.shutdown();
    await running;
  };

  it('puts a stand-in on call for the next incident and the board, refuses what cannot be, and takes it back', async () => {
    const db = await suite.freshDatabase('oncall');
    const taskQueue = uniqueTaskQueue('oncall');
    const rotation = { ESCALATION_ONCALL: 'alice@example.com,bob@example.com', ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z' };
    const settings = {
      DATABASE_URL: databaseUrl(db),
      PGWARDEN_TASK_QUEUE: taskQueue,
      ESCALATION_L1_EMAIL: 'devops@example.com',
      ...rotation,
    };
    const config = stackConfig(settings);
    const onCall = shiftAt(
      { people: ['alice@example.com', 'bob@example.com'], from: rotation.ESCALATION_ONCALL_FROM, shiftHours: 168 },
      new Date(),
    ).who;
    const oncall = (...args: string[]) => pgwarden(settings, 'dr', 'oncall', ...args);
    // Her own address, so that this run's mail to her is told apart from earlier runs'.
    const carol = `carol-${uniqueSuffix()}@example.com`;
    const carolRe = carol.replace(/[.]/g, '\\.');

    // No worker yet: setting one fails at once, and reading shows the rotation as configured, said so.
    const early = await oncall('--stand-in', carol, '--until', '8h');
    expect(early.code).toBe(69);
    expect(early.stderr).toMatch(
      new RegExp(
        `^pgwarden: no worker is polling task queue "${taskQueue}", so the stand-in cannot be recorded until one runs; start one \\(pgwarden worker\\)\n$`,
      ),
    );

    const worker: Worker = await bundledWorker(suite.server, taskQueue, createActivities(createActivityDeps(config)));
    const running = worker.run();
    try {
      const set = await oncall('--stand-in', carol, '--until', '8h');
      expect(set).toMatchObject({ code: 0, stderr: '' });
      const lines = set.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^stand-in s1 set: ${carolRe} on call from \\S+ \\S+ until \\S+ \\S+$`));
      expect(lines[1]).toMatch(
        new RegExp(
          `^on call now \\(matrix "default"\\): ${carolRe} until .*; an incident opened now alerts level 1: ${carolRe}, devops@example\\.com$`,
        ),
      );
      expect(lines).toContain('stand-ins set at run time:');
      expect(lines.at(-1)).toMatch(new RegExp(`^ {2}s1 {2}${carolRe} {2}.* \\(set by pgwarden \\S+@\\S+ pid \\d+, .*\\)$`));

      // Carol and whoever the rotation has on call hear of it, by e-mail.
      const [told] = await waitForCaptured(capturedMail, carol);
      expect(told.subject).toBe(
        `[pgwarden] ON CALL: ${carol} is on call in place of ${onCall} from ${told.subject.match(/from (.*) until/)![1]} until ${told.subject.match(/until (.*)$/)![1]}`,
      );
      expect(told.envelopeTo).toEqual([carol, onCall]);
      expect(told.text).toMatch(/^Set by: +pgwarden \S+@\S+ pid \d+, /m);

      // Refused by the roster itself, one line each, exit 64; nothing recorded.
      for (const [args, why] of [
        [['--stand-in', 'carol', '--until', '8h'], 'stand-in refused: "carol" is not an e-mail address'],
        [
          ['--stand-in', carol, '--from', '2026-01-01T00:00:00Z', '--until', '2026-01-02T00:00:00Z'],
          'stand-in refused: it has ended already (2026-01-02T00:00:00.000Z)',
        ],
        [
          ['--remove-stand-in', 's9'],
          'stand-in refused: no stand-in s9 is set (pgwarden dr oncall lists them; an ended one is gone by itself)',
        ],
        // Refused before Temporal is asked.
        [['--stand-in', carol], '--until is required: when the stand-in ends, e.g. --until 8h or --until 2026-12-08T08:00:00Z'],
        [
          ['--stand-in', carol, '--until', 'tomorrow'],
          '--until tomorrow: an ISO time with its zone (2026-12-08T08:00:00Z), or from --from (30m, 8h, 2d)',
        ],
      ] as const) {
        const refused = await oncall(...args);
        expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 64, stderr: `pgwarden: ${why}\n` });
      }
      const roster = suite.server.client.workflow.getHandle(onCallRosterId(taskQueue));
      expect((await roster.query(standInsQuery)).map((s) => s.who)).toEqual([carol]);

      // The console's board says so.
      expect(await temporalBackend(suite.server.client, config).onCall(new Date())).toEqual([
        expect.objectContaining({ matrix: 'default', who: carol }),
      ]);

      // An incident opened now alerts Carol first, and its frozen matrix names her.
      const h = await suite.server.client.workflow.start(WorkflowType.disasterRecovery, {
        taskQueue,
        workflowId: `dr-oncall-${uniqueSuffix()}`,
        args: [{ summary: 'orders database lost', database: db, severity: 'SEV2', openedBy: 'dave' }],
      });
      await waitFor('level 1 alerted', async () => (await h.query(m.incidentStateQuery)).escalation.level1Sends === 1);
      const s = await h.query(m.incidentStateQuery);
      expect(s.matrix).toMatchObject({
        onCallNow: carol,
        level1: { contacts: [carol, 'devops@example.com'] },
      });
      const [alert] = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => /disaster recovery started/.test(x.subject)),
        h.workflowId,
      );
      expect(alert.envelopeTo).toEqual([carol, 'devops@example.com']);
      await h.executeUpdate(m.abortUpdate, { args: [{ by: 'dave', reason: 'a test' }] });
      await h.result();

      // Taken back: the rotation again, and the roster's history says who set and removed it.
      const removed = await oncall('--remove-stand-in', 's1', '--json');
      expect(removed.code).toBe(0);
      const after = JSON.parse(removed.stdout) as {
        shifts: Array<{ who: string }>;
        standIns: unknown[];
        changed: { line: string };
      };
      expect(after.changed.line).toMatch(new RegExp(`^stand-in s1 removed: ${carolRe} is no longer on call`));
      const [removedMail] = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => /is no longer standing in on call/.test(x.subject)),
        carol,
      );
      expect(removedMail.subject).toMatch(/: the rotation holds again$/);
      expect(removedMail.envelopeTo).toEqual([carol, onCall]);
      expect([after.shifts[0].who, after.standIns]).toEqual([onCall, []]);
      const history = await roster.fetchHistory();
      const updates = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      expect(updates.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.meta!.identity)).toEqual([
        expect.stringMatching(/^pgwarden \S+@\S+ pid \d+$/),
        expect.stringMatching(/^pgwarden \S+@\S+ pid \d+$/),
      ]);

      // The console's way in (Slack's /pgwarden oncall cover): the same roster, refusals as ActionRefused.
      const viaConsole = temporalBackend(suite.server.client, config);
      const hour = { matrix: 'default', who: carol, from: new Date().toISOString(), setBy: 'slack:carol (U0CAROL)' };
      const s2 = await viaConsole.standIn({ ...hour, until: new Date(Date.now() + 3_600_000).toISOString() });
      expect(s2).toMatchObject({ id: 's2', who: carol, setBy: 'slack:carol (U0CAROL)' });
      expect((await viaConsole.onCall(new Date()))[0].who).toBe(carol);
      const refused = await viaConsole
        .standIn({ ...hour, from: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z' })
        .catch((e: Error) => e);
      expect(refused).toEqual(new ActionRefused('it has ended already (2026-01-02T00:00:00Z)'));
      expect(refused).toBeInstanceOf(ActionRefused);
      expect(await viaConsole.removeStandIn('s2')).toMatchObject({ id: 's2', who: carol });
      expect(await viaConsole.removeStandIn('s2').catch((e: Error) => e)).toEqual(
        new ActionRefused('no stand-in s2 is set (pgwarden dr oncall lists them; an ended one is gone by itself)'),
      );
    } finally {
      await stopRoster(taskQueue, worker, running);
    }

    // Its worker gone, the roster cannot answer: the rotation as configured, said so on stderr.
    const unread = await oncall();
    expect(unread.code).toBe(0);
    expect(unread.stdout).toMatch(new RegExp(`^on call now \\(matrix "default"\\): ${onCall.replace('.', '\\.')} until `));
    expect(unread.stderr).toMatch(
      /^pgwarden: the rotation as configured: the stand-ins set at run time could not be read \(.*\): is a worker running \(pgwarden worker\)\?\n$/,
    );
  });

  it('stands someone in as the backup on call: the next incident freezes them as its backup, and both are told', async () => {
    const db = await suite.freshDatabase('oncallbk');
    const taskQueue = uniqueTaskQueue('oncallbk');
    const settings = {
      DATABASE_URL: databaseUrl(db),
      PGWARDEN_TASK_QUEUE: taskQueue,
      ESCALATION_L1_EMAIL: 'devops@example.com',
      ESCALATION_ONCALL: 'alice@example.com,bob@example.com',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
      ESCALATION_ONCALL_BACKUP: 'dan@example.com,eve@example.com',
      ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '30',
    };
    const config = stackConfig(settings);
    const rotation = config.incident.matrices.default.onCall!;
    const onCall = shiftAt(rotation, new Date()).who;
    const backupTurn = backupWhoAt(rotation, new Date())!;
    const oncall = (...args: string[]) => pgwarden(settings, 'dr', 'oncall', ...args);
    const frank = `frank-${uniqueSuffix()}@example.com`;
    const frankRe = frank.replace(/[.]/g, '\\.');
    const worker: Worker = await bundledWorker(suite.server, taskQueue, createActivities(createActivityDeps(config)));
    const running = worker.run();
    try {
      // A note left for whoever comes on call next: a backup's stand-in does not say who is on call, so does not carry it.
      expect((await oncall('--handover-note', 'the disk on db2 is at 80%', '--as', 'bob')).code).toBe(0);
      const set = await oncall('--stand-in', frank, '--until', '8h', '--backup');
      expect(set).toMatchObject({ code: 0, stderr: '' });
      const lines = set.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^stand-in s1 set: ${frankRe} the backup on call from \\S+ \\S+ until \\S+ \\S+$`));
      // Who is on call is the rotation's; the backup is Frank, and after him (within this shift) the turn's again.
      const json = JSON.parse((await oncall('--json')).stdout) as { backup: unknown; standIns: Array<{ until: string }> };
      expect(json).toMatchObject({ backup: { who: frank, afterMinutes: 30 } });
      const within = shiftAt(rotation, new Date()).until.getTime() > Date.parse(json.standIns[0].until);
      const then = within ? `; the backup on call: ${frankRe} until [^,]+, then ${backupTurn.replace('.', '\\.')}` : '';
      expect(lines[1]).toMatch(
        new RegExp(
          `^on call now \\(matrix "default"\\): ${onCall.replace('.', '\\.')} until .*, and the backup ${frankRe} if nobody acknowledges within 30 min${then}$`,
        ),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^ {2}s1 {2}${frankRe} \\(as the backup\\) {2}.* \\(set by pgwarden `)),
      );

      // Frank and whoever's backup turn it is hear of it.
      const [told] = await waitForCaptured(capturedMail, frank);
      expect(told.subject).toMatch(
        new RegExp(
          `^\\[pgwarden\\] ON CALL: ${frankRe} is the backup on call in place of ${backupTurn.replace('.', '\\.')} from `,
        ),
      );
      expect(told.envelopeTo).toEqual([frank, backupTurn]);
      expect(told.text).toMatch(new RegExp(`^Stand-in: +s1 \\(${frankRe}, as the backup\\)$`, 'm'));
      expect(told.text).not.toContain('Note from bob');
      expect(JSON.parse((await oncall('--json')).stdout)).toMatchObject({ handoverNote: { text: 'the disk on db2 is at 80%' } });

      // An incident opened now alerts the rotation's person first, and freezes Frank as its backup.
      const h = await suite.server.client.workflow.start(WorkflowType.disasterRecovery, {
        taskQueue,
        workflowId: `dr-oncallbk-${uniqueSuffix()}`,
        args: [{ summary: 'orders database lost', database: db, severity: 'SEV2', openedBy: 'dave' }],
      });
      await waitFor('level 1 alerted', async () => (await h.query(m.incidentStateQuery)).escalation.level1Sends === 1);
      expect((await h.query(m.incidentStateQuery)).matrix).toMatchObject({
        onCallNow: onCall,
        onCallBackup: { who: frank, afterMinutes: 30 },
      });
      await h.executeUpdate(m.abortUpdate, { args: [{ by: 'dave', reason: 'a test' }] });
      await h.result();

      // Taken back: the backup rotation's turn again.
      const removed = await oncall('--remove-stand-in', 's1', '--json');
      expect(removed.code).toBe(0);
      const after = JSON.parse(removed.stdout) as { backup: { who: string }; changed: { line: string } };
      expect(after.changed.line).toMatch(new RegExp(`^stand-in s1 removed: ${frankRe} is no longer the backup on call from `));
      expect(after.backup.who).toBe(backupTurn);
      const [removedMail] = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => /is no longer standing in as the backup on call/.test(x.subject)),
        frank,
      );
      expect(removedMail.envelopeTo).toEqual([frank, backupTurn]);
    } finally {
      await stopRoster(taskQueue, worker, running);
    }
  });

  it('tells each handover to whoever comes on call and goes off, from schedules apply on; a stand-in set now is told once', async () => {
    const db = await suite.freshDatabase('handover');
    const taskQueue = uniqueTaskQueue('handover');
    const tag = uniqueSuffix();
    const [alice, bob, dan, carol, erin, frank] = ['alice', 'bob', 'dan', 'carol', 'erin', 'frank'].map(
      (n) => `${n}-${tag}@example.com`,
    );
    const inSeconds = (s: number) => new Date(Math.ceil(Date.now() / 1000) * 1000 + s * 1000).toISOString();
    // Dan stands in for ten seconds (a configured override), once the steps before have run (a
    // dozen CLI calls, seconds each on a busy machine): two handovers to wait for. Erin stands in
    // an hour and 95 s from now: reminded an hour ahead, 95 s from now.
    const [danFrom, danUntil] = [inSeconds(75), inSeconds(85)];
    const [erinFrom, erinUntil] = [inSeconds(3695), inSeconds(7200)];
    const rotation = { people: [alice, bob], from: '2026-12-07T09:00:00Z', shiftHours: 168 };
    const settings = {
      DATABASE_URL: databaseUrl(db),
      PGWARDEN_TASK_QUEUE: taskQueue,
      ESCALATION_ONCALL: `${alice},${bob}`,
      ESCALATION_ONCALL_FROM: rotation.from,
      ESCALATION_ONCALL_OVERRIDES: `${danFrom}/${danUntil}=${dan},${erinFrom}/${erinUntil}=${erin}`,
      // Each person's own lead, through the worker's configuration: an hour for the rotation's and Erin, none for Dan.
      ESCALATION_ONCALL_REMIND_HOURS_FOR: `${alice}=1,${bob}=1,${erin}=1,${dan}=0`,
      // Frank is the backup on call, a rotation of one of his own: each handover tells him too.
      ESCALATION_ONCALL_BACKUP: frank,
      ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
      // The Slack app: whoever comes on call is mentioned in the channel.
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_CHANNEL: 'C0ONCALL',
      SLACK_API_URL: `${stackEnv().PGWARDEN_SINKS_URL}/slack-api`,
    };
    const { who: onCall, from: shiftFrom } = shiftAt(rotation, new Date());
    const roster = suite.server.client.workflow.getHandle(onCallRosterId(taskQueue));
    const worker: Worker = await bundledWorker(
      suite.server,
      taskQueue,
      createActivities(createActivityDeps(stackConfig(settings))),
    );
    const running = worker.run();
    let schedules: string[] = [];
    try {
      // Before it runs, dr oncall and check say no handover is told, and how to start it.
      const before = await pgwarden(settings, 'dr', 'oncall');
      expect({ code: before.code, stderr: before.stderr }).toEqual({
        code: 0,
        stderr:
          'pgwarden: handovers are not told: the on-call roster has not been started; start it with pgwarden schedules apply\n',
      });
      const untoldLine = `warning    on-call handovers and reminders are not told: the on-call roster (${onCallRosterId(taskQueue)}) is not started; start it with pgwarden schedules apply`;
      const checked = await pgwarden(settings, 'check');
      expect(checked.code).toBe(0);
      expect(checked.stdout.split('\n')).toContain(untoldLine);
      // schedules apply starts the roster beside the schedules, once.
      const applied = await pgwarden(settings, 'schedules', 'apply', '--json');
      expect(applied.code).toBe(0);
      const result = JSON.parse(applied.stdout) as { created: string[]; onCallRoster: string };
      schedules = result.created;
      expect(result.onCallRoster).toBe('started');
      const again = await pgwarden(settings, 'schedules', 'apply');
      expect(again.stdout).toContain(
        `running   ${onCallRosterId(taskQueue)} (on-call roster: tells each handover, holds the stand-ins)\n`,
      );
      expect(await pgwarden(settings, 'dr', 'oncall')).toMatchObject({ code: 0, stderr: '' });
      expect((await pgwarden(settings, 'check')).stdout).not.toContain('on-call handovers');
      // The second apply asked the running roster to read the rotation again now (after a redeploy).
      await waitFor('the roster read the rotation again when schedules apply asked', async () => {
        const names = (await roster.fetchHistory()).events!.map(
          (e) =>
            e.workflowExecutionSignaledEventAttributes?.signalName ?? e.activityTaskScheduledEventAttributes?.activityType?.name,
        );
        const asked = names.indexOf('checkHandovers');
        return asked >= 0 && names.slice(asked).includes('onCallRotations');
      });

      // An incident is open when Dan comes on call: his handover says he inherits it.
      const incident = await suite.server.client.workflow.start(WorkflowType.disasterRecovery, {
        taskQueue,
        workflowId: `dr-handover-${uniqueSuffix()}`,
        args: [{ summary: 'orders database lost', database: db, severity: 'SEV2', openedBy: 'dave' }],
      });
      await waitFor('the incident open', async () => (await incident.query(m.incidentStateQuery)).escalation.level1Sends === 1);

      // A run fails during the shift going off (a backup started with a misspelt field): the handover reviews it.
      const failing = await suite.server.client.workflow.start(WorkflowType.backup, {
        taskQueue,
        workflowId: `backup-review-${tag}`,
        args: [{ databse: db } as never],
      });
      await expect(failing.result()).rejects.toThrow();
      // dr oncall --review sums up the shift so far as its handover will.
      const reviewed = await pgwarden(settings, 'dr', 'oncall', '--review');
      expect(reviewed.stdout).toContain(
        `\nthe shift so far (${onCall}):\n  So far: since ${minuteUtc(shiftFrom.toISOString())}: 0 backups stored, 1 run failed\n  Failed: backup, the last `,
      );
      expect(reviewed.stdout).toContain(`(backup-review-${tag}): no run has succeeded since\n`);

      // Whoever is on call leaves a note for the next shift: dr oncall shows it until it is told.
      const noteText = 'migration 42 runs at 02:00; wal.behind may fire once';
      const left = await pgwarden(settings, 'dr', 'oncall', '--handover-note', noteText, '--as', 'alice');
      expect(left).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(
          /^handover note left for whoever comes on call next in matrix "default": "migration 42 runs at 02:00; wal\.behind may fire once"\n/,
        ),
      });
      const shown = JSON.parse((await pgwarden(settings, 'dr', 'oncall', '--json')).stdout) as { handoverNote: unknown };
      expect(shown.handoverNote).toMatchObject({ matrix: 'default', text: noteText, by: 'alice' });

      // Dan comes on call: he and whoever the rotation had are told; then he goes off.
      const [on] = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => x.subject.includes(`${dan} is on call now`)),
        tag,
        1,
        90_000,
      );
      expect(on.subject).toBe(
        `[pgwarden] ON CALL: ${dan} is on call now until ${minuteUtc(danUntil)}, taking over from ${onCall}`,
      );
      expect(on.envelopeTo).toEqual([dan, onCall, frank]);
      expect(on.text).toMatch(new RegExp(`^Backup on call: +${frank.replace(/[.]/g, '\\.')}$`, 'm'));
      expect(on.text).toMatch(new RegExp(`^Then: +${onCall.replace(/[.]/g, '\\.')}$`, 'm'));
      expect(on.text).toMatch(new RegExp(`^Open incident: +${incident.workflowId} \\(SEV2, ${db}\\)$`, 'm'));
      expect(on.text).toContain('take the lead with pgwarden dr ack ID --take-over');
      // The shift going off in review: the failed run, not succeeded since.
      expect(on.text).toMatch(
        new RegExp(`^Last shift: +since ${minuteUtc(shiftFrom.toISOString())}: 0 backups stored, 1 run failed$`, 'm'),
      );
      expect(on.text).toMatch(
        new RegExp(`^Failed: +backup, the last .* UTC \\(backup-review-${tag}\\): no run has succeeded since$`, 'm'),
      );
      expect(on.text).toMatch(new RegExp(`^Note from alice: +${noteText.replace(/[.]/g, '\\.')} \\(left .* UTC\\)$`, 'm'));
      await incident.executeUpdate(m.abortUpdate, { args: [{ by: 'dave', reason: 'a test' }] });
      await incident.result();
      const [off] = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => x.subject.includes(`taking over from ${dan}`)),
        tag,
        1,
        30_000,
      );
      expect(off.subject).toBe(
        `[pgwarden] ON CALL: ${onCall} is on call now until ${minuteUtc(erinFrom)}, taking over from ${dan}`,
      );
      expect(off.envelopeTo).toEqual([onCall, dan, frank]);
      expect(off.text).not.toContain('Note from'); // told once
      // Dan's shift in review: the failure was before it; the incident, aborted during it, is no longer open.
      expect(off.text).not.toMatch(/^Open incident/m);
      expect(off.text).toMatch(
        new RegExp(`^Last shift: +since ${minuteUtc(danFrom)}: 0 backups stored, no run failed, 1 incident closed$`, 'm'),
      );
      expect(off.text).toMatch(new RegExp(`^Closed incident: +${incident.workflowId} \\(SEV2, ${db}\\): aborted$`, 'm'));
      expect(JSON.parse((await pgwarden(settings, 'dr', 'oncall', '--json')).stdout)).toMatchObject({ handoverNote: null });
      const posted = (await capturedWebhooks(tag)).filter((w) => JSON.stringify(w.body).includes(`${dan} is on call now`));
      expect(posted.map((w) => w.path)).toEqual(['/slack-api/chat.postMessage']);
      expect(JSON.stringify(posted[0].body)).toContain(`<@${slackUserFor(dan)}> `);

      // Erin is reminded an hour before her shift, by e-mail alone.
      const [reminder] = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => x.subject.includes(`${erin} goes on call`)),
        erin,
        1,
        30_000,
      );
      expect(reminder.subject).toBe(
        `[pgwarden] ON CALL: ${erin} goes on call in 60 min: from ${minuteUtc(erinFrom)} until ${minuteUtc(erinUntil)}`,
      );
      expect(reminder.envelopeTo).toEqual([erin]);
      expect(reminder.text).toMatch(new RegExp(`^Taking over from: +${onCall.replace(/[.]/g, '\\.')}$`, 'm'));
      expect((await capturedWebhooks(erin)).filter((w) => JSON.stringify(w.body).includes('goes on call'))).toEqual([]);
      // Starting the roster handed nothing over and reminded nobody; Dan's short stand-in reminded
      // whoever came back after it (their shift began ten seconds later).
      expect((await capturedMail(tag)).map((x) => x.subject).filter((x) => x.startsWith('[pgwarden] ON CALL: '))).toEqual([
        on.subject,
        expect.stringMatching(new RegExp(`^\\[pgwarden\\] ON CALL: ${onCall.replace(/[.]/g, '\\.')} goes on call now: `)),
        off.subject,
        reminder.subject,
      ]);

      // A stand-in from now is told by its own notice, not again as a handover; the note left
      // for whoever comes on call next goes with it.
      expect(
        await pgwarden(settings, 'dr', 'oncall', '--handover-note', 'the disk on db2 is at 80%', '--as', 'bob'),
      ).toMatchObject({ code: 0 });
      const set = await pgwarden(settings, 'dr', 'oncall', '--stand-in', carol, '--until', '8h');
      expect(set.code).toBe(0);
      await waitForCaptured(capturedMail, carol);
      const scheduledSince = async () => {
        const events = (await roster.fetchHistory()).events!;
        const told = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).lastIndexOf('notifyStandIn');
        return events.slice(told + 1);
      };
      await waitFor('the roster checked handovers after the stand-in', async () =>
        (await scheduledSince()).some((e) => e.timerStartedEventAttributes),
      );
      expect((await scheduledSince()).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual([
        'onCallRotations',
      ]);
      const carolMail = await capturedMail(carol);
      expect(carolMail.map((x) => x.subject)).toEqual([
        expect.stringMatching(new RegExp(`^\\[pgwarden\\] ON CALL: ${carol.replace(/[.]/g, '\\.')} is on call in place of `)),
      ]);
      expect(carolMail[0].text).toMatch(/^Note from bob: +the disk on db2 is at 80% \(left .* UTC\)$/m);
      expect(JSON.parse((await pgwarden(settings, 'dr', 'oncall', '--json')).stdout)).toMatchObject({ handoverNote: null });
    } finally {
      await roster.terminate('test over').catch(() => undefined);
      for (const id of schedules)
        await suite.server.client.schedule
          .getHandle(id)
          .delete()
          .catch(() => undefined);
      worker.shutdown();
      await running;
    }
  });
  it("reminds the backup rotation's next person of their coming turn, with whom they back up", async () => {
    const db = await suite.freshDatabase('backupremind');
    const taskQueue = uniqueTaskQueue('backupremind');
    const tag = uniqueSuffix();
    const [alice, bob, dan, eve] = ['alice', 'bob', 'dan', 'eve'].map((n) => `${n}-${tag}@example.com`);
    // Hour-long shifts, the first begun 30 min ago: Alice on call with Dan as the backup, then Bob
    // with Eve in 30 min. An hour's lead makes both reminders due now.
    const from = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000);
    const next = new Date(from.getTime() + 3_600_000);
    const settings = {
      DATABASE_URL: databaseUrl(db),
      PGWARDEN_TASK_QUEUE: taskQueue,
      ESCALATION_ONCALL: `${alice},${bob}`,
      ESCALATION_ONCALL_FROM: from.toISOString(),
      ESCALATION_ONCALL_SHIFT_HOURS: '1',
      ESCALATION_ONCALL_REMIND_HOURS: '1',
      // Alice takes the backup's third turn, in which she is on call: check warns of it.
      ESCALATION_ONCALL_BACKUP: `${dan},${eve},${alice}`,
      ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
    };
    const worker: Worker = await bundledWorker(
      suite.server,
      taskQueue,
      createActivities(createActivityDeps(stackConfig(settings))),
    );
    const running = worker.run();
    // The roster as a run it continued from would carry it: Alice's shift told, nothing reminded yet.
    const roster = await suite.server.client.workflow.start(WorkflowType.onCallRoster, {
      taskQueue,
      workflowId: onCallRosterId(taskQueue),
      args: [{ told: { default: { who: alice, from: from.toISOString() } } }],
    });
    try {
      const [backup] = await waitForCaptured(
        async (c) => (await capturedMail(c)).filter((x) => x.envelopeTo.includes(eve)),
        tag,
        1,
        30_000,
      );
      // 30 min from the minute the first shift began: 29 or 30, rounded, by the time it is sent.
      expect(backup.subject).toMatch(/ is the backup on call in (29|30) min: /);
      expect(backup.subject.replace(/ in (29|30) min: /, ' in 30 min: ')).toBe(
        `[pgwarden] ON CALL: ${eve} is the backup on call in 30 min: from ${minuteUtc(next.toISOString())} until ${minuteUtc(new Date(next.getTime() + 3_600_000).toISOString())}`,
      );
      expect(backup.envelopeTo).toEqual([eve]);
      expect(backup.text).toMatch(new RegExp(`^On call: +${bob.replace(/[.]/g, '\\.')}$`, 'm'));
      expect(backup.text).toMatch(new RegExp(`^Backup until then: +${dan.replace(/[.]/g, '\\.')}$`, 'm'));
      // Bob's own reminder goes too; Dan, going off as the backup, hears nothing; nothing to Slack.
      await waitForCaptured(async (c) => (await capturedMail(c)).filter((x) => x.envelopeTo.includes(bob)), tag, 1, 30_000);
      expect((await capturedMail(tag)).map((x) => x.envelopeTo)).toEqual(expect.not.arrayContaining([[dan]]));
      expect((await capturedWebhooks(tag)).filter((w) => JSON.stringify(w.body).includes('backup on call'))).toEqual([]);
      // Told once: the roster remembers it across its next check.
      await roster.signal(checkHandoversSignal);
      await waitFor('the roster checked again, and waits', async () => {
        const events = (await roster.fetchHistory()).events!;
        const reads = events.flatMap((e, i) =>
          e.activityTaskScheduledEventAttributes?.activityType?.name === 'onCallRotations' ? [i] : [],
        );
        return reads.length >= 2 && events.slice(reads.at(-1)).some((e) => e.timerStartedEventAttributes);
      });
      expect((await capturedMail(tag)).filter((x) => x.envelopeTo.includes(eve))).toHaveLength(1);
      // pgwarden check names the shift without a backup, and how to mend it.
      const checked = await pgwarden(settings, 'check');
      expect(checked.code).toBe(0);
      const third = new Date(from.getTime() + 2 * 3_600_000).toISOString();
      expect(checked.stdout.split('\n')).toContain(
        `warning    on call: 1 of the next 8 shifts of matrix "default" have no backup, as the backup's turn falls on someone level 1 alerts: ${minuteUtc(third)} (${alice}); reorder ESCALATION_ONCALL_BACKUP, or plan someone as the backup for them (ESCALATION_ONCALL_BACKUP_OVERRIDES)`,
      );
    } finally {
      await stopRoster(taskQueue, worker, running);
    }
  });
});
