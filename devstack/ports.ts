/** Picks loopback ports for the local stack that nothing else is listening on. */
import { ephemeralPort, isPortFree } from '../src/infra/net/ports';

/**
 * The preferred port when it is free and not already taken by this allocation, else a free
 * one. Preferred ports keep URLs (Temporal UI, S3) stable from run to run.
 */
export async function allocatePort(preferred: number, taken: Set<number>): Promise<number> {
  let port = preferred;
  while (taken.has(port) || !(await isPortFree(port))) port = await ephemeralPort();
  taken.add(port);
  return port;
}
