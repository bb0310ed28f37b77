/**
 * The pg_receivewal or pg_basebackup a server is streamed with, asked for its version before
 * it runs, and why it cannot stream from that server (older than it), for the caller to
 * refuse in one line naming the tools to install (exit 78): not a process that exits at once
 * on every retry.
 */
import { installedBinDir, pgProgram } from './binaries';
import { toolVersion } from './tool-version';
import { parseToolMajor, serverMajor, streamingToolProblem } from './versions';

export async function streamingTool(
  name: 'pg_receivewal' | 'pg_basebackup',
  serverVersionNum: number,
  pgBinDir?: string,
): Promise<{ program: string; version: string; problem?: string }> {
  const program = pgProgram(name, pgBinDir);
  const version = await toolVersion(name, program);
  const problem = streamingToolProblem(name, parseToolMajor(version) ?? 0, serverMajor(serverVersionNum), (major) =>
    installedBinDir(major, pgBinDir),
  );
  return { program, version, problem };
}
