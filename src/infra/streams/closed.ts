/**
 * A stream ended for good: destroyed, and once it has closed. A file stream still opening its
 * file when the work failed makes the file after that failure; a caller that removes the file
 * waits for this first, or the file comes back after its clean-up.
 */
import type { Writable } from 'node:stream';

export async function closedForGood(stream: Writable): Promise<void> {
  if (stream.closed) return;
  const closing = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.destroy();
  await closing;
}
