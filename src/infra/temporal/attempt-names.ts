/**
 * The name one attempt of an activity works under, where a run's attempts would otherwise
 * share one (a temporary database, a recovery folder). Each attempt has its own: an attempt
 * the server gave up on (its heartbeats stopped reaching it, as in a Temporal outage) may
 * still be running, and must neither write into nor remove what the attempt that replaced it
 * works on; in a verification that would report a failure the backup never had. The first
 * attempt keeps the run's name. Pure.
 */
export function attemptName(runName: string, attempt: number): string {
  return attempt > 1 ? `${runName}_${attempt}` : runName;
}

/** The names the run's earlier attempts worked under: a retry removes what they left (and stops one still running) first. */
export function earlierAttemptNames(runName: string, attempt: number): string[] {
  return Array.from({ length: Math.max(0, attempt - 1) }, (_, i) => attemptName(runName, i + 1));
}

/** Whether `name` is one of the run's attempt names (the run's own, or `<run>_<n>` for n > 1): what removing all of a run's leaves finds. */
export function isAttemptName(runName: string, name: string): boolean {
  if (name === runName) return true;
  const suffix = name.startsWith(`${runName}_`) ? name.slice(runName.length + 1) : '';
  return /^[1-9]\d*$/.test(suffix) && Number(suffix) > 1;
}
