/**
 * The worker's logger: every line to stderr as the SDK's default logger writes it, and the lines
 * of backups, restores and notices also to their log files (BACKUP_LOG_FILE, RESTORE_LOG_FILE,
 * NOTIFICATION_LOG_FILE), as the strategy's scripts kept them.
 */
import { closeSync, openSync } from 'node:fs';
import { DefaultLogger, LogLevel, LogMetadata, LogTimestamp, Logger } from '@temporalio/worker';
import { ConfigError } from '../../infra/errors/errors';
import { LogFiles, logWriter } from '../../infra/logs/operation-logs';

const VARIABLE: Record<keyof LogFiles, string> = {
  backup: 'BACKUP_LOG_FILE',
  restore: 'RESTORE_LOG_FILE',
  notification: 'NOTIFICATION_LOG_FILE',
};

/** Each log file can be appended to, checked before the worker takes work: one line per file that cannot. */
export function checkLogFiles(files: LogFiles): void {
  const problems: string[] = [];
  for (const [kind, path] of Object.entries(files) as Array<[keyof LogFiles, string | undefined]>) {
    if (!path) continue;
    try {
      closeSync(openSync(path, 'a', 0o640));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      problems.push(
        `${VARIABLE[kind]}: cannot append to ${path} (${code}): create its folder, or let the worker's user write there`,
      );
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

export function workerLogger(files: LogFiles): Logger {
  const stderr = new DefaultLogger('INFO');
  const append = logWriter(files);
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    stderr.log(level, message, meta);
    if (level === 'TRACE' || level === 'DEBUG') return;
    const { [LogTimestamp]: nanos, ...rest } = (meta ?? {}) as LogMetadata & { [LogTimestamp]?: bigint };
    append(nanos ? new Date(Number(nanos / 1_000_000n)) : new Date(), level, message, rest as Record<string, unknown>);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}
