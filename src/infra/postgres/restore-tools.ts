/**
 * Whether the worker's PostgreSQL tools can load a backup into a server: asked before a restore
 * or verify downloads a byte, so a version mismatch is one line up front, not a pg_restore
 * error after the transfer (restoreToolProblem says which combinations fail).
 */
import type { Client } from 'pg';
import { ConfigError } from '../errors/errors';
import { runCommand } from '../process/run-command';
import { installedBinDir, pgProgram } from './binaries';
import { parseToolMajor, restoreToolProblem, serverMajor } from './versions';

/**
 * The problem, or undefined. `pgDumpVersion` is the manifest's (undefined for an old script's
 * backup); a plain-format backup loads through psql, so only the dump's own version matters.
 */
export async function restoreToolsProblem(
  admin: Client,
  backup: { format: 'custom' | 'plain'; pgDumpVersion?: string },
  pgBinDir?: string,
): Promise<string | undefined> {
  const pgRestore = pgProgram('pg_restore', pgBinDir);
  const [pgRestoreVersion, server] = await Promise.all([
    backup.format === 'custom'
      ? runCommand(pgRestore, ['--version'], { timeoutMs: 10_000 }).then(
          (r) => r.stdout.trim(),
          (err: Error) => {
            throw new ConfigError([
              `pg_restore is not usable on this worker (${err.message}); install the PostgreSQL client tools or set PG_BIN_DIR`,
            ]);
          },
        )
      : undefined,
    admin.query<{ n: string }>("SELECT current_setting('server_version_num') AS n").then((r) => serverMajor(Number(r.rows[0].n))),
  ]);
  return restoreToolProblem(
    pgRestoreVersion === undefined ? undefined : parseToolMajor(pgRestoreVersion),
    backup.pgDumpVersion === undefined ? undefined : parseToolMajor(backup.pgDumpVersion),
    server,
    installedBinDir,
  );
}
