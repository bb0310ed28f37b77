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
import { latestStatus, STATUS_WAIT_MS } from './latest-status';

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

/**
 * On a terminal, asks for a name as confirmation; elsewhere says how to approve. `signal` takes
 * the question back when the run is decided elsewhere (another operator, the timeout).
 */
export async function askApproval(handle: WorkflowHandle, q: ApprovalQuestion, signal?: AbortSignal): Promise<void> {
  if (!process.stdin.isTTY) {
    process.stderr.write(
      `pgwarden: waiting for approval to ${q.what}: pgwarden restore --approve ${handle.workflowId} --as <name> (or --reject), or send approveRestoreSignal from the Temporal UI\n`,
    );
    return;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = (await rl.question(`${q.question} Type ${q.expected} to approve: `, { signal })).trim();
  } catch (err) {
    if (signal?.aborted) {
      process.stderr.write('\n');
      return;
    }
    throw err;
  } finally {
    rl.close();
  }
  const ok = answer === q.expected;
  await handle
    .executeUpdate(ok ? approveRestoreUpdate : rejectRestoreUpdate, {
      args: [{ by: q.by, note: ok ? 'confirmed at the CLI prompt' : 'not confirmed at the CLI prompt' }],
    })
    .catch((err: unknown) => {
      // Decided elsewhere between the question and the answer: said, and the run followed on.
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      process.stderr.write(`pgwarden: your answer was not taken: ${(err.cause as Error)?.message ?? err.message}\n`);
    });
}

/**
 * Follows a run until it ends: each new step on stderr (unless quiet), and the approval asked
 * once when the run waits for one. The question is one way to decide: when the run is decided
 * elsewhere (another operator's --approve, the Temporal UI, the timeout), it is taken back and
 * the following goes on. Resolves with the run's result.
 */
export async function followWithApproval<R>(
  handle: WorkflowHandle,
  result: Promise<R>,
  options: {
    quiet?: boolean;
    describe: (s: RestoreStatus) => string;
    ask: (s: RestoreStatus, signal: AbortSignal) => Promise<void>;
  },
): Promise<R> {
  let finished = false;
  const ended = result.then(
    () => undefined,
    () => undefined,
  );
  void ended.then(() => (finished = true));
  const status = latestStatus(() => handle.query(restoreStatusQuery), STATUS_WAIT_MS);
  let lastStep = '';
  let question: { answered: Promise<void>; takeBack: AbortController } | undefined;
  let answered = false;
  /** Decided elsewhere: the question goes before the decision is printed. */
  const takeBack = async (latest: RestoreStatus | undefined) => {
    question!.takeBack.abort();
    await question!.answered;
    const s = latest?.awaitingApproval ? undefined : latest; // a status from before the decision says nothing of it
    const decision = s?.approvedBy
      ? `approved by ${s.approvedBy}`
      : s?.rejectedBy
        ? `rejected by ${s.rejectedBy}`
        : (s?.step ?? 'decided elsewhere');
    process.stderr.write(`pgwarden: ${decision}, not at this prompt\n`);
  };
  try {
    while (!finished) {
      const s = await Promise.race([status(), ended]);
      if (s && question && !answered && !s.awaitingApproval) await takeBack(s);
      if (s && s.step !== lastStep) {
        lastStep = s.step;
        if (!options.quiet) process.stderr.write(`pgwarden: ${options.describe(s)}\n`);
      }
      if (s?.awaitingApproval && !question) {
        const takeBack = new AbortController();
        question = { takeBack, answered: options.ask(s, takeBack.signal).finally(() => (answered = true)) };
      }
      // Wakes for the end, an answer at the prompt, or the next look half a second on. (A value
      // that is no promise, like an absent question, would end the race at once: the loop then
      // asked for the status as fast as the server answered.)
      const wakes: Promise<unknown>[] = [ended, new Promise((r) => setTimeout(r, 500))];
      if (question && !answered) wakes.push(question.answered);
      await Promise.race(wakes);
    }
    // The run ended (decided elsewhere, and done) between two looks at its status: its last
    // status still says who decided.
    if (question && !answered) await takeBack(await status());
  } finally {
    question?.takeBack.abort();
  }
  await question?.answered;
  return result;
}
