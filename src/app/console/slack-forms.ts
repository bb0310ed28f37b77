/**
 * The forms pgwarden opens in Slack, as the console's page offers them: from a notice's button,
 * Escalate… (the levels not yet alerted, and why), Post update… (a status update, told to
 * everyone alerted or kept as a note) and Ask for help… (someone to mail, and why); from `/pgwarden open`, Open an incident. A click or a
 * command opens its form as a modal (views.open, with the bot's token, within 3 s of it); the
 * submission becomes the incident's own Update (or its start) as the Slack user. A refusal shows
 * on the form itself, so what was typed is not lost.
 */
import type { SlackAppSettings } from '../../infra/config/notifications';
import { PgwardenError } from '../../infra/errors/errors';
import { slackText } from '../../infra/notify/notice';
import { callSlack } from '../../infra/notify/slack-api';
import {
  SLACK_ESCALATE_ACTION,
  SLACK_ESCALATE_VIEW,
  SLACK_OPEN_VIEW,
  SLACK_RESPONDER_ACTION,
  SLACK_RESPONDER_VIEW,
  SLACK_UPDATE_ACTION,
  SLACK_UPDATE_VIEW,
  type SlackSubmission,
} from '../../infra/notify/slack-interaction';
import { escalationChoiceParts, levelsOpenToEscalate } from '../../operations/dr/escalation';
import { updateAudienceOf } from '../../operations/dr/incident';
import { type IncidentState, SEVERITIES } from '../../operations/dr/incident';
import { UPDATE_MAX_CHARS } from '../../operations/dr/validate';
import { ActionRefused, type ConsoleBackend } from './backend';
import type { ConsoleAction } from './pages';

/** Slack waits 3 s for a submission's answer; past this the form closes and a refusal comes as an ephemeral message. */
const SUBMIT_WAIT_MS = 2_500;

const plain = (text: string) => ({ type: 'plain_text' as const, text });

/** What a form is built from: the incident it acts on (none to open one), and the configured databases. */
export interface FormContext {
  state: IncidentState | null;
  databases: string[];
  /** Values to start with (the summary typed after `/pgwarden open`). */
  initial?: Record<string, string>;
}

export interface SlackForm {
  /** The button that opens it (none: a command does) and the modal's callback id. */
  button?: string;
  view: string;
  /** Its input blocks, in order: a refusal naming none of them shows on the first. */
  fields: string[];
  /** The field a refusal is about; default: the first field it names in quotes. */
  fieldOf?(message: string): string | undefined;
  /** Why it is not offered for this (open) incident, or null. */
  problem?(s: IncidentState): string | null;
  title: string;
  submit: string;
  /** Said when a refusal comes after the form closed. */
  notDone: string;
  blocks(c: FormContext): object[];
  /** Sends the submitted values as `by`: the incident's Update, or its start. */
  send(backend: ConsoleBackend, id: string, values: SlackSubmission['values'], by: string): Promise<unknown>;
}

/** A form whose submission is one console action on its incident. */
const acting =
  (action: ConsoleAction, form: (values: SlackSubmission['values']) => Record<string, string>) =>
  (backend: ConsoleBackend, id: string, values: SlackSubmission['values'], by: string) =>
    backend.act(id, action, form(values), by);

