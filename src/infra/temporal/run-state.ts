/**
 * Whether a run that left something behind (a temporary database, a decrypted file) is still
 * at work. Only runs that ended without success count as dead: a run that completed left its
 * result on purpose, and one this Temporal does not know (another deployment's, or one past
 * the namespace's retention) is left alone.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

export interface RunRef {
  workflowId: string;
  runId: string;
}

/** `gone`: Temporal says it has no such run; `unknown`: Temporal could not be asked. */
export type RunState = 'running' | 'completed' | 'ended' | 'gone' | 'unknown';

export async function runState(client: Client, run: RunRef): Promise<RunState> {
  try {
    const d = await client.workflow.getHandle(run.workflowId, run.runId).describe();
    if (d.status.name === 'RUNNING') return 'running';
    return d.status.name === 'COMPLETED' ? 'completed' : 'ended';
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? 'gone' : 'unknown';
  }
}

/** A dead run's leftovers may go; anything else stays. */
export const runIsDead = async (client: Client, run: RunRef): Promise<boolean> => (await runState(client, run)) === 'ended';

/**
 * Whether this Temporal knows the run to be over, however it ended: for what only a running
 * run needs (a verification's temporary database). A run it does not know stays: on a
 * test-restore server that deployments share, that is another deployment's run, whose
 * database only its own janitor may judge. Not when Temporal cannot be asked either: a blip
 * must not take a running verification's database away.
 */
export const isOverState = (state: RunState): boolean => state === 'completed' || state === 'ended';
