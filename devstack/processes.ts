/**
 * Background processes of the local stack: started detached in their own process group with
 * output to a log file, tracked by pid, stopped as a group so no child is left behind.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { processState } from '../src/infra/process/process-state';

export interface StartSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

export function startDetached(spec: StartSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
      uid: spec.uid,
      gid: spec.gid,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/**
 * Whether a service the stack started still runs. A recorded pid now held by another user's
 * process is not the service (the stack could not stop it either).
 */
export function isAlive(pid: number | undefined): boolean {
  return pid !== undefined && processState(pid) === 'running';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Signals the process group, waits, and kills it if it has not gone within the grace period. */
export async function stopProcess(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signalGroup(signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signalGroup('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

/** Polls `check` until it returns true; on time-out, names the service and shows its log. */
export async function waitUntilReady(
  name: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; logFile: string; pid?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new Error(`${name} exited during start-up; last lines of ${options.logFile}:\n${tail(options.logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(
    `${name} was not ready within ${Math.round(options.timeoutMs / 1000)}s${lastError ? ` (last check: ${lastError})` : ''}; last lines of ${options.logFile}:\n${tail(options.logFile)}`,
  );
}
