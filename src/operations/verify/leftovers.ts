/**
 * Temporary databases of verifications, as the janitor at the start of each run sees them. A
 * verification makes its database and then, in a second statement (CREATE DATABASE takes no
 * transaction), writes its run into the comment; another run's janitor listing in between saw
 * a database without a comment, which reads as left by a run that died, and dropped it under
 * a running verification. A database without a comment is looked at again after a moment.
 */

/** Long beside the milliseconds between a verification's CREATE DATABASE and its COMMENT. */
export const UNMARKED_GRACE_MS = 2000;

export async function settledLeftovers<T extends { comment: string | null }>(
  list: () => Promise<T[]>,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T[]> {
  const first = await list();
  if (first.every((d) => d.comment)) return first;
  await wait(UNMARKED_GRACE_MS);
  return list();
}
