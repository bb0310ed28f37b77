/**
 * Exit codes of the `pgwarden` CLI. 1-5 are the strategy document's (backup-strategy.md,
 * "Error Codes") so existing alerting on the old scripts keeps working; the rest follow
 * sysexits.h for failures the old scripts never distinguished.
 */
export const ExitCode = {
  Ok: 0,
  /** General backup failure (strategy: exit code 1). */
  GeneralFailure: 1,
  /** Database connection failure (strategy: exit code 2). */
  DatabaseConnection: 2,
  /** S3 upload / storage failure (strategy: exit code 3). */
  StorageFailure: 3,
  /** Encryption failure, including a wrong or missing key (strategy: exit code 4). */
  EncryptionFailure: 4,
  /** Cleanup failure (strategy: exit code 5). */
  CleanupFailure: 5,
  /** Bad command-line input (EX_USAGE). */
  Usage: 64,
  /** The backup asked for does not exist (EX_NOINPUT). */
  NoSuchBackup: 66,
  /** The Temporal service cannot be reached (EX_UNAVAILABLE). */
  TemporalUnavailable: 69,
  /** Another run is in the way, e.g. a backup of the same database is running; try later (EX_TEMPFAIL). */
  Busy: 75,
  /** An in-place restore was rejected or not approved in time; nothing was changed (EX_NOPERM). */
  NotApproved: 77,
  /** Invalid or missing configuration (EX_CONFIG). */
  Config: 78,
  /**
   * `pgwarden wal fetch` (a restore_command) could not read a file the archive may hold: above
   * 125, so PostgreSQL stops recovering instead of taking it for the end of the WAL and promoting.
   */
  StopRecovery: 126,
  /** Ctrl-C while the CLI followed a run (128 + SIGINT): the run goes on in Temporal. */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
