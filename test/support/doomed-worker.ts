/**
 * A `pgwarden worker` process in a process group of its own, so a test can kill it the way a
 * machine dies; and the highest activity attempt a run's history shows, to prove a retry.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { envFile, repoRoot } from '../../devstack/paths';

export function startDoomedWorker(overrides: Record<string, string>): { killHard(): void } {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'pgwarden'), 'worker'], {
    env: { PATH: process.env.PATH, PGWARDEN_CONFIG: envFile, ...overrides },
    detached: true,
    stdio: 'ignore',
  });
  return { killHard: () => process.kill(-child.pid!, 'SIGKILL') };
}

export async function highestAttempt(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
  return Math.max(...attempts);
}
