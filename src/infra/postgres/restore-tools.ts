/**
 * The client tools a restore or verify loads a backup with, and whether they can: asked before
 * a byte is downloaded, so a version mismatch is one line up front, not a pg_restore error
 * after the transfer (restoreToolProblem says which combinations fail). With versions installed
 * side by side, the newest that fits the backup and the server is chosen.
 */
import type { Client } from 'pg';
import { installedBinDir, pgProgram } from './binaries';
import { readServerMajor } from './client';
import { toolVersion } from './tool-version';
import { parseToolMajor, restoreToolProblem } from './versions';

export interface RestoreTools {
  pgRestore: string;
  psql: string;
  /** Why these tools cannot load the backup into this server; undefined when they can. */
  problem?: string;
}

/**
 * `pgDump` is the manifest's (undefined for an old script's backup: plain SQL of an unknown
 * version); plain SQL loads through psql, so only the dump's own version matters for it.
 */
export async function restoreTools(
  admin: Client,
  pgDump: { format: 'custom' | 'plain'; version: string } | undefined,
  pgBinDir?: string,
): Promise<RestoreTools> {
  const server = await readServerMajor(admin);
  const dumpMajor = pgDump && parseToolMajor(pgDump.version);
  const installed = (major: number) => installedBinDir(major, pgBinDir);
  const fits = (major: number) => restoreToolProblem(major, dumpMajor, server) === undefined;
  const pgRestore = pgProgram('pg_restore', pgBinDir, fits);
  const psql = pgProgram('psql', pgBinDir, fits);
  if (pgDump?.format !== 'custom')
    return { pgRestore, psql, problem: restoreToolProblem(undefined, dumpMajor, server, installed) };
  const version = await toolVersion('pg_restore', pgRestore);
  return { pgRestore, psql, problem: restoreToolProblem(parseToolMajor(version), dumpMajor, server, installed) };
}
