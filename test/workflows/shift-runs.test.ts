/**
 * The listing a shift's review is made of, against the dev server's visibility: closed runs of
 * one task queue since a time, newest closed first, and whether it stopped at its bound.
 */
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { runsClosedSince } from '../../src/operations/dr/shift-runs';
import { devServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait';

it('lists the closed runs of its task queue newest first, and says when it stopped at its bound', async () => {
  const { client } = await devServer();
  const taskQueue = uniqueTaskQueue('shift-runs');
  const since = new Date(Date.now() - 1000).toISOString();
  // No worker serves the queue: terminated, each run is closed without running.
  const ids: string[] = [];
  for (const type of [WorkflowType.backup, WorkflowType.verify, WorkflowType.cleanup]) {
    const run = await client.workflow.start(type, { taskQueue, workflowId: `shift-runs-${uniqueSuffix()}`, args: [{}] });
    await run.terminate('a test');
    ids.push(run.workflowId);
  }
  // Open runs are not listed.
  const open = await client.workflow.start(WorkflowType.backup, {
    taskQueue,
    workflowId: `shift-runs-open-${uniqueSuffix()}`,
    args: [{}],
  });
  try {
    const all = await waitFor('visibility to list the three closed runs', async () => {
      const read = await runsClosedSince(client, taskQueue, since);
      return read.runs.length === 3 && read;
    });
    expect(all.complete).toBe(true);
    expect(all.runs.map((r) => r.workflowId)).toEqual([...ids].reverse());
    expect(all.runs.map((r) => r.outcome)).toEqual(['terminated', 'terminated', 'terminated']);
    // Stopped at its bound: the newest runs, and said so.
    const cut = await runsClosedSince(client, taskQueue, since, 2);
    expect(cut).toEqual({ runs: all.runs.slice(0, 2), complete: false });
    // Exactly as many as the bound: nothing was left unread.
    expect(await runsClosedSince(client, taskQueue, since, 3)).toEqual(all);
    expect(await runsClosedSince(client, taskQueue, new Date().toISOString())).toEqual({ runs: [], complete: true });
  } finally {
    await open.terminate('test over');
  }
});
