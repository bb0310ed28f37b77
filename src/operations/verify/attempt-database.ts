/**
 * The database one attempt of a test restore loads into. Each attempt of a run has its own:
 * an attempt the server gave up on (its heartbeats stopped reaching it, as in a Temporal
 * outage) may still be loading, and must neither load into nor drop the database of the
 * attempt that replaced it, which would then report a failure the backup never had. The
 * first attempt keeps the run's name. Pure.
 */
export function attemptDatabase(runDatabase: string, attempt: number): string {
  return attempt > 1 ? `${runDatabase}_${attempt}` : runDatabase;
}

/** The databases the run's earlier attempts loaded into: a retry drops them (and stops such a stray attempt) before it loads. */
export function earlierAttemptDatabases(runDatabase: string, attempt: number): string[] {
  return Array.from({ length: Math.max(0, attempt - 1) }, (_, i) => attemptDatabase(runDatabase, i + 1));
}
