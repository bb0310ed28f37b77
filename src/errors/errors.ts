/**
 * pgwarden's typed failures. Each carries a one-line message a person can act on and the
 * CLI exit code it maps to. Activities raise them as Temporal ApplicationFailures whose
 * `type` is the class name, so the CLI can map a failed workflow back to the same code.
 * Messages never contain secrets: callers pass names and ids, never values.
 */
import { ExitCode, ExitCodeValue } from './exit-codes';

export abstract class PgwardenError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** Whether retrying the same operation could succeed (network blips, a server starting). */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { retryable?: boolean }) {
    super(message);
    this.name = new.target.name;
    if (options?.retryable !== undefined) this.retryable = options.retryable;
  }
}

export class BackupError extends PgwardenError {
  readonly exitCode = ExitCode.GeneralFailure;
}
/** A stored object is not what its manifest recorded (replaced, damaged or missing). */
export class IntegrityError extends PgwardenError {
  readonly exitCode = ExitCode.GeneralFailure;
}
/** The backup asked for does not exist (no manifest, no such old-script file). */
export class BackupNotFoundError extends PgwardenError {
  readonly exitCode = ExitCode.NoSuchBackup;
}
export class DatabaseConnectionError extends PgwardenError {
  readonly exitCode = ExitCode.DatabaseConnection;
}
export class StorageError extends PgwardenError {
  readonly exitCode = ExitCode.StorageFailure;
}
export class EncryptionError extends PgwardenError {
  readonly exitCode = ExitCode.EncryptionFailure;
}
export class CleanupError extends PgwardenError {
  readonly exitCode = ExitCode.CleanupFailure;
}
export class UsageError extends PgwardenError {
  readonly exitCode = ExitCode.Usage;
}
export class BusyError extends PgwardenError {
  readonly exitCode = ExitCode.Busy;
}
export class TemporalUnavailableError extends PgwardenError {
  readonly exitCode = ExitCode.TemporalUnavailable;
}
/** Configuration problems, one line each, reported together so a user fixes them in one go. */
export class ConfigError extends PgwardenError {
  readonly exitCode = ExitCode.Config;
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const exitCodeByType: Record<string, ExitCodeValue> = {
  BackupError: ExitCode.GeneralFailure,
  IntegrityError: ExitCode.GeneralFailure,
  BackupNotFoundError: ExitCode.NoSuchBackup,
  // Raised by RestoreWorkflow itself (an ApplicationFailure type, not a class).
  RestoreNotApproved: ExitCode.NotApproved,
  DatabaseConnectionError: ExitCode.DatabaseConnection,
  StorageError: ExitCode.StorageFailure,
  EncryptionError: ExitCode.EncryptionFailure,
  CleanupError: ExitCode.CleanupFailure,
  UsageError: ExitCode.Usage,
  TemporalUnavailableError: ExitCode.TemporalUnavailable,
  BusyError: ExitCode.Busy,
  ConfigError: ExitCode.Config,
};

/** The exit code for a failure type name (an error class name or an ApplicationFailure type). */
export function exitCodeForFailureType(type: string | undefined | null): ExitCodeValue {
  return (type && exitCodeByType[type]) || ExitCode.GeneralFailure;
}
