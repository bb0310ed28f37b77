/**
 * Whether the objects a dump stored are still the ones it stored when the manifest commits
 * the backup. Another attempt of the same run writes and removes under the same keys: one the
 * server gave up on (a worker cut off from Temporal) goes on until it hears so, and when it
 * then fails it removes what it stored. Each object says in its metadata which attempt wrote
 * it. Pure.
 */

/** The user metadata naming the attempt of the run that wrote a backup's object. */
export const ATTEMPT_METADATA = 'pgwarden-attempt';

export interface FoundObject {
  size: number | undefined;
  /** The object's ATTEMPT_METADATA, if it has one. */
  attempt: string | undefined;
}

/** What a HEAD of the object says (size and attempt), or undefined when there is none. */
export function foundObject(
  head: { ContentLength?: number; Metadata?: Record<string, string> } | undefined,
): FoundObject | undefined {
  return head && { size: head.ContentLength, attempt: head.Metadata?.[ATTEMPT_METADATA] };
}

/**
 * Why an object cannot be committed as the dump stored it, or undefined when it can. `attempt`
 * is the attempt that stored it; undefined in results recorded before objects named theirs.
 */
export function uncommittableObject(
  expected: { key: string; storedBytes: number },
  found: FoundObject | undefined,
  attempt: number | undefined,
): string | undefined {
  if (!found) return `${expected.key} is gone`;
  if (attempt !== undefined && found.attempt !== String(attempt))
    return `${expected.key} was written by ${found.attempt ? `attempt ${found.attempt}` : 'something else'} since attempt ${attempt} stored it`;
  if (found.size !== undefined && found.size !== expected.storedBytes)
    return `${expected.key} holds ${found.size} bytes where ${expected.storedBytes} were stored`;
  return undefined;
}

/** Whether a failed attempt may remove an object it stored: only while the object is still its own. */
export function stillOwnObject(found: FoundObject | undefined, attempt: number): boolean {
  return found !== undefined && found.attempt === String(attempt);
}
