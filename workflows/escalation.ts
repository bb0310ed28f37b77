/**
 * The escalation matrix on the workflow's timers, beside the runbook's steps until the
 * incident closes: level 1 at once and reminders until acknowledged, levels 2 and 3 at their
 * minutes after opening unless resolved, level 4 when the assessment declares customer impact.
 * When each is due is decided in src/operations/dr/escalation.ts.
 */
import { CancellationScope, condition, isCancellation, log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  backupAlertAt,
  customerNoticeDue,
  EscalationLevel,
  EscalationMatrix,
  level1Audience,
  level1ReminderAt,
  level1Repeats,
  LEVEL_NAMES,
  LEVELS,
  levelsToEscalate,
  pendingEscalations,
  ToldWhy,
  updateReminderAt,
} from '../src/operations/dr/escalation';
import type { EscalateInput } from '../src/operations/dr/validate';
import { briefOf, IncidentBrief, IncidentNoticeKind } from '../src/operations/dr/notices';
import { leaderOf, type Responder } from '../src/operations/dr/incident';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import type { IncidentFlow } from './incident-flow';

/** Notices being sent finish even when the incident closes meanwhile. */
const NOTICES_FINISH = 'dr-notices-finish';
/** The incident's first Slack message is kept saying where it stands (incidents opened before: as posted). */
const LIVE_MESSAGE = 'dr-live-slack-message';
/** Whoever is on call next is alerted when level 1 does not acknowledge in time. */
const BACKUP_ON_CALL = 'dr-oncall-backup';

// Notices never throw for an unreachable channel; retries only cover a lost worker.
const notices = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

export class Escalation {
  private scope: CancellationScope | undefined;
  private done: Promise<unknown> | undefined;
  /** The incident's Slack thread: its first message's ts, when a Slack bot posts (SLACK_BOT_TOKEN). */
  private slackThread: string | undefined;
  /** Whether this run keeps that message current (decided once, at the start). */
  private live = false;

  constructor(
    private readonly flow: IncidentFlow,
    private readonly matrix: EscalationMatrix,
    private readonly openedAt: Date,
    /** A drill alerts level 1 only, unless DR_DRILL_ESCALATE. */
    private readonly levels: 'all' | 'level1' = 'all',
  ) {}

  private get incident() {
    return this.flow.incident;
  }

  /** Starts every level's timer in a scope of its own, stopped when the incident closes. */
  start(): void {
    const scope = new CancellationScope();
    this.scope = scope;
    if (this.levels === 'level1') this.incident.levelOneOnly();
    // Reminders to post status updates once the manager was told (incidents opened before: none).
    const reminders = this.levels === 'all' && patched('dr-update-reminders') ? [this.updateReminders()] : [];
    // Whoever is on call next, when level 1 does not acknowledge in time (matrices frozen before: no backup).
    const backup = this.levels === 'all' && this.matrix.onCallBackup && patched(BACKUP_ON_CALL) ? [this.backupOnCall()] : [];
    this.live = patched(LIVE_MESSAGE);
    this.done = scope
      .run(() => {
        // Started in the scope, so stop() ends it with the timers.
        const live = this.live ? [this.liveMessage()] : [];
        return Promise.all(
          this.levels === 'level1'
            ? [this.level1(), ...live]
            : [this.level1(), ...backup, this.timedLevels(), this.customerLevel(), ...reminders, ...live],
        );
      })
      .catch((err) => {
        if (!isCancellation(err)) log.error('escalation stopped', { error: rootCauseMessage(err) });
      });
  }

  /** Stops the timers; the first Slack message then says how the incident closed, its buttons gone. */
  async stop(outcome?: string): Promise<void> {
    this.scope?.cancel();
    await this.done;
    if (this.live) await CancellationScope.nonCancellable(() => this.refreshMessage(outcome));
  }

  /**
   * Whenever what the channel should see changes (step, lead, impact, restore, levels alerted),
   * the thread's first message is edited to say so: one look at the channel tells where it stands.
   * Only a bot's message can be edited: without one there is no thread, and nothing to do.
   */
  private async liveMessage(): Promise<void> {
    await condition(() => this.slackThread !== undefined || !this.incident.isOpen);
    let shown = this.liveKey();
    // The close's own edit comes from stop(), after the timers.
    while (this.incident.isOpen) {
      await condition(() => this.liveKey() !== shown || !this.incident.isOpen);
      if (!this.incident.isOpen) return;
      shown = this.liveKey();
      await this.refreshMessage();
    }
  }

