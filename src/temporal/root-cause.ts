/**
 * The innermost cause of a failure chain (ActivityFailure → ApplicationFailure → ...): the line
 * people should read in a notice or timeline, and the type that picks the CLI's exit code.
 * Workflow-safe: no I/O, no Node built-ins.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

export function rootCauseMessage(err: unknown): string {
  let cause = err as { cause?: unknown; message?: string } | undefined;
  while (cause?.cause) cause = cause.cause as typeof cause;
  return cause?.message ?? String(err);
}

/** The typed error behind an activity failure: its type (a pgwarden error class name) and message. */
export function rootCause(err: unknown): { errorType: string; message: string } {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return { errorType: cause.type ?? 'Error', message: cause.message };
  return { errorType: (cause as Error)?.name ?? 'Error', message: (cause as Error)?.message ?? String(cause) };
}
