/** Picks loopback ports that nothing else is listening on. */
import { createServer } from 'node:net';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Any free port the kernel hands out. */
export function ephemeralPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

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