  /** What the live message shows, as one string to compare. */
  private liveKey(): string {
    const s = this.incident.state;
    return JSON.stringify([
      s.step,
      s.stepStatus,
      s.status,
      s.waitingFor,
      s.escalation.sent,
      // Absent in runs before the backup on call: their key, and so their edits, are as recorded.
      ...(s.escalation.backupAlertedAt ? [s.escalation.backupAlertedAt] : []),
      // Likewise those asked to help (an update runs before it never had).
      ...(s.escalation.responders?.length ? [s.escalation.responders.length] : []),
      leaderOf(s.escalation),
      s.assessment,
      s.restore,
    ]);
  }

  private async refreshMessage(outcome?: string): Promise<void> {
    if (!this.slackThread) return;
    const result = await notices.refreshIncidentMessage
      .executeWithOptions({ summary: 'the Slack message says where the incident stands' }, [
        {
          brief: briefOf(this.incident.state, outcome ? { outcome } : {}),
          thread: this.slackThread,
          at: new Date().toISOString(),
        },
      ])
      .catch((err: unknown) => {
        if (isCancellation(err)) throw err;
        return { ok: false, error: rootCauseMessage(err) };
      });
    if (!result.ok) log.warn('incident Slack message not updated', { error: result.error });
  }

  /** Sends a notice; an unreachable channel is logged, never fails the incident. */
  async notify(
    kind: IncidentNoticeKind,
    to: string[],
    extra: Partial<
      Pick<IncidentBrief, 'reminder' | 'outcome' | 'update' | 'handover' | 'escalated' | 'updateDue' | 'backup' | 'responder'>
    > = {},
  ): Promise<void> {
    try {
      // The summary names the notice and its readers in the UI's event history. Every notice after
      // the first replies in its Slack thread (an activity's input is not part of replay's check).
      const send = () =>
        notices.notifyIncident.executeWithOptions({ summary: `${kind} notice to ${to.join(', ') || 'Slack only'}` }, [
          {
            kind,
            brief: briefOf(this.incident.state, extra),
            to,
            at: new Date().toISOString(),
            ...(this.slackThread ? { thread: this.slackThread } : {}),
          },
        ]);
      // A notice on its way is not called back when the incident closes (stop() waits for it):
      // a cancellation racing the notice's completion failed the workflow task on the test server.
      const results = patched(NOTICES_FINISH) ? await CancellationScope.nonCancellable(send) : await send();
      this.slackThread ??= results?.find((r) => r.channel === 'slack' && r.thread)?.thread;
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.error('incident notice not sent', { kind, error: rootCauseMessage(err) });
    }
  }

  /** A person's status update, to everyone alerted so far; on Slack in the incident's thread. */
  async tell(a: { by: string; text: string }): Promise<void> {
    await this.notify('update', this.incident.alerted, { update: { by: a.by.trim(), text: a.text.trim() } });
  }

  /** Someone asked to help: they are told why, with where it stands, in the incident's Slack thread too. */
  async askToHelp(r: Responder): Promise<void> {
    await this.notify('responder', [r.who], { responder: { who: r.who, by: r.by, reason: r.reason } });
  }

  /** The lead passed from one person to another: everyone alerted hears who leads now. */
  async handover(from: string, to: string): Promise<void> {
    await this.notify('handover', this.incident.alerted, { handover: { from, to } });
  }

  /**
   * Someone needs the manager or the executive now, not at the level's minute: each level up to
   * the one asked for that was not alerted yet is, at once, saying who asked and why; its timer
   * then has nothing left to send.
   */
  async escalateNow(a: EscalateInput): Promise<void> {
    const by = a.by.trim();
    const levels = levelsToEscalate(a.level, this.incident.sentLevels);
    // All counted as sent first: a timer falling due while the notices go out finds them sent.
    for (const level of levels) this.reached(level, { kind: 'by-hand', by, reason: a.reason.trim() });
    for (const level of levels)
      await this.notify(LEVELS[level].notice, LEVELS[level].contacts(this.matrix), {
        escalated: { by, reason: a.reason.trim() },
      });
  }

  private reached(level: EscalationLevel, why: ToldWhy): void {
    this.incident.reached(level, this.matrix, why);
    this.flow.publish();
  }

