/**
 * Which pg_dump (and pg_dumpall) may run against some servers. With versions installed side by
 * side, the newest whose dumps each server can give and take back (dumpCompatibility): a
 * backup's server, or a table recovery's copy and the live server it loads into. With one
 * version installed there is nothing to choose and no server is asked.
 */
import { toolsVary } from './binaries';
import type { DatabaseTarget } from '../config/databases';
import { connectDatabase, readServerMajor } from './client';
import { dumpFits } from './versions';

export async function dumpToolsFit(servers: DatabaseTarget[], pgBinDir?: string): Promise<(major: number) => boolean> {
  if (!toolsVary(pgBinDir)) return () => true;
  const majors = await Promise.all(servers.map(serverMajorOf));
  return dumpFits(majors);
}

/** The server's major version, over a connection of its own. */
async function serverMajorOf(target: DatabaseTarget): Promise<number> {
  const client = await connectDatabase(target);
  try {
    return await readServerMajor(client);
  } finally {
    await client.end();
  }
}
