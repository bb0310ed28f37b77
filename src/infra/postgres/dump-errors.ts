/**
 * What a failed pg_dump / pg_dumpall run means, from its exit status and stderr: a typed
 * error with the program's own last words and what to do, retryable only when a retry can
 * help (the server restarting, a dropped connection).
 */
import { BackupError, DatabaseConnectionError, PgwardenError } from '../errors/errors';
import { isLockTableFull, lockTableProblem } from './lock-table';
import { isRecoveryConflict, recoveryConflictProblem } from './standby';
import { poolerFullAdvice } from './pooler-limits';

export function classifyDumpFailure(
  program: string,
  result: { code: number | null; signal: NodeJS.Signals | null; stderr: string },
): PgwardenError {
  const lines = result.stderr.trim().split('\n').filter(Boolean);
  const last = lines.filter((l) => /error|fatal/i.test(l)).pop() ?? lines.pop() ?? '';
  const status = result.signal ? `killed by ${result.signal}` : result.code === null ? 'could not start' : `exit ${result.code}`;
  const said = last ? `: ${last.replace(/^(pg_dump|pg_dumpall|pg_basebackup): (error: )?/, '')}` : '';
  const text = `${program} failed (${status})${said}`;
  if (result.code === null && !result.signal)
    return new BackupError(`${text}; install the PostgreSQL client tools on the worker or set PG_BIN_DIR`);
  if (/permission denied/i.test(result.stderr)) {
    return new BackupError(`${text}; grant the backup user read access (e.g. the pg_read_all_data role) or use another user`);
  }
  if (/server version mismatch/i.test(result.stderr)) {
    return new BackupError(`${text}; install a pg_dump at least as new as the server, or set PG_BIN_DIR`);
  }
  if (/invalid snapshot identifier|could not import the requested snapshot/i.test(result.stderr)) {
    return new BackupError(`${text}; the snapshot was released early, retrying`, { retryable: true });
  }
  // Other sessions may let their locks go before a retry; the setting is what makes it certain.
  if (isLockTableFull(result.stderr)) {
    return new BackupError(lockTableProblem(text), { retryable: true });
  }
  // Before the connection errors: recovery may end the dump's session ("terminating connection").
  if (isRecoveryConflict(result.stderr)) {
    return new BackupError(recoveryConflictProblem(text), { retryable: true });
  }
  // Before the other connection failures: the server is up, its connection slots are not free.
  if (
    /too many clients already|remaining connection slots are reserved|too many connections for (role|database)/i.test(
      result.stderr,
    )
  ) {
    return new DatabaseConnectionError(
      `${text}; the server has no connection free for it: raise max_connections (or the role's or database's CONNECTION LIMIT), or free connections (a backup takes BACKUP_JOBS + 2)`,
      { retryable: true },
    );
  }
  // A pooler between them with no room: its pool's size, not the server, is what to change.
  const poolerFull = poolerFullAdvice(result.stderr);
  if (poolerFull) return new DatabaseConnectionError(`${text}; ${poolerFull}`, { retryable: true });
  if (
    /could not connect|connection to server .*failed|server closed the connection|terminating connection|the database system is (starting up|shutting down)/i.test(
      result.stderr,
    )
  ) {
    return new DatabaseConnectionError(`${text}; check that the database server is up`, { retryable: true });
  }
  return new BackupError(text, { retryable: true });
}
