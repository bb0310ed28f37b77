/**
 * The one way pgwarden runs a short external command (pg_dump --version, psql -c ...):
 * arguments as an array (no shell), an environment passed explicitly, a time limit, and a
 * failure message that names the command and the tail of its stderr.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: string | number | null,
    readonly stderr: string,
    /** What it wrote before failing (pg_waldump lists records up to a damaged one). */
    readonly stdout = '',
  ) {
    super(message);
  }
}

export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number; signal?: AbortSignal } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // Cancelled: the program is stopped rather than left to run to its end (hours for a large
    // pg_verifybackup), and the caller gets the cancellation's reason.
    if (options.signal?.aborted) return reject(options.signal.reason);
    execFile(
      command,
      args,
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        // Another user for programs that refuse root (PostgreSQL); only when given.
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        if (options.signal?.aborted) return reject(options.signal.reason);
        const code = (err as NodeJS.ErrnoException).code ?? null;
        const reason = code === 'ENOENT' ? 'not found on PATH' : stderr.trim().split('\n').slice(-3).join(' | ') || err.message;
        reject(new CommandError(`${command} failed: ${reason}`, code, stderr, stdout));
      },
    );
  });
}
