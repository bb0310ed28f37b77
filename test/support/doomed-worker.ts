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

export function startDoomedWorker(overrides: Record<string, string>): DoomedWorker {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'pgwarden'), 'worker'], {
    env: { PATH: process.env.PATH, PGWARDEN_CONFIG: envFile, ...overrides },
    detached: true,
    stdio: 'ignore',
  });
  const group = -child.pid!;
  // The SDK's default worker identity.
  const identity = `${child.pid}@${hostname()}`;
  const killHard = () => {
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
      try {
        await waitFor(
          what,
          async () => {
            if (!(await ready())) return false;
            process.kill(group, 'SIGSTOP');
            if (await stepRunningOn(run, identity)) return true;
            process.kill(group, 'SIGCONT');
            return false;
          },
          seconds,
        );
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

export async function highestAttempt(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
  return Math.max(...attempts);
}
