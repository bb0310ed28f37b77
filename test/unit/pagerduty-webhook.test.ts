/** PagerDuty's webhook: whose signature, what an event asks of pgwarden, and what the console answers. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { ActionRefused, type ConsoleBackend } from '../../src/app/console/backend';
import { answerPagerDuty } from '../../src/app/console/pagerduty-hook';
import { pagerDutyRequestProblem, pagerDutySignature, readPagerDutyHook } from '../../src/infra/notify/pagerduty-webhook';
import { incidentAlertKey, incidentOfAlertKey } from '../../src/infra/notify/paging';

const hook = (
  eventType: string,
  key: string | null,
  agent: object | null = { type: 'user_reference', summary: 'Erin  Oncall' },
) =>
  JSON.stringify({
    event: { event_type: eventType, resource_type: 'incident', agent, data: { type: 'incident', incident_key: key } },
  });

describe('the signature', () => {
  const body = hook('incident.acknowledged', 'pgwarden:incident:dr-shop-1');
  it.each([
    ['the one signature', pagerDutySignature('s3cret', body), null],
    ['one of two while the secret rotates', `${pagerDutySignature('old', body)}, ${pagerDutySignature('s3cret', body)}`, null],
    ['another secret', pagerDutySignature('other', body), 'no signature that matches PAGERDUTY_WEBHOOK_SECRET'],
    ['another body', pagerDutySignature('s3cret', body + ' '), 'no signature that matches PAGERDUTY_WEBHOOK_SECRET'],
    ['none', undefined, 'no X-PagerDuty-Signature'],
    ['a malformed one', 'v1=abc', 'no signature that matches PAGERDUTY_WEBHOOK_SECRET'],
  ])('%s', (_, header, problem) => {
    expect(pagerDutyRequestProblem('s3cret', header, body)).toBe(problem);
  });
});

describe('what an event asks', () => {
  it.each([
    [
      hook('incident.acknowledged', 'pgwarden:incident:dr-shop-1'),
      { kind: 'ack', incidentId: 'dr-shop-1', by: 'pagerduty:Erin Oncall' },
    ],
    [
      hook('incident.acknowledged', 'pgwarden:incident:dr-shop-1', null),
      { kind: 'ack', incidentId: 'dr-shop-1', by: 'pagerduty:someone' },
    ],
    [
      hook('incident.acknowledged', 'pgwarden:incident:dr-shop-1', { type: 'service_reference', summary: 'an API' }),
      { kind: 'ack', incidentId: 'dr-shop-1', by: 'pagerduty:someone' },
    ],
    [hook('incident.acknowledged', 'pgwarden:backup:shop'), { kind: 'ignored', why: 'not the page of a pgwarden incident' }],
    [hook('incident.acknowledged', 'pgwarden:incident:'), { kind: 'ignored', why: 'not the page of a pgwarden incident' }],
    [hook('incident.acknowledged', null), { kind: 'ignored', why: 'not the page of a pgwarden incident' }],
    [
      hook('incident.resolved', 'pgwarden:incident:dr-shop-1'),
      { kind: 'ignored', why: "a resolved page does not end the recovery: the incident's runbook does (pgwarden dr resume)" },
    ],
    [hook('incident.annotated', 'pgwarden:incident:dr-shop-1'), { kind: 'ignored', why: 'incident.annotated is not acted on' }],
    ['{not json', { kind: 'ignored', why: 'not JSON' }],
  ])('%s', (body, expected) => {
    expect(readPagerDutyHook(body)).toEqual(expected);
  });

  it('reads back the alert key the pager was given', () => {
    expect(incidentOfAlertKey(incidentAlertKey('dr-shop-20261207T010000Z'))).toBe('dr-shop-20261207T010000Z');
  });
});

describe("the console's answer", () => {
  const backend = (act: ConsoleBackend['act']) => ({ act }) as unknown as ConsoleBackend;
  const ack = hook('incident.acknowledged', 'pgwarden:incident:dr-shop-1');
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);

  it.each([
    ['acknowledged', async () => ({}) as never, { status: 200, text: 'acknowledged dr-shop-1 as pagerduty:Erin Oncall' }],
    [
      'refused (already acknowledged): nothing to send again',
      async () => {
        throw new ActionRefused('already acknowledged by bob');
      },
      { status: 200, text: 'not acknowledged: already acknowledged by bob' },
    ],
    [
      "another deployment's incident",
      async () => {
        throw new WorkflowNotFoundError('not found', 'dr-shop-1', undefined);
      },
      { status: 200, text: 'ignored: no incident dr-shop-1 here' },
    ],
    [
      'Temporal out of reach: PagerDuty should send it again',
      async () => {
        throw new Error('14 UNAVAILABLE: connection refused\nmore');
      },
      { status: 503, text: 'Temporal not reached (14 UNAVAILABLE: connection refused): PagerDuty sends it again' },
    ],
  ])('%s', async (_, act, expected) => {
    expect(await answerPagerDuty(ack, backend(act), log)).toEqual(expected);
  });

  it('answers within PagerDuty’s 5 s when the incident is slow, and logs how it ended', async () => {
    jest.useFakeTimers();
    try {
      let finish!: () => void;
      const slow = backend(() => new Promise((r) => (finish = () => r({} as never))));
      const answering = answerPagerDuty(ack, slow, log);
      await jest.advanceTimersByTimeAsync(3600);
      expect(await answering).toEqual({ status: 202, text: 'acknowledging dr-shop-1 as pagerduty:Erin Oncall' });
      finish();
      await jest.advanceTimersByTimeAsync(1);
      expect(lines.at(-1)).toBe('PagerDuty acknowledgement, answered late: acknowledged dr-shop-1 as pagerduty:Erin Oncall');
    } finally {
      jest.useRealTimers();
    }
  });

  it('leaves the incident alone for an event it does not act on', async () => {
    const act = jest.fn();
    expect(await answerPagerDuty(hook('incident.resolved', 'pgwarden:incident:dr-shop-1'), backend(act), log)).toMatchObject({
      status: 200,
    });
    expect(act).not.toHaveBeenCalled();
  });
});
