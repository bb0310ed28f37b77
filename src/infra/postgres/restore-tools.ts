/**
 * The client tools a restore or verify loads a backup with, and whether they can: asked before
 * a byte is downloaded, so a version mismatch is one line up front, not a pg_restore error
 * after the transfer (restoreToolProblem says which combinations fail). With versions installed
 * side by side, the newest that fits the backup and the server is chosen.
 */
import type { Client } from 'pg';
import type { CompressionAlgorithm } from '../compression/compression';
import { installedBinDir, pgProgram } from './binaries';
import { readServerMajor } from './client';
import { restoreReads } from './dump-compression';
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
 * `insideArchive` is the compression pg_dump applied inside the archive (archiveCompressionOf).
 */
export async function restoreTools(
  admin: Client,
  pgDump: { format: 'custom' | 'plain'; version: string } | undefined,
  pgBinDir: string | undefined,
  insideArchive: CompressionAlgorithm | undefined,
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
  const problem = restoreToolProblem(parseToolMajor(version), dumpMajor, server, installed);
  if (problem || !insideArchive || (await restoreReads(pgRestore, insideArchive))) return { pgRestore, psql, problem };
  return { pgRestore, psql, problem: unreadableCompression(pgRestore, insideArchive) };
}

/** Said for a pg_restore whose build lacks the archive's compression: 16 would load no rows, 18 fails after the download. */
function unreadableCompression(pgRestore: string, algorithm: CompressionAlgorithm): string {
  return (
    `this backup's archive is compressed with ${algorithm} inside it, and ${pgRestore} was built without ${algorithm}; ` +
    `point PG_BIN_DIR at PostgreSQL client tools built with ${algorithm} (Debian's and the PGDG packages are)`
  );
}
