/**
 * Whether a process of this host still runs, by pid: one answer for the local stack (is a
 * service it started still up) and for folder holders (does the attempt named in a folder
 * still work in it). kill(0) alone is not the truth: a zombie (exited, not yet reaped by its
 * parent) still answers it, and another user's process refuses it while running.
 */
import { readFileSync } from 'node:fs';

/** `another-user`: running, but not this user's to signal (EPERM). */
export type ProcessState = 'running' | 'gone' | 'another-user';

/**
 * The state from what kill(pid, 0) raised (undefined: nothing) and the process's
 * /proc/<pid>/stat (undefined: no /proc here, or the process left meanwhile). Pure.
 */
export function processStateFrom(killCode: string | undefined, stat: string | undefined, hasProc: boolean): ProcessState {
  if (killCode !== undefined && killCode !== 'EPERM') return 'gone';
  if (hasProc) {
    // The state letter follows the command name, which is in parentheses and may hold spaces.
    const state = stat === undefined ? undefined : /\) (\S) /.exec(stat.slice(stat.lastIndexOf(')')))?.[1];
    if (state === undefined || state === 'Z' || state === 'X') return 'gone';
  }
  return killCode === 'EPERM' ? 'another-user' : 'running';
}

export function processState(pid: number): ProcessState {
  if (!Number.isInteger(pid) || pid <= 0) return 'gone'; // 0 and negatives name process groups
  let killCode: string | undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    killCode = (err as NodeJS.ErrnoException).code ?? 'unknown';
  }
  const hasProc = procMounted();
  let stat: string | undefined;
  if (hasProc && (killCode === undefined || killCode === 'EPERM')) {
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      stat = undefined;
    }
  }
  return processStateFrom(killCode, stat, hasProc);
}

let procChecked: boolean | undefined;
function procMounted(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync('/proc/self/stat', 'utf8');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}
