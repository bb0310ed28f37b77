/**
 * The way pgwarden runs a long external program whose output is streamed (pg_dump,
 * pg_dumpall): no shell, explicit environment, stderr kept (its tail) for the error
 * message, and a kill that works whether or not the program is still writing.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { CommandError } from './run-command';

export interface StreamingProcess {
  stdout: Readable;
  /** Resolves when the program exits, with its status and the tail of its stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
  /** Stops (SIGSTOP) or continues (SIGCONT) it: a writer its reader cannot keep up with waits. */
  pause(paused: boolean): void;
}

export function spawnStreaming(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  /** Each complete line the program writes on stderr, as it comes (pg_basebackup's progress and WAL points). */
  onStderrLine?: (line: string) => void,
  /** It is killed when the worker dies (see endsWithWorker): for a program that may be paused. */
  options: { endsWithWorker?: boolean } = {},
): StreamingProcess {
  const [program, programArgs] = options.endsWithWorker ? endsWithWorker(command, args) : [command, args];
  const child = spawn(program, programArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
    if (!onStderrLine) return;
    const lines = (partial + s).split(/\r?\n|\r/);
    partial = lines.pop()!.slice(-4000);
    for (const line of lines) if (line) onStderrLine(line);
  });
  child.stderr.once('end', () => {
    if (onStderrLine && partial) onStderrLine(partial);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once('error', (err) =>
      resolve({
        code: null,
        signal: null,
        stderr: `${err.message}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (not found)' : ''}`,
      }),
    );
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    stdout: child.stdout,
    exited,
    kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // A stopped program acts on the SIGTERM only once continued.
      child.kill('SIGCONT');
    },
    pause(paused) {
      if (child.exitCode === null && child.signalCode === null) child.kill(paused ? 'SIGSTOP' : 'SIGCONT');
    },
  };
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * The program run under util-linux's `setpriv --pdeathsig KILL` where there is one (every
 * Debian): a worker killed while the program is stopped (SIGSTOP, a spool's writer waiting for
 * its upload) would otherwise leave it stopped for ever, holding its server connection, since
 * nothing continues a stopped orphan whose process group was orphaned already.
 */
export function endsWithWorker(command: string, args: string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
}

/**
 * Runs a program to completion, optionally feeding it a stream on stdin; rejects with the
 * tail of its stderr when it fails. An abort signal kills it.
 */
export async function runToCompletion(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: {
    stdin?: Readable;
    signal?: AbortSignal;
    /** Read the input to its end even when the program succeeds without reading all of it. */
    readAll?: boolean;
  } = {},
): Promise<void> {
  const child = spawn(command, args, { env, stdio: [options.stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const kill = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', kill, { once: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  // A failed input (a download cut short, a checksum that does not match) fails the run even
  // if the program exits 0 on the truncated input; it is stopped before it can finish.
  let inputError: Error | undefined;
  if (options.stdin) {
    options.stdin.on('error', (err) => {
      inputError ??= err;
      kill();
      child.stdin!.destroy();
    });
    child.stdin!.on('error', () => undefined); // the program may exit before reading everything
    options.stdin.pipe(child.stdin!);
  }
  const result = await exited;
  options.signal?.removeEventListener('abort', kill);
  if (options.stdin && !options.stdin.readableEnded) {
    // A program that succeeded without reading all its input (pg_restore stops after its last
    // data block): the rest is still read, so a check at the input's end (the manifest's size
    // and digests, the last chunk's authentication) runs before the load counts as complete.
    if (options.readAll && result.code === 0 && !inputError) inputError = await drain(options.stdin, child.stdin!);
    // Otherwise what still feeds it (a download, a decompressor) is stopped, not left waiting.
    else options.stdin.destroy();
  }
  if (inputError) throw inputError;
  if (result.code !== 0) {
    const why = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit ${result.code}`;
    const last = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    // Its stderr's tail kept beside the message: a cause may be said above the last lines (a parallel pg_restore's worker).
    throw new CommandError(`${command.split('/').pop()} failed (${why})${last ? `: ${last}` : ''}`, result.code, stderr);
  }
}

/** Reads what the program left of its input to the end; the input's own error, if any. */
async function drain(input: Readable, programStdin: Writable): Promise<Error | undefined> {
  input.unpipe(programStdin);
  try {
    for await (const chunk of input) void chunk;
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/**
 * A child's exit as a promise, for programs wired to each other directly (one's stdout the
 * next one's stdin): resolves on status 0, rejects with the tail of its stderr otherwise.
 */
export function childExit(child: ChildProcess, name: string): Promise<void> {
  let said = '';
  child.stderr?.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${name} could not run: ${err.message}`)));
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${name} failed (${signal ?? `exit ${code}`})${said.trim() ? `: ${said.trim()}` : ''}`)),
    );
  });
}
