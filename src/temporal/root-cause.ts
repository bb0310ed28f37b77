/**
 * The innermost message of a failure chain (ActivityFailure → ApplicationFailure → ...): the
 * line people should read in a notice or timeline. Workflow-safe: no I/O, no Node built-ins.
 */
export function rootCauseMessage(err: unknown): string {
  let cause = err as { cause?: unknown; message?: string } | undefined;
  while (cause?.cause) cause = cause.cause as typeof cause;
  return cause?.message ?? String(err);
}
