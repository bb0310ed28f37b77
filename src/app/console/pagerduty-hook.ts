/**
 * The console's answer to PagerDuty's webhook: an acknowledgement of an incident's page in
 * PagerDuty (the phone call answered, the app's button) acknowledges the incident as
 * `pagerduty:<name>`. PagerDuty wants an answer within 5 s and sends again on a 5xx, so what
 * cannot change (a refusal, another deployment's incident) is answered 200, and only Temporal
 * out of reach is answered 503.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { readPagerDutyHook } from '../../infra/notify/pagerduty-webhook';
import { ActionRefused, type ConsoleBackend } from './backend';

export interface HookAnswer {
  status: 200 | 202 | 503;
  text: string;
}

/** Past this the answer is 202 and the acknowledgement goes on: Temporal keeps an Update it accepted. */
const ANSWER_WITHIN_MS = 3500;

export async function answerPagerDuty(body: string, backend: ConsoleBackend, log: (line: string) => void): Promise<HookAnswer> {
  const hook = readPagerDutyHook(body);
  if (hook.kind === 'ignored') return { status: 200, text: `ignored: ${hook.why}` };
  const acting = backend.act(hook.incidentId, 'ack', {}, hook.by).then(
    (): HookAnswer => ({ status: 200, text: `acknowledged ${hook.incidentId} as ${hook.by}` }),
    (err: Error): HookAnswer => {
      if (err instanceof ActionRefused) return { status: 200, text: `not acknowledged: ${err.message}` };
      if (err instanceof WorkflowNotFoundError) return { status: 200, text: `ignored: no incident ${hook.incidentId} here` };
      return { status: 503, text: `Temporal not reached (${err.message.split('\n')[0]}): PagerDuty sends it again` };
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ANSWER_WITHIN_MS)));
  const answer = await Promise.race([acting, late]);
  clearTimeout(timer);
  if (answer) return answer;
  void acting.then((a) => log(`PagerDuty acknowledgement, answered late: ${a.text}`));
  return { status: 202, text: `acknowledging ${hook.incidentId} as ${hook.by}` };
}
