/**
 * A `pgwarden worker` process in a process group of its own, so a test can kill it the way a
 * machine dies; and the highest activity attempt a run's history shows, to prove a retry.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { envFile, repoRoot } from '../../devstack/paths';
import { rootCauseMessage } from '../../src/infra/temporal/root-cause';
import { waitFor } from './wait';

export interface DoomedWorker {
  killHard(): void;
  /**
   * Killed inside a step of `run` that it is running, once `ready` holds. The worker is frozen
   * (SIGSTOP) before the server is asked, so the step seen running cannot finish in the moment
   * before the kill: a kill between two steps retries nothing and would prove nothing.
   */
  killMidStep(run: WorkflowHandle, what: string, ready: () => Promise<boolean>, seconds?: number): Promise<void>;
}

/** How many of the worker's last stderr lines a failure quotes. */
const LAST_WORDS = 20;

export function startDoomedWorker(overrides: Record<string, string>): DoomedWorker {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'pgwarden'), 'worker'], {
    env: { PATH: process.env.PATH, PGWARDEN_CONFIG: envFile, ...overrides },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const group = -child.pid!;
  // The SDK's default worker identity.
  const identity = `${child.pid}@${hostname()}`;
  // What the worker said, and how it ended if not by our hand: a kill that never came must say why.
  const said: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    said.push(...lines.filter((l) => l.trim()));
    said.splice(0, Math.max(0, said.length - LAST_WORDS));
  });
  let killed = false;
  let ended: string | null = null;
  child.on('exit', (code, signal) => (ended = signal ? `killed by ${signal}` : `exit ${code}`));
  const lastWords = () => (said.length ? said.join('\n') : '(nothing on stderr)');
  const killHard = () => {
    killed = true;
    try {
      process.kill(group, 'SIGKILL');
    } catch (err) {
      // Killed already (a test's finally after killMidStep).
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  return {
    killHard,
    async killMidStep(run, what, ready, seconds = 120) {
      let lastLook = Date.now();
      try {
        await waitFor(
          what,
          async () => {
            if (ended && !killed) throw new Error(`the worker ended (${ended}) before ${what}; it said:\n${lastWords()}`);
            if (!(await ready())) {
              // A run that ended (failed, or finished unseen) will never get there: say so now, not at the timeout.
              if (Date.now() - lastLook > 5000) {
                lastLook = Date.now();
                const { status } = await run.describe();
                if (status.name !== 'RUNNING')
                  throw new Error(`the run ended (${await runNow(run)}) before ${what}; the worker said:\n${lastWords()}`);
              }
              return false;
            }
            process.kill(group, 'SIGSTOP');
            if (await stepRunningOn(run, identity)) return true;
            process.kill(group, 'SIGCONT');
            return false;
          },
          seconds,
        ).catch(async (err: Error) => {
          if (!err.message.startsWith('timed out')) throw err;
          throw new Error(
            `${err.message}; the run: ${await runNow(run)}; the worker (${ended ?? 'running'}) said:\n${lastWords()}`,
          );
        });
      } finally {
        // Whatever happened: a test that timed out must not leave the process behind.
        killHard();
      }
    },
  };
}

async function stepRunningOn(run: WorkflowHandle, identity: string): Promise<boolean> {
  const pending = (await run.describe()).raw.pendingActivities ?? [];
  return pending.some(
    (a) =>
      a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && a.lastWorkerIdentity === identity,
  );
}

/** The run's status and its pending steps, to tell a step never started from one missed. */
async function runNow(run: WorkflowHandle): Promise<string> {
  const { status, raw } = await run.describe();
  const steps = (raw.pendingActivities ?? []).map(
    (a) =>
      `${a.activityType?.name} ${temporal.api.enums.v1.PendingActivityState[a.state ?? 0]} attempt ${a.attempt}` +
      (a.lastWorkerIdentity ? ` on ${a.lastWorkerIdentity}` : '') +
      (a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message})` : ''),
  );
  if (status.name !== 'RUNNING')
    return `${status.name}: ${await run.result().then(
      () => 'it finished on the worker before it was seen in a step',
      (err: unknown) => rootCauseMessage(err),
    )}`;
  return `${status.name}, ${steps.length ? steps.join('; ') : 'no step pending'}`;
}

export async function highestAttempt(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
  return Math.max(...attempts);
}
