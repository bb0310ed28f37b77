/**
 * pgwarden's failure vocabulary: one table of failure types, from which the error classes'
 * exit codes and default retryability derive. Activities raise the classes as Temporal
 * ApplicationFailures whose `type` is the class name (activities/failures.ts), non-retryable
 * unless the instance says a retry can help, so workflows never list error types; the CLI maps
 * a failed workflow back to the same exit code. Messages never contain secrets: callers pass
 * names and ids, never values. Workflow-safe (no I/O).
 */
import { ExitCode, ExitCodeValue } from './exit-codes';

interface FailureKind {
  exitCode: ExitCodeValue;
  /** Whether a retry of the same operation could help unless the instance says otherwise. */
  retryable: boolean;
  meaning: string;
}

export const FAILURE_TYPES = {
  BackupError: { exitCode: ExitCode.GeneralFailure, retryable: false, meaning: 'a backup, verification or restore failed' },
  IntegrityError: {
    exitCode: ExitCode.GeneralFailure,
    retryable: false,
    meaning: 'a stored object is not what its manifest recorded (replaced, damaged or missing)',
  },
  BackupNotFoundError: {
    exitCode: ExitCode.NoSuchBackup,
    retryable: false,
    meaning: 'the backup asked for does not exist (no manifest, no such old-script file)',
  },
  DatabaseConnectionError: { exitCode: ExitCode.DatabaseConnection, retryable: false, meaning: 'PostgreSQL cannot be reached' },
  StorageError: { exitCode: ExitCode.StorageFailure, retryable: false, meaning: 'S3 refused or cannot be reached' },
  EncryptionError: { exitCode: ExitCode.EncryptionFailure, retryable: false, meaning: 'a key is wrong, missing or refused' },
  WalArchiveError: {
    exitCode: ExitCode.GeneralFailure,
    retryable: false,
    meaning:
      'WAL archiving cannot go on without a gap or an overwrite (the slot ahead of the archive, a segment stored with other contents)',
  },
  CleanupError: { exitCode: ExitCode.CleanupFailure, retryable: false, meaning: 'old backups could not be removed' },
  UsageError: { exitCode: ExitCode.Usage, retryable: false, meaning: 'the command or message was malformed' },
  BusyError: { exitCode: ExitCode.Busy, retryable: false, meaning: 'another run is in the way; try later' },
  TemporalUnavailableError: { exitCode: ExitCode.TemporalUnavailable, retryable: false, meaning: 'Temporal cannot be reached' },
  NoWorkerError: {
    exitCode: ExitCode.TemporalUnavailable,
    retryable: false,
    meaning: 'no pgwarden worker polls the task queue, so nothing would happen yet',
  },
  WalFetchError: {
    exitCode: ExitCode.StopRecovery,
    retryable: false,
    meaning:
      'pgwarden wal fetch, as a restore_command, could not read a WAL file (S3, key, damaged object, configuration): recovery must stop, not end early',
  },
  ConfigError: { exitCode: ExitCode.Config, retryable: false, meaning: 'the configuration is invalid or incomplete' },
  /** Raised by RestoreWorkflow itself as an ApplicationFailure (no class): rejected or not approved in time. */
  RestoreNotApproved: { exitCode: ExitCode.NotApproved, retryable: false, meaning: 'an in-place restore was not approved' },
} as const satisfies Record<string, FailureKind>;

export type FailureType = keyof typeof FAILURE_TYPES;

export abstract class PgwardenError extends Error {
  abstract readonly type: FailureType;
  private readonly retryableOverride: boolean | undefined;
  /** `cause` keeps the underlying error for logs; only `message` reaches people. */
  constructor(message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryableOverride = options?.retryable;
  }
  get exitCode(): ExitCodeValue {
    return FAILURE_TYPES[this.type].exitCode;
  }
  /** Whether retrying the same operation could succeed (network blips, a server starting). */
  get retryable(): boolean {
    return this.retryableOverride ?? FAILURE_TYPES[this.type].retryable;
  }
}

export class BackupError extends PgwardenError {
  readonly type = 'BackupError';
}
export class IntegrityError extends PgwardenError {
  readonly type = 'IntegrityError';
}
export class BackupNotFoundError extends PgwardenError {
  readonly type = 'BackupNotFoundError';
}
export class DatabaseConnectionError extends PgwardenError {
  readonly type = 'DatabaseConnectionError';
}
export class StorageError extends PgwardenError {
  readonly type = 'StorageError';
}
export class EncryptionError extends PgwardenError {
  readonly type = 'EncryptionError';
}
export class WalArchiveError extends PgwardenError {
  readonly type = 'WalArchiveError';
}
export class CleanupError extends PgwardenError {
  readonly type = 'CleanupError';
}
export class UsageError extends PgwardenError {
  readonly type = 'UsageError';
}
export class BusyError extends PgwardenError {
  readonly type = 'BusyError';
}
export class TemporalUnavailableError extends PgwardenError {
  readonly type = 'TemporalUnavailableError';
}
export class NoWorkerError extends PgwardenError {
  readonly type = 'NoWorkerError';
}
export class WalFetchError extends PgwardenError {
  readonly type = 'WalFetchError';
}
/** Configuration problems, one line each, reported together so a user fixes them in one go. */
export class ConfigError extends PgwardenError {
  readonly type = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** The exit code for a failure type name (an error class name or an ApplicationFailure type). */
export function exitCodeForFailureType(type: string | undefined | null): ExitCodeValue {
  return type && Object.hasOwn(FAILURE_TYPES, type) ? FAILURE_TYPES[type as FailureType].exitCode : ExitCode.GeneralFailure;
}
