/**
 * The pg_receivewal or pg_basebackup a server is streamed with, asked for its version before
 * it runs, and why it cannot stream from that server (older than it), for the caller to
 * refuse in one line naming the tools to install (exit 78): not a process that exits at once
 * on every retry.
 */
import { ConfigError } from '../errors/errors';
import { runCommand } from '../process/run-command';
import { installedBinDir, pgProgram } from './binaries';
import { parseToolMajor, serverMajor, streamingToolProblem } from './versions';

export async function streamingTool(
  name: 'pg_receivewal' | 'pg_basebackup',
  serverVersionNum: number,
  pgBinDir?: string,
): Promise<{ program: string; version: string; problem?: string }> {
  const program = pgProgram(name, pgBinDir);
  const version = await runCommand(program, ['--version'], { timeoutMs: 10_000 }).then(
    (r) => r.stdout.trim(),
    (err: Error) => {
      throw new ConfigError([
        `${name} is not usable on this worker (${err.message}); install the PostgreSQL client tools or set PG_BIN_DIR`,
      ]);
    },
  );
  const problem = streamingToolProblem(name, parseToolMajor(version) ?? 0, serverMajor(serverVersionNum), (major) =>
    installedBinDir(major, pgBinDir),
  );
  return { program, version, problem };
}
