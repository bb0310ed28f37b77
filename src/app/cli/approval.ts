/**
 * Approvals at the CLI, for every run that waits for one before changing something in place
 * (a restore over a live database, a table replaced by its recovered copy): followed while it
 * runs, asked at a terminal by typing a name, or given by another operator with
 * `pgwarden restore --approve ID` (or `--reject`), the one command for all of them.
 */
import { createInterface } from 'node:readline/promises';
import { WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { UsageError } from '../../infra/errors/errors';
import { approveRestoreUpdate, rejectRestoreUpdate, RestoreStatus, restoreStatusQuery } from '../../infra/temporal/messages';
import { CommandContext } from './context';

/** `pgwarden restore --approve|--reject ID`: the decision, sent as an Update; a refusal is one line, exit 64. */
export async function decideApproval(
  ctx: CommandContext,
  id: string,
  approve: boolean,
  by: string,
  note: string | undefined,
): Promise<void> {
  await ctx.withTemporalClient(async (client) => {
    try {
      const status = await client.workflow
        .getHandle(id)
        .executeUpdate(approve ? approveRestoreUpdate : rejectRestoreUpdate, { args: [{ by, note }] });
      process.stdout.write(`${approve ? 'approved' : 'rejected'} ${id} as ${by}; it is now: ${status.step}\n`);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new UsageError(`${id}: ${(err.cause as Error)?.message ?? err.message}`);
      if (err instanceof WorkflowNotFoundError || /already completed/.test((err as Error).message)) {
        throw new UsageError(
          `${id} is not a run waiting for approval (it has finished, or the id is wrong); see pgwarden restore --list or the Temporal UI`,
        );
      }
      throw err;
    }
  });
}

export interface ApprovalQuestion {
  /** What is about to change, for the line that says how to approve: "restore backup_... over shop". */
  what: string;
  /** The question at a terminal. */
  question: string;
  /** What must be typed to approve (a database or table name); anything else rejects. */
  expected: string;
  /** Who answers at the prompt, recorded with the decision. */
  by: string;
}

/** On a terminal, asks for a name as confirmation; elsewhere says how to approve. */
export async function askApproval(handle: WorkflowHandle, q: ApprovalQuestion): Promise<void> {
  if (!process.stdin.isTTY) {
    process.stderr.write(
      `pgwarden: waiting for approval to ${q.what}: pgwarden restore --approve ${handle.workflowId} --as <name> (or --reject), or send approveRestoreSignal from the Temporal UI\n`,
    );
    return;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = (await rl.question(`${q.question} Type ${q.expected} to approve: `)).trim();
  rl.close();
  const ok = answer === q.expected;
  await handle.executeUpdate(ok ? approveRestoreUpdate : rejectRestoreUpdate, {
    args: [{ by: q.by, note: ok ? 'confirmed at the CLI prompt' : 'not confirmed at the CLI prompt' }],
  });
}

/**
 * Follows a run until it ends: each new step on stderr (unless quiet), and the approval asked
 * once when the run waits for one. Resolves with the run's result.
 */
export async function followWithApproval<R>(
  handle: WorkflowHandle,
  result: Promise<R>,
  options: { quiet?: boolean; describe: (s: RestoreStatus) => string; ask: (s: RestoreStatus) => Promise<void> },
): Promise<R> {
  let finished = false;
  void result.finally(() => (finished = true)).catch(() => undefined);
  let lastStep = '';
  let asked = false;
  while (!finished) {
    const status = await handle.query(restoreStatusQuery).catch(() => undefined);
    if (status && status.step !== lastStep) {
      lastStep = status.step;
      if (!options.quiet) process.stderr.write(`pgwarden: ${options.describe(status)}\n`);
    }
    if (status?.awaitingApproval && !asked) {
      asked = true;
      await options.ask(status);
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
  }
  return result;
}