  private async level1(): Promise<void> {
    const incident = this.incident;
    const repeats = () => level1Repeats(incident.acknowledged, !incident.isOpen);
    incident.level1Sent();
    this.reached(1, { kind: 'opening' });
    await this.notify('level1', LEVELS[1].contacts(this.matrix));
    // Reminders on a grid from the opening; before, each waited a full interval after the previous notice was sent.
    const onGrid = patched('level1-reminders-on-schedule');
    for (let n = 1; repeats(); n++) {
      const wait = onGrid
        ? Math.max(1, level1ReminderAt(this.matrix, this.openedAt, n).getTime() - Date.now())
        : this.matrix.level1.repeatMinutes * 60_000;
      if (await condition(() => !repeats(), wait, { summary: `level 1 reminder ${n} (DevOps team), unless acknowledged` })) break;
      const reminder = incident.level1Reminder();
      this.flow.publish();
      await this.notify('level1-reminder', level1Audience(this.matrix, incident.backupAlerted), { reminder });
    }
    // Acknowledged while open: those level 1 alerted hear who took it (a close says so itself).
    if (incident.acknowledged && incident.isOpen && patched('dr-acknowledged-notice'))
      await this.notify('acknowledged', level1Audience(this.matrix, incident.backupAlerted));
  }

  /**
   * Level 1 not acknowledged `afterMinutes` after the opening: whoever is on call next is
   * alerted, with a link of their own to acknowledge, and hears level 1's reminders from then.
   */
  private async backupOnCall(): Promise<void> {
    const incident = this.incident;
    const backup = this.matrix.onCallBackup!;
    const due = backupAlertAt(this.matrix, this.openedAt)!;
    const settled = await condition(() => incident.acknowledged || !incident.isOpen, Math.max(1, due.getTime() - Date.now()), {
      summary: `backup on call (${backup.who}) after ${backup.afterMinutes} min, unless acknowledged`,
    });
    if (settled) return;
    incident.backupOnCallAlerted(backup);
    this.flow.publish();
    await this.notify('backup-oncall', [backup.who], {
      backup: {
        who: backup.who,
        onCall: this.matrix.onCallNow ?? this.matrix.level1.contacts.join(', '),
        minutes: backup.afterMinutes,
      },
    });
  }

  private async timedLevels(): Promise<void> {
    for (;;) {
      const [next] = pendingEscalations(this.matrix, this.openedAt, this.incident.sentLevels, !this.incident.isOpen);
      this.incident.nextEscalation(next);
      this.flow.publish();
      if (!next) return;
      const sentMeanwhile = () => this.incident.sentLevels.has(next.level);
      const woken = await condition(() => !this.incident.isOpen || sentMeanwhile(), Math.max(1, next.at.getTime() - Date.now()), {
        summary: `level ${next.level} (${LEVEL_NAMES[next.level]}) after ${LEVELS[next.level].afterMinutes(this.matrix)} min open, unless resolved`,
      });
      if (woken && !this.incident.isOpen) return;
      if (sentMeanwhile()) continue; // escalated by hand before its minute: the next level's timer, if any
      this.reached(next.level, { kind: 'timer', afterMinutes: LEVELS[next.level].afterMinutes(this.matrix)! });
      await this.notify(LEVELS[next.level].notice, LEVELS[next.level].contacts(this.matrix));
    }
  }

  /**
   * Once the manager was told, level 1 is reminded to post a status update after
   * `updateReminderMinutes` without news for those above it; each update (or reminder) starts
   * the wait again.
   */
  private async updateReminders(): Promise<void> {
    const incident = this.incident;
    const every = this.matrix.updateReminderMinutes ?? 0;
    for (;;) {
      await condition(() => !incident.isOpen || updateReminderAt(this.matrix, incident.lastNewsAt, false) !== null);
      const due = updateReminderAt(this.matrix, incident.lastNewsAt, !incident.isOpen);
      if (!due) return;
      const last = incident.lastNewsAt!.getTime();
      const news = await condition(
        () => !incident.isOpen || incident.lastNewsAt!.getTime() !== last,
        Math.max(1, due.getTime() - Date.now()),
        { summary: `status update reminder after ${every} min without one` },
      );
      if (news) continue;
      incident.updateReminder(every);
      this.flow.publish();
      // The lead, when their address is known (they acknowledged from their mail's link); else level 1.
      const lead = incident.state.escalation.leadReach?.email;
      const to = lead && patched('update-due-to-lead') ? [lead] : level1Audience(this.matrix, incident.backupAlerted);
      await this.notify('update-due', to, {
        updateDue: { minutes: every, audience: incident.alerted },
      });
    }
  }

  private async customerLevel(): Promise<void> {
    const incident = this.incident;
    const due = () => customerNoticeDue(incident.state.assessment?.customerImpact, incident.sentLevels, !incident.isOpen);
    await condition(() => due() || !incident.isOpen);
    if (!incident.isOpen) return;
    this.reached(4, { kind: 'customer-impact' });
    await this.notify('level4', LEVELS[4].contacts(this.matrix));
  }
}
