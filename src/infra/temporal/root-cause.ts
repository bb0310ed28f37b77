/**
 * The innermost cause of a failure chain (WorkflowFailedError → ChildWorkflowFailure →
 * ActivityFailure → ApplicationFailure): the line people should read in a notice, timeline or
 * terminal, and the type that picks the CLI's exit code. The walk follows Temporal's failure
 * chain only, so a pgwarden error's own `cause` (kept for logs) is never shown instead of its
 * message. Workflow-safe: no I/O, no Node built-ins.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';

/** The error type of a run someone cancelled, as a failure's notice and record carry it. */
export const CANCELLED = 'Cancelled';

/** The innermost failure, following `cause` while it is one of Temporal's failures. */
export function innermostFailure(err: unknown): unknown {
  let current = err;
  for (;;) {
    const cause = (current as { cause?: unknown } | undefined)?.cause;
    if (!(current instanceof TemporalFailure) && !isClientWrapper(current)) return current;
    if (cause === undefined || cause === null) return current;
    current = cause;
  }
}

/** The client's WorkflowFailedError and friends carry the failure as `cause` but are plain Errors. */
function isClientWrapper(err: unknown): boolean {
  return err instanceof Error && err.name === 'WorkflowFailedError';
}

export function rootCauseMessage(err: unknown): string {
  const cause = innermostFailure(err) as { message?: string } | undefined;
  return cause?.message ?? String(err);
}

/** The typed error behind a failure: its type (one of the failure table's) and message. */
export function rootCause(err: unknown): { errorType: string; message: string } {
  const cause = innermostFailure(err);
  if (cause instanceof ApplicationFailure) return { errorType: cause.type ?? 'Error', message: cause.message };
  return { errorType: (cause as Error)?.name ?? 'Error', message: (cause as Error)?.message ?? String(cause) };
}
