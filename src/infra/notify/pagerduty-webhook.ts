/**
 * PagerDuty's v3 webhooks as the console receives them: the signature (an HMAC-SHA256 of the raw
 * body with the subscription's secret, sent as `v1=<hex>`, several while a secret rotates), and
 * what an event means for a pgwarden incident. An acknowledgement in PagerDuty of an incident's
 * page acknowledges the incident; nothing else is acted on.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { incidentOfAlertKey } from './paging';

/** The signature PagerDuty sends for `body` under `secret`. */
export function pagerDutySignature(secret: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Why a request is not PagerDuty's (no signature, none matching), or null when one matches. */
export function pagerDutyRequestProblem(secret: string, header: string | undefined, body: string): string | null {
  if (!header) return 'no X-PagerDuty-Signature';
  const want = Buffer.from(pagerDutySignature(secret, body));
  const matches = header
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((got) => got.length === want.length && timingSafeEqual(got, want));
  return matches ? null : 'no signature that matches PAGERDUTY_WEBHOOK_SECRET';
}

export type PagerDutyHook =
  /** Someone acknowledged an incident's page: `by` is how the timeline names them. */
  { kind: 'ack'; incidentId: string; by: string } | { kind: 'ignored'; why: string };

interface HookBody {
  event?: {
    event_type?: string;
    agent?: { summary?: string; type?: string } | null;
    data?: { incident_key?: string | null; type?: string };
  };
}

/** What a webhook's event asks of pgwarden. Pure. */
export function readPagerDutyHook(body: string): PagerDutyHook {
  let parsed: HookBody;
  try {
    parsed = JSON.parse(body) as HookBody;
  } catch {
    return { kind: 'ignored', why: 'not JSON' };
  }
  const event = parsed.event;
  if (event?.event_type !== 'incident.acknowledged')
    return {
      kind: 'ignored',
      why:
        event?.event_type === 'incident.resolved'
          ? "a resolved page does not end the recovery: the incident's runbook does (pgwarden dr resume)"
          : `${event?.event_type ?? 'an event without a type'} is not acted on`,
    };
  const incidentId = incidentOfAlertKey(event.data?.incident_key ?? '');
  if (!incidentId) return { kind: 'ignored', why: 'not the page of a pgwarden incident' };
  // A person's name as PagerDuty shows it; an acknowledgement through PagerDuty's API or a rule has none.
  const name = event.agent?.type === 'user_reference' ? (event.agent.summary ?? '').replace(/\s+/g, ' ').trim() : '';
  return { kind: 'ack', incidentId, by: `pagerduty:${name.slice(0, 80) || 'someone'}` };
}
