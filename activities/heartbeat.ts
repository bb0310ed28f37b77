/**
 * Heartbeats with progress a person can read while long work runs, often enough that the
 * activity's heartbeat timeout never passes in silence, however long one transfer takes.
 */
import { Context } from '@temporalio/activity';

const MOST_SECONDS_BETWEEN_BEATS = 5;

/** Beats at once, then every few seconds (at most a third of the heartbeat timeout) until `work` settles. */
export async function whileBeating<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timeoutMs = ctx.info.heartbeatTimeoutMs ?? 0;
  const everyMs = Math.max(200, Math.min(MOST_SECONDS_BETWEEN_BEATS * 1000, timeoutMs > 0 ? timeoutMs / 3 : Infinity));
  ctx.heartbeat(details());
  const ticker = setInterval(() => ctx.heartbeat(details()), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}

/**
 * Runs `work` with a `beat(summary)` saying where it is: each new summary is heartbeated at
 * once, and the latest again every few seconds while a step runs long (an unpacking, a
 * pg_verifybackup, a replay), so a worker is only taken for dead when it is.
 */
export function beatingWithSummary<T>(work: (beat: (summary: string) => void) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  let summary = 'starting';
  return whileBeating(
    () => ({ summary }),
    () =>
      work((said) => {
        summary = said;
        ctx.heartbeat({ summary });
      }),
  );
}