export const escalateForm: SlackForm = {
  button: SLACK_ESCALATE_ACTION,
  view: SLACK_ESCALATE_VIEW,
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
  blocks: ({ state }) => {
    const s = state!;
    const open = levelsOpenToEscalate(s.matrix, s.escalation);
    // Slack takes 75 characters in an option's text and in its description: who hears it goes below.
    const options = open.map((l) => {
      const c = escalationChoiceParts(l, s.matrix!, open);
      return { text: plain(`${c.level}${c.also}`), description: plain(clip(c.contacts, 75)), value: String(l) };
    });
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
  send: acting('escalate', (values) => ({
    level: values.level?.level?.selected_option?.value ?? '',
    reason: values.reason?.reason?.value ?? '',
  })),
};

const TELL = 'yes';

export const updateForm: SlackForm = {
  button: SLACK_UPDATE_ACTION,
  view: SLACK_UPDATE_VIEW,
  fields: ['text', 'tell'],
  title: 'Post an update',
  submit: 'Post',
  notDone: 'update not posted',
  blocks: ({ state }) => {
    const s = state!;
    const audience = updateAudienceOf(s).join(', ') || 'Slack only';
    const tell = { text: plain('Tell everyone alerted so far'), description: plain(clip(audience, 75)), value: TELL };
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
  send: acting('note', (values) => {
    const tell = values.tell?.tell as { selected_options?: Array<{ value?: string }> } | undefined;
    return {
      text: values.text?.text?.value ?? '',
      ...(tell?.selected_options?.some((o) => o.value === TELL) ? { tell: 'yes' } : {}),
    };
  }),
};

/** Ask someone to help (dr add-responder): their address and why, as the console's form. */
export const responderForm: SlackForm = {
  button: SLACK_RESPONDER_ACTION,
  view: SLACK_RESPONDER_VIEW,
  fields: ['who', 'reason'],
  title: 'Ask for help',
  submit: 'Ask',
  notDone: 'nobody was asked',
  blocks: ({ state }) => [
    heading(state!, 'ask someone the escalation does not name (a DBA, another team); they are mailed with why.'),
    {
      type: 'input',
      block_id: 'who',
      label: plain('Their e-mail address'),
      element: { type: 'email_text_input', action_id: 'who', placeholder: plain('dba@example.com') },
    },
    textInput('reason', 'Why they are needed', 'the replica will not catch up: a DBA is needed'),
  ],
  send: acting('responder', (values) => ({
    who: values.who?.who?.value ?? '',
    reason: values.reason?.reason?.value ?? '',
  })),
};

/** Open an incident (`/pgwarden open`): the console's form on the board, as a modal. */
export const openIncidentForm: SlackForm = {
  view: SLACK_OPEN_VIEW,
  fields: ['database', 'summary', 'severity', 'failureTime'],
  // The refusals name the CLI's flags, without their dashes (backend.open).
  fieldOf: (message) =>
    /\bsummary\b/.test(message)
      ? 'summary'
      : /\bseverity\b/.test(message)
        ? 'severity'
        : /\bfailure-time\b/.test(message)
          ? 'failureTime'
          : undefined,
  title: 'Open an incident',
  submit: 'Open',
  notDone: 'not opened',
  blocks: ({ databases, initial }) => {
    const option = (value: string) => ({ text: plain(value), value });
    return [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'Level 1 is alerted at once, and the runbook starts; follow it in its thread.' },
      },
      {
        type: 'input',
        block_id: 'database',
        label: plain('Database'),
        element: {
          type: 'static_select',
          action_id: 'database',
          options: databases.slice(0, 100).map(option),
          ...(databases.length === 1 ? { initial_option: option(databases[0]) } : {}),
        },
      },
      {
        type: 'input',
        block_id: 'summary',
        label: plain('What failed'),
        element: {
          type: 'plain_text_input',
          action_id: 'summary',
          max_length: 500,
          placeholder: plain('orders database corrupted'),
          ...(initial?.summary ? { initial_value: initial.summary.slice(0, 500) } : {}),
        },
      },
      {
        type: 'input',
        block_id: 'severity',
        label: plain('Severity'),
        element: {
          type: 'static_select',
          action_id: 'severity',
          options: SEVERITIES.map(option),
          initial_option: option(SEVERITIES[0]),
        },
      },
      {
        type: 'input',
        block_id: 'failureTime',
        optional: true,
        label: plain('When it failed (UTC; empty: now)'),
        element: { type: 'plain_text_input', action_id: 'failureTime', placeholder: plain('2026-11-24T02:15:00Z') },
      },
    ];
  },
  send: (backend, _id, values, by) =>
    backend.open(
      {
        database: values.database?.database?.selected_option?.value ?? '',
        summary: values.summary?.summary?.value ?? '',
        severity: values.severity?.severity?.selected_option?.value ?? '',
        failureTime: values.failureTime?.failureTime?.value ?? '',
      },
      by,
    ),
};

