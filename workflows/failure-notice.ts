/**
 * How a run that failed tells people: its failure in the words of a notice, and a notice that
 * goes out even when the run was cancelled and never fails the run (the failure it reports does).
 */
import { CancellationScope, isCancellation, log } from '@temporalio/workflow';
import { CANCELLED, rootCause, rootCauseMessage } from '../src/infra/temporal/root-cause';

/** The failure's type and line: a cancellation said as `cancelled`, else the innermost cause. */
export function failureOf(err: unknown, cancelled: string): { errorType: string; message: string } {
  return isCancellation(err) ? { errorType: CANCELLED, message: cancelled } : rootCause(err);
}

/** A refusal of the caller's own input (exit 64, a backup that is not there: 66): told to the caller, not alerted. */
export const CALLERS_MISTAKES: readonly string[] = ['UsageError', 'BackupNotFoundError'];

/** Sends a failure's notice, cancellation or not; one that cannot go out is logged as `what`. */
export async function tellDespiteCancel(what: string, send: () => Promise<unknown>): Promise<void> {
  await CancellationScope.nonCancellable(send).catch((e: Error) => log.warn(`${what} not sent`, { error: rootCauseMessage(e) }));
}
