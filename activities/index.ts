/**
 * All of pgwarden's activities, made from their dependencies. Workflows import only the
 * type: `proxyActivities<Activities>()`.
 */
import { ActivityDeps } from './deps';
import { typedFailures } from './failures';
import { preflightActivity } from './preflight';

export function createActivities(deps: ActivityDeps) {
  return {
    preflight: typedFailures(preflightActivity(deps)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { PreflightInput, PreflightReport } from './preflight';
