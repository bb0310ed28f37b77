import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { isOverState, runIsDead, runState, type RunState } from '../../src/infra/temporal/run-state';

/** A client whose describe answers as `answer` says: a status, or an error. */
const clientAnswering = (answer: string | Error): Client =>
  ({
    workflow: {
      getHandle: () => ({
        describe: async () => {
          if (answer instanceof Error) throw answer;
          return { status: { name: answer } };
        },
      }),
    },
  }) as unknown as Client;

const run = { workflowId: 'verify-shop-1', runId: 'r1' };

describe('what a run that left something behind is, and whether its leftovers may go', () => {
  it.each<[string, string | Error, RunState, boolean, boolean]>([
    ['running', 'RUNNING', 'running', false, false],
    ['completed', 'COMPLETED', 'completed', false, true],
    ['failed', 'FAILED', 'ended', true, true],
    ['terminated', 'TERMINATED', 'ended', true, true],
    ['timed out', 'TIMED_OUT', 'ended', true, true],
    // Another deployment's run on a shared test-restore server (or one past retention): its janitor's to judge.
    ['unknown to this Temporal', new WorkflowNotFoundError('not found', run.workflowId, run.runId), 'gone', false, false],
    // The bug: a blip read as "not running" dropped a running verification's database.
    ['Temporal out of reach', new Error('14 UNAVAILABLE: connection refused'), 'unknown', false, false],
  ])('%s', async (_, answer, state, dead, over) => {
    const client = clientAnswering(answer);
    expect(await runState(client, run)).toBe(state);
    expect(await runIsDead(client, run)).toBe(dead);
    expect(isOverState(state)).toBe(over);
  });
});
