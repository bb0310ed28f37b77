/**
 * Retry policies sized by how long an outage a run should ride out, rather than by a count:
 * the attempts whose waits (initial, doubling up to the longest interval) add up to at least
 * the window. Pure; workflows call it.
 */
import type { RetryPolicy } from '@temporalio/common';
export interface Backoff {
  initialSeconds: number;
  coefficient: number;
  maximumIntervalSeconds: number;
}

/** Attempts whose waits between them add up to at least `windowSeconds`. */
export function attemptsFor(windowSeconds: number, backoff: Backoff): number {
  let waited = 0;
  let wait = backoff.initialSeconds;
  let attempts = 1;
  while (waited < windowSeconds) {
    waited += wait;
    attempts++;
    wait = Math.min(wait * backoff.coefficient, backoff.maximumIntervalSeconds);
  }
  return attempts;
}

/** A Temporal retry policy that keeps trying for `windowSeconds` (one attempt when failing fast). */
export function retryPolicyFor(windowSeconds: number, backoff: Backoff, failFast: boolean): RetryPolicy {
  return {
    initialInterval: backoff.initialSeconds * 1000,
    backoffCoefficient: backoff.coefficient,
    maximumInterval: backoff.maximumIntervalSeconds * 1000,
    maximumAttempts: failFast ? 1 : attemptsFor(windowSeconds, backoff),
  };
}
