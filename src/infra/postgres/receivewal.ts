/**
 * PostgreSQL's own `pg_receivewal`, run as a resident process: it streams WAL into a folder,
 * one file per segment, the open one named `.partial`. pgwarden ships the files and manages
 * the replication slot itself, so pg_receivewal runs without one (its own slot reports would
 * move the slot past WAL that is only on this host's disk).
 */
import { spawn } from 'node:child_process';

export interface ReceiveWal {
  /** Resolves when pg_receivewal exits, with its status and the tail of what it said. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; said: string }>;
  /** Asks it to finish (SIGINT: it flushes the open segment and exits 0) and waits. */
  stop(): Promise<void>;
  running(): boolean;
}

export function startReceiveWal(options: {
  /** The pg_receivewal to run (streamingTool: checked against the server). */
  program: string;
  folder: string;
  env: NodeJS.ProcessEnv;
  /** Flush and report every write (for a synchronous_standby_names quorum). */
  synchronous: boolean;
}): ReceiveWal {
  const child = spawn(
    options.program,
    [
      `--directory=${options.folder}`,
      '--no-password',
      // Exit on a lost connection: the activity fails and Temporal retries it from the archive and slot.
      '--no-loop',
      '--status-interval=1',
      ...(options.synchronous ? ['--synchronous'] : []),
    ],
    { env: options.env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let said = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (said = (said + s).slice(-4000)));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; said: string }>((resolve) => {
    child.once('error', (err) => {
      done = true;
      resolve({
        code: null,
        signal: null,
        said: `${err.message}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (not found)' : ''}`,
      });
    });
    child.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal, said });
    });
  });
  return {
    exited,
    running: () => !done,
    async stop() {
      if (done) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