const FORMS = [escalateForm, updateForm, responderForm, openIncidentForm];

/** Text cut to Slack's limit, saying so. */
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function heading(s: IncidentState, what: string): object {
  return { type: 'section', text: { type: 'mrkdwn', text: `*${slackText(s.summary.slice(0, 200))}*\n${s.incidentId}: ${what}` } };
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

/** Where a refusal of a whole submission shows: its form's first field. */
export const firstFieldOf = (callbackId: string) => FORMS.find((f) => f.view === callbackId)?.fields[0] ?? 'level';

/** The form a button opens; undefined for any other button. */
export const formOfButton = (actionId: string) => FORMS.find((f) => f.button !== undefined && f.button === actionId);

/** Why a form is not offered for this incident, or null. Pure. */
export function formProblem(form: SlackForm, s: IncidentState | null, id: string): string | null {
  if (!s) return `${id}: no such incident`;
  if (s.status !== 'open') return `${id} is ${s.status}; nothing more can be recorded`;
  const problem = form.problem?.(s) ?? null;
  return problem && `${id}: ${problem}`;
}

/** The modal, the incident's id (if any) in its private metadata. Pure. */
export function formModal(form: SlackForm, c: FormContext): object {
  return {
    type: 'modal',
    callback_id: form.view,
    private_metadata: c.state?.incidentId ?? '',
    title: plain(form.title),
    submit: plain(form.submit),
    close: plain('Cancel'),
    blocks: form.blocks(c),
  };
}

/**
 * Opens a form for an incident (`id`), or to open one (null); what the person is told when it
 * does not open.
 */
export async function showForm(
  form: SlackForm,
  id: string | null,
  triggerId: string | undefined,
  o: { backend: ConsoleBackend; slackApp?: SlackAppSettings; initial?: Record<string, string> },
): Promise<string | null> {
  const about = id ?? 'pgwarden';
  if (!o.slackApp)
    return `${about}: the console cannot open Slack forms without SLACK_BOT_TOKEN and SLACK_CHANNEL; use the console's page or pgwarden dr`;
  if (!triggerId) return `${about}: Slack sent no trigger_id to open the form with; try again`;
  let state: IncidentState | null = null;
  if (id) {
    try {
      state = await o.backend.incident(id);
    } catch (err) {
      if (err instanceof PgwardenError) return `${id}: ${err.message}`;
      throw err;
    }
    const problem = formProblem(form, state, id);
    if (problem) return problem;
  }
  const view = formModal(form, { state, databases: o.backend.databases(), initial: o.initial });
  try {
    await callSlack(o.slackApp, 'views.open', { trigger_id: triggerId, view });
    return null;
  } catch (err) {
    const expired = /expired_trigger_id/.test((err as Error).message);
    return `${about}: the form did not open (${(err as Error).message})${expired ? '; try again' : ''}`;
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
  const about = id || 'pgwarden';
  const sending = form.send(o.backend, id, sub.values, sub.by);
  const slow = Symbol('slow');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    sending.then(
      () => null,
      (err: unknown) => err,
    ),
    new Promise<typeof slow>((r) => (timer = setTimeout(() => r(slow), o.waitMs ?? SUBMIT_WAIT_MS))),
  ]).finally(() => clearTimeout(timer));
  if (outcome === null) return { answer: null, said: `${about}: ${form.title.toLowerCase()}: sent by ${sub.by}` };
  if (outcome === slow) {
    void sending.catch((err: Error) => tellLater(about, form, err, o));
    return { answer: null, said: `${about}: ${form.title.toLowerCase()}: sent by ${sub.by}; its answer comes later` };
  }
  if (!(outcome instanceof ActionRefused)) throw outcome;
  // On the field it is about; anything else (closed, no worker) on the first one, where it is seen.
  const message = outcome.message;
  const field = form.fieldOf?.(message) ?? form.fields.find((f) => message.includes(`"${f}"`)) ?? form.fields[0];
  return {
    answer: { response_action: 'errors', errors: { [field]: message.slice(0, 300) } },
    said: `${about}: ${message}`,
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
