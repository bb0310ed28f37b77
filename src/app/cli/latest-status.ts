/**
 * The last status a run's worker answered, for commands that follow a run. A query waits for a
 * worker to answer it: with none running (restarting, or gone) it held the follower, its clock,
 * and even the run's result, until the server gave up on the query (20 s and more). So one query
 * at a time, and never waited on longer than `waitMs`.
 */
export function latestStatus<S>(query: () => Promise<S>, waitMs: number): () => Promise<S | undefined> {
  let last: S | undefined;
  let asking: Promise<void> | undefined;
  const ask = () =>
    (asking ??= query()
      .then(
        (s) => void (last = s),
        () => undefined,
      )
      .finally(() => (asking = undefined)));
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ask(), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    return last;
  };
}

/** How long a redraw waits for a run's status before showing the last one known. */
export const STATUS_WAIT_MS = 2000;
