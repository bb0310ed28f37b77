/**
 * Crossing from activity code into Temporal: pgwarden's typed errors become
 * ApplicationFailures whose type is the error's class name (mapped back to an exit code by
 * the CLI) and which are non-retryable when a retry cannot help (a wrong password, a
 * missing bucket): this is the one place retryability is decided, so workflows' retry
 * policies list no error types. Anything unexpected stays retryable.
 */
import { PgwardenError } from '../src/infra/errors/errors';
import { typedFailure } from '../src/infra/temporal/failure';
import { isLockTableFull, lockTableProblem } from '../src/infra/postgres/lock-table';
import { isRecoveryConflict, recoveryConflictProblem } from '../src/infra/postgres/standby';

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof PgwardenError) {
    return typedFailure(err.type, err.message, !err.retryable);
  }
  // A query of a backup on a standby (its row counts, the snapshot's) cancelled by its recovery: what to change, retried.
  if (err instanceof Error && isRecoveryConflict(err.message)) {
    return typedFailure('BackupError', recoveryConflictProblem(err.message), false);
  }
  // A query (a backup's row counts among them) that found the server's lock table full: which setting to raise, retried.
  if (err instanceof Error && isLockTableFull(err.message)) {
    return typedFailure('BackupError', lockTableProblem(err.message), false);
  }
  return err;
}

/** Wraps an activity so every PgwardenError it throws crosses the boundary typed. */
export function typedFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}
