/**
 * The forms a pgwarden Slack notice opens, as the console's page offers them: Escalate… (the
 * levels not yet alerted, and why) and Post update… (a status update, told to everyone alerted
 * or kept as a note). A button's click opens its form as a modal (views.open, with the bot's
 * token, within 3 s of the click); the submission becomes the incident's own Update as the
 * Slack user. A refusal shows on the form itself, so what was typed is not lost.
 */
import type { SlackAppSettings } from '../../infra/config/notifications';
import { PgwardenError } from '../../infra/errors/errors';
import { callSlack } from '../../infra/notify/slack-api';
import {
  SLACK_ESCALATE_ACTION,
  SLACK_ESCALATE_VIEW,
  SLACK_UPDATE_ACTION,
  SLACK_UPDATE_VIEW,
  type SlackSubmission,
} from '../../infra/notify/slack-interaction';
import { escalationChoice, levelsOpenToEscalate, updateAudience } from '../../operations/dr/escalation';
import type { IncidentState } from '../../operations/dr/incident';
import { UPDATE_MAX_CHARS } from '../../operations/dr/validate';
import { ActionRefused, type ConsoleBackend } from './backend';
import type { ConsoleAction } from './pages';

/** Slack waits 3 s for a submission's answer; past this the form closes and a refusal comes as an ephemeral message. */
const SUBMIT_WAIT_MS = 2_500;

const plain = (text: string) => ({ type: 'plain_text' as const, text });

export interface SlackForm {
  /** The button that opens it and the modal's callback id. */
  button: string;
  view: string;
  /** The console action its submission is. */
  action: ConsoleAction;
  /** Its input blocks, in order: a refusal naming none of them shows on the first. */
  fields: string[];
  /** Why it is not offered for this (open) incident, or null. */
  problem(s: IncidentState): string | null;
  title: string;
  submit: string;
  /** Said when a refusal comes after the form closed. */
  notDone: string;
  blocks(s: IncidentState): object[];
  /** The submitted values as the action's form fields. */
  form(values: SlackSubmission['values']): Record<string, string>;
}

export const escalateForm: SlackForm = {
  button: SLACK_ESCALATE_ACTION,
  view: SLACK_ESCALATE_VIEW,
  action: 'escalate',
  fields: ['level', 'reason'],
  problem: (s) =>
    s.escalation.levelOneOnly
      ? 'this drill alerts level 1 only; nobody above it is told of a drill'
      : levelsOpenToEscalate(s.matrix, s.escalation).length
        ? null
        : 'the manager and the executive were already alerted; to tell them more, post an update (dr note --tell, or the console)',
  title: 'Escalate now',
  submit: 'Escalate',
  notDone: 'not escalated',
  blocks: (s) => {
    const open = levelsOpenToEscalate(s.matrix, s.escalation);
    // Slack takes 75 characters in an option's text.
    const options = open.map((l) => ({ text: plain(escalationChoice(l, s.matrix!, open).slice(0, 75)), value: String(l) }));
    return [
      heading(s, 'alert a level now, before its timer.'),
      {
        type: 'input',
        block_id: 'level',
        label: plain('Who'),
        element: { type: 'radio_buttons', action_id: 'level', options, initial_option: options[0] },
      },
      textInput('reason', 'Why they are needed now', 'restore failed twice, a decision on data loss is needed'),
    ];
  },
  form: (values) => ({
    level: values.level?.level?.selected_option?.value ?? '',
    reason: values.reason?.reason?.value ?? '',
  }),
};

const TELL = 'yes';

export const updateForm: SlackForm = {
  button: SLACK_UPDATE_ACTION,
  view: SLACK_UPDATE_VIEW,
  action: 'note',
  fields: ['text', 'tell'],
  problem: () => null,
  title: 'Post an update',
  submit: 'Post',
  notDone: 'update not posted',
  blocks: (s) => {
    const tell = {
      text: plain(
        `Tell everyone alerted so far: ${updateAudience(s.matrix, new Set(s.escalation.sent)).join(', ') || 'Slack only'}`.slice(
          0,
          75,
        ),
      ),
      value: TELL,
    };
    return [
      heading(s, 'a status update for the record.'),
      textInput('text', 'What to put on the record', 'restore at 60%, about 20 min left'),
      {
        type: 'input',
        block_id: 'tell',
        optional: true,
        label: plain('Who hears it'),
        element: { type: 'checkboxes', action_id: 'tell', options: [tell], initial_options: [tell] },
      },
    ];
  },
  form: (values) => {
    const tell = values.tell?.tell as { selected_options?: Array<{ value?: string }> } | undefined;
    return {
      text: values.text?.text?.value ?? '',
      ...(tell?.selected_options?.some((o) => o.value === TELL) ? { tell: 'yes' } : {}),
    };
  },
};

const FORMS = [escalateForm, updateForm];

function heading(s: IncidentState, what: string): object {
  return { type: 'section', text: { type: 'mrkdwn', text: `*${s.summary.slice(0, 200)}*\n${s.incidentId}: ${what}` } };
}

