/**
 * Escalating from Slack, as from the console's page: a level 1 notice's Escalate button opens a
 * modal (views.open, with the bot's token, within 3 s of the click) offering the levels not yet
 * alerted and asking why; its submission becomes the incident's own escalate Update, as the
 * Slack user. A refusal shows on the form itself, so the reason typed is not lost.
 */
import type { SlackAppSettings } from '../../infra/config/notifications';
import { PgwardenError } from '../../infra/errors/errors';
import { callSlack } from '../../infra/notify/slack-api';
import { SLACK_ESCALATE_VIEW, type SlackSubmission } from '../../infra/notify/slack-interaction';
import { escalationChoice, levelsOpenToEscalate } from '../../operations/dr/escalation';
import type { IncidentState } from '../../operations/dr/incident';
import { UPDATE_MAX_CHARS } from '../../operations/dr/validate';
import { ActionRefused, type ConsoleBackend } from './backend';

/** Slack waits 3 s for a submission's answer; past this the form closes and a refusal comes as an ephemeral message. */
const SUBMIT_WAIT_MS = 2_500;

const plain = (text: string) => ({ type: 'plain_text' as const, text });

/** Why the form is not offered for this incident, or null. Pure. */
export function escalateFormProblem(s: IncidentState | null, id: string): string | null {
  if (!s) return `${id}: no such incident`;
  if (s.status !== 'open') return `${id} is ${s.status}; nothing more can be recorded`;
  if (s.escalation.levelOneOnly) return `${id}: this drill alerts level 1 only; nobody above it is told of a drill`;
  if (!levelsOpenToEscalate(s.matrix, s.escalation).length)
    return `${id}: the manager and the executive were already alerted; to tell them more, post an update (dr note --tell, or the console)`;
  return null;
}

/** The modal: the levels not yet alerted (the lowest chosen), and a reason. Pure. */
export function escalateModal(s: IncidentState): object {
  const open = levelsOpenToEscalate(s.matrix, s.escalation);
  // Slack takes 75 characters in an option's text.
  const options = open.map((l) => ({ text: plain(escalationChoice(l, s.matrix!, open).slice(0, 75)), value: String(l) }));
  return {
    type: 'modal',
    callback_id: SLACK_ESCALATE_VIEW,
    private_metadata: s.incidentId,
    title: plain('Escalate now'),
    submit: plain('Escalate'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${s.summary.slice(0, 200)}*\n${s.incidentId}: alert a level now, before its timer.` },
      },
      {
        type: 'input',
        block_id: 'level',
        label: plain('Who'),
        element: { type: 'radio_buttons', action_id: 'level', options, initial_option: options[0] },
      },
      {
        type: 'input',
        block_id: 'reason',
        label: plain('Why they are needed now'),
        element: {
          type: 'plain_text_input',
          action_id: 'reason',
          multiline: true,
          max_length: UPDATE_MAX_CHARS,
          placeholder: plain('restore failed twice, a decision on data loss is needed'),
        },
      },
    ],
  };
}

/** Opens the modal for a click on Escalate; what the clicker is told when it does not open. */
export async function openEscalateForm(
  id: string,
  triggerId: string | undefined,
  o: { backend: ConsoleBackend; slackApp?: SlackAppSettings },
): Promise<string | null> {
  if (!o.slackApp)
    return `${id}: the console cannot open Slack forms without SLACK_BOT_TOKEN and SLACK_CHANNEL; escalate on the console's page or with pgwarden dr escalate`;
  if (!triggerId) return `${id}: Slack sent no trigger_id to open the form with; click Escalate again`;
  let state: IncidentState | null;
  try {
    state = await o.backend.incident(id);
  } catch (err) {
    if (err instanceof PgwardenError) return `${id}: ${err.message}`;
    throw err;
  }
  const problem = escalateFormProblem(state, id);
  if (problem) return problem;
  try {
    await callSlack(o.slackApp, 'views.open', { trigger_id: triggerId, view: escalateModal(state!) });
    return null;
  } catch (err) {
    const expired = /expired_trigger_id/.test((err as Error).message);
    return `${id}: the form did not open (${(err as Error).message})${expired ? '; click Escalate again' : ''}`;
  }
}

/** What Slack is answered for a submitted modal: null closes it; `errors` shows on the form's fields. */
export type SubmissionAnswer = { response_action: 'errors'; errors: Record<string, string> } | null;

/**
 * The modal submitted: the escalate Update as the Slack user. Its refusal (the validator's
 * message) goes back to the form, on the field it is about. An Update slower than Slack waits
 * closes the form; a refusal after that reaches the user as an ephemeral message in the channel.
 */
export async function submitEscalation(
  sub: SlackSubmission,
  o: { backend: ConsoleBackend; slackApp?: SlackAppSettings; userId?: string; waitMs?: number },
): Promise<{ answer: SubmissionAnswer; said: string }> {
  const id = sub.privateMetadata;
  const level = sub.values.level?.level?.selected_option?.value ?? '';
  const reason = sub.values.reason?.reason?.value ?? '';
  const acting = o.backend.act(id, 'escalate', { level, reason }, sub.by);
  const slow = Symbol('slow');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    acting.then(
      () => null,
      (err: unknown) => err,
    ),
    new Promise<typeof slow>((r) => (timer = setTimeout(() => r(slow), o.waitMs ?? SUBMIT_WAIT_MS))),
  ]).finally(() => clearTimeout(timer));
  if (outcome === null) return { answer: null, said: `${id} escalated to level ${level} by ${sub.by}` };
  if (outcome === slow) {
    void acting.catch((err: Error) => tellLater(id, err, o));
    return { answer: null, said: `${id}: escalation by ${sub.by} sent; its answer comes later` };
  }
  if (!(outcome instanceof ActionRefused)) throw outcome;
  // On the field it is about; anything else (closed, no worker) on the first one, where it is seen.
  const field = /"reason"/.test(outcome.message) ? 'reason' : 'level';
  return {
    answer: { response_action: 'errors', errors: { [field]: outcome.message.slice(0, 300) } },
    said: `${id}: ${outcome.message}`,
  };
}

/** A refusal that came after the form closed: to the user alone, in the incident channel. */
async function tellLater(id: string, err: Error, o: { slackApp?: SlackAppSettings; userId?: string }): Promise<void> {
  const text = `${id}: not escalated: ${err.message}`;
  if (!o.slackApp || !o.userId) return void process.stderr.write(`console: ${text}\n`);
  await callSlack(o.slackApp, 'chat.postEphemeral', { channel: o.slackApp.channel, user: o.userId, text }).catch(
    (failed: Error) => process.stderr.write(`console: ${text} (and the user could not be told: ${failed.message})\n`),
  );
}
