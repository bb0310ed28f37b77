/**
 * Whether a run that left something behind (a temporary database, a decrypted file) is still
 * at work. Only runs that ended without success count as dead: a run that completed left its
 * result on purpose, and one Temporal no longer knows is left alone.
 */
import type { Client } from '@temporalio/client';

export interface RunRef {
  workflowId: string;
  runId: string;
}

export type RunState = 'running' | 'completed' | 'ended' | 'unknown';

export async function runState(client: Client, run: RunRef): Promise<RunState> {
  try {
    const d = await client.workflow.getHandle(run.workflowId, run.runId).describe();
    if (d.status.name === 'RUNNING') return 'running';
    return d.status.name === 'COMPLETED' ? 'completed' : 'ended';
  } catch {
    return 'unknown';
  }
}

/** A dead run's leftovers may go; anything else stays. */
export const runIsDead = async (client: Client, run: RunRef): Promise<boolean> => (await runState(client, run)) === 'ended';