function textInput(id: string, label: string, placeholder: string): object {
  return {
    type: 'input',
    block_id: id,
    label: plain(label),
    element: {
      type: 'plain_text_input',
      action_id: id,
      multiline: true,
      max_length: UPDATE_MAX_CHARS,
      placeholder: plain(placeholder),
    },
  };
}

/** The form a button opens; undefined for any other button. */
export const formOfButton = (actionId: string) => FORMS.find((f) => f.button === actionId);

/** Why a form is not offered for this incident, or null. Pure. */
export function formProblem(form: SlackForm, s: IncidentState | null, id: string): string | null {
  if (!s) return `${id}: no such incident`;
  if (s.status !== 'open') return `${id} is ${s.status}; nothing more can be recorded`;
  const problem = form.problem(s);
  return problem && `${id}: ${problem}`;
}

/** The modal for an incident, its id in the private metadata. Pure. */
export function formModal(form: SlackForm, s: IncidentState): object {
  return {
    type: 'modal',
    callback_id: form.view,
    private_metadata: s.incidentId,
    title: plain(form.title),
    submit: plain(form.submit),
    close: plain('Cancel'),
    blocks: form.blocks(s),
  };
}

/** Opens a button's form; what the clicker is told when it does not open. */
export async function openForm(
  form: SlackForm,
  id: string,
  triggerId: string | undefined,
  o: { backend: ConsoleBackend; slackApp?: SlackAppSettings },
): Promise<string | null> {
  if (!o.slackApp)
    return `${id}: the console cannot open Slack forms without SLACK_BOT_TOKEN and SLACK_CHANNEL; use the console's page or pgwarden dr`;
  if (!triggerId) return `${id}: Slack sent no trigger_id to open the form with; click again`;
  let state: IncidentState | null;
  try {
    state = await o.backend.incident(id);
  } catch (err) {
    if (err instanceof PgwardenError) return `${id}: ${err.message}`;
    throw err;
  }
  const problem = formProblem(form, state, id);
  if (problem) return problem;
  try {
    await callSlack(o.slackApp, 'views.open', { trigger_id: triggerId, view: formModal(form, state!) });
    return null;
  } catch (err) {
    const expired = /expired_trigger_id/.test((err as Error).message);
    return `${id}: the form did not open (${(err as Error).message})${expired ? '; click again' : ''}`;
  }
}

/** What Slack is answered for a submitted modal: null closes it; `errors` shows on the form's fields. */
export type SubmissionAnswer = { response_action: 'errors'; errors: Record<string, string> } | null;

/**
 * A form submitted: its Update as the Slack user. A refusal (the validator's message) goes back
 * to the form, on the field it names. An Update slower than Slack waits closes the form; a
 * refusal after that reaches the user as an ephemeral message in the channel.
 */
export async function submitForm(
  sub: SlackSubmission,
  o: { backend: ConsoleBackend; slackApp?: SlackAppSettings; userId?: string; waitMs?: number },
): Promise<{ answer: SubmissionAnswer; said: string }> {
  const form = FORMS.find((f) => f.view === sub.callbackId);
  if (!form) return { answer: null, said: `a form pgwarden does not know (${sub.callbackId}), closed` };
  const id = sub.privateMetadata;
  const acting = o.backend.act(id, form.action, form.form(sub.values), sub.by);
  const slow = Symbol('slow');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    acting.then(
      () => null,
      (err: unknown) => err,
    ),
    new Promise<typeof slow>((r) => (timer = setTimeout(() => r(slow), o.waitMs ?? SUBMIT_WAIT_MS))),
  ]).finally(() => clearTimeout(timer));
  if (outcome === null) return { answer: null, said: `${id}: ${form.action} by ${sub.by}` };
  if (outcome === slow) {
    void acting.catch((err: Error) => tellLater(id, form, err, o));
    return { answer: null, said: `${id}: ${form.action} by ${sub.by} sent; its answer comes later` };
  }
  if (!(outcome instanceof ActionRefused)) throw outcome;
  // On the field it names; anything else (closed, no worker) on the first one, where it is seen.
  const field = form.fields.find((f) => outcome.message.includes(`"${f}"`)) ?? form.fields[0];
  return {
    answer: { response_action: 'errors', errors: { [field]: outcome.message.slice(0, 300) } },
    said: `${id}: ${outcome.message}`,
  };
}

/** A refusal that came after the form closed: to the user alone, in the incident channel. */
async function tellLater(
  id: string,
  form: SlackForm,
  err: Error,
  o: { slackApp?: SlackAppSettings; userId?: string },
): Promise<void> {
  const text = `${id}: ${form.notDone}: ${err.message}`;
  if (!o.slackApp || !o.userId) return void process.stderr.write(`console: ${text}\n`);
  await callSlack(o.slackApp, 'chat.postEphemeral', { channel: o.slackApp.channel, user: o.userId, text }).catch(
    (failed: Error) => process.stderr.write(`console: ${text} (and the user could not be told: ${failed.message})\n`),
  );
}
