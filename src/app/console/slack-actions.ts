/**
 * What the console answers when someone clicks a button in a pgwarden Slack message, or submits
 * the form one opened: Slack's signature is the credential (the console checks it with
 * SLACK_SIGNING_SECRET, refusing one older than five minutes), the Slack user who acts; the
 * click becomes the incident's own Update. Slack shows nothing of the HTTP reply to a button
 * click, so the answer goes to the payload's response_url: the notice is replaced by itself
 * without the Acknowledge button and with who acknowledged it (with a bot, the incident's own
 * live edit does that), or the clicker alone is told why nothing happened (already
 * acknowledged, incident over). Escalate… and Post update… open forms (slack-forms.ts), whose
 * submission is answered in the HTTP reply, as Slack wants.
 */
import {
  acknowledgedMessage,
  responseUrlAllowed,
  SLACK_ACK_ACTION,
  isSlackUserId,
  slackInteraction,
  type SlackInteraction,
} from '../../infra/notify/slack-interaction';
import type { SlackAppSettings } from '../../infra/config/notifications';
import { ActionRefused, type ConsoleBackend } from './backend';
import type { SlackActors } from './slack-actors';
import { firstFieldOf, formOfButton, showForm, submitForm, type SubmissionAnswer } from './slack-forms';

/** What a click did, said to the clicker; or a submitted form's answer. */
export type SlackAnswer = { text: string } | { submission: SubmissionAnswer; text: string };

/** Posts an answer to a response_url; rejects with a reason that does not contain the URL. */
export type SlackResponder = (url: string, message: object) => Promise<void>;

/** A click or a submission Slack signed (the console checked it): what it did, and its answers. */
export async function answerSlack(
  body: string,
  o: {
    backend: ConsoleBackend;
    nowMs: number;
    respond?: SlackResponder;
    apiUrl?: string;
    /** The bot: opens forms (views.open). */
    slackApp?: SlackAppSettings;
    /** How long a submitted form waits for the incident's answer (default: what Slack allows). */
    submitWaitMs?: number;
    /** SLACK_ALLOWED_USERS: who may act; absent, whoever sees the notice. */
    actors?: SlackActors;
  },
): Promise<SlackAnswer> {
  const interaction = slackInteraction(body);
  const refused = await o.actors?.refusal(interaction.userId);
  if (refused && interaction.submission)
    return {
      submission: { response_action: 'errors', errors: { [firstFieldOf(interaction.submission.callbackId)]: refused } },
      text: refused,
    };
  if (refused) {
    if (interaction.clicks.length)
      answerLater(interaction, o, [{ response_type: 'ephemeral', replace_original: false, text: refused }]);
    return { text: refused };
  }
  if (interaction.submission) {
    const { answer, said } = await submitForm(interaction.submission, {
      backend: o.backend,
      slackApp: o.slackApp,
      userId: interaction.userId,
      waitMs: o.submitWaitMs,
    });
    return { submission: answer, text: said };
  }
  const said: string[] = [];
  const answers: object[] = [];
  const tell = (text: string) => answers.push({ response_type: 'ephemeral', replace_original: false, text });
  for (const click of interaction.clicks.filter((c) => c.actionId === SLACK_ACK_ACTION)) {
    try {
      // Slack mentions the lead by this id in the thread later (a reminder to post an update).
      const reach = isSlackUserId(interaction.userId) ? { slack: interaction.userId } : undefined;
      await o.backend.act(click.value, 'ack', {}, click.by, reach);
      said.push(`${click.value} acknowledged by ${click.by}`);
      // With the bot the incident edits its own message (the live summary): a second edit from
      // here would race it, and whichever landed last would stay. A webhook's message is edited here.
      if (!o.slackApp) answers.push(acknowledgedMessage(interaction.message, click.by, new Date(o.nowMs)));
    } catch (err) {
      if (!(err instanceof ActionRefused)) throw err;
      said.push(`${click.value}: ${err.message}`);
      tell(`${click.value}: ${err.message}`);
    }
  }
  for (const click of interaction.clicks) {
    const form = formOfButton(click.actionId);
    if (!form) continue;
    const problem = await showForm(form, click.value, interaction.triggerId, o);
    said.push(problem ?? `${click.value}: ${form.title.toLowerCase()}: form opened for ${click.by}`);
    if (problem) tell(problem);
  }
  answerLater(interaction, o, answers);
  return { text: said.join('\n') };
}

/** Answers to clicks, to the payload's response_url: sent, not awaited, as Slack wants the click's own reply within 3 s. */
function answerLater(interaction: SlackInteraction, o: { respond?: SlackResponder; apiUrl?: string }, answers: object[]): void {
  const url = interaction.responseUrl;
  if (o.respond && url && responseUrlAllowed(url, o.apiUrl))
    for (const answer of answers)
      void o
        .respond(url, answer)
        .catch((err: Error) =>
          process.stderr.write(`console: the answer to a Slack click could not be posted (${err.message})\n`),
        );
}

/** A SlackResponder over HTTP; its errors name the status, never the URL. */
export const postToResponseUrl: SlackResponder = async (url, message) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  }).catch((err: Error) => {
    throw new Error(err.name === 'TimeoutError' ? 'no answer within 10 s' : 'the request failed');
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
};
