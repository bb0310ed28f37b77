/**
 * The strategy's log files ("Comprehensive logging": `tail -f /var/log/pasargad_prints_backup.log`,
 * a restore log, a notification log): the worker's own log lines, each also appended to the file
 * its kind of work goes to. Which file a line belongs to is a pure decision; lines hold what the
 * worker logs anyway (never a secret), one per line, with the run they come from.
 */
import { appendFileSync } from 'node:fs';
import { WorkflowType } from '../temporal/definitions';

export type LogKind = 'backup' | 'restore' | 'notification';

export interface LogFiles {
  backup?: string;
  restore?: string;
  notification?: string;
}

/** The messages `deliver` logs for each channel a notice went to (or not). */
export const NOTICE_MESSAGES = ['notice sent', 'notification not delivered'] as const;

const BACKUP_SIDE: ReadonlySet<string> = new Set([
  WorkflowType.preflight,
  WorkflowType.backup,
  WorkflowType.verify,
  WorkflowType.cleanup,
  WorkflowType.check,
  WorkflowType.baseBackup,
  WorkflowType.walArchive,
  WorkflowType.restorePoint,
]);
const RESTORE_SIDE: ReadonlySet<string> = new Set([
  WorkflowType.restore,
  WorkflowType.pitrRestore,
  WorkflowType.pitrStop,
  WorkflowType.recoverTable,
  WorkflowType.restoreTest,
  WorkflowType.disasterRecovery,
]);

/** Which file a log line goes to, or null for the worker's own (start, polls, the SDK). Pure. */
export function logKindOf(message: string, meta: Record<string, unknown> | undefined): LogKind | null {
  if ((NOTICE_MESSAGES as readonly string[]).includes(message)) return 'notification';
  const type = meta?.workflowType;
  if (typeof type !== 'string') return null;
  if (BACKUP_SIDE.has(type)) return 'backup';
  return RESTORE_SIDE.has(type) ? 'restore' : null;
}

/** The fields that say what happened; the SDK's bookkeeping (namespace, task queue, run id, attempt) left out. */
const NOISE = new Set([
  'workflowRunId',

  'namespace',
  'taskQueue',
  'runId',
  'activityId',
  'attempt',
  'isLocal',
  'sdkComponent',
  'taskToken',
  'workflowType',
  'workflowId',
  'activityType',
]);

/** One line: time, level, the run and its activity, the message, its facts as JSON. Pure. */
export function logLine(at: Date, level: string, message: string, meta: Record<string, unknown> | undefined): string {
  const run = meta?.workflowId ? ` ${String(meta.workflowType ?? '')} ${String(meta.workflowId)}` : '';
  const activity = meta?.activityType ? ` ${String(meta.activityType)}` : '';
  const facts = Object.fromEntries(Object.entries(meta ?? {}).filter(([k, v]) => !NOISE.has(k) && v !== undefined));
  const rest = Object.keys(facts).length ? ` ${JSON.stringify(facts)}` : '';
  return `${at.toISOString()} ${level}${run}${activity}: ${message}${rest}\n`;
}

/** Appends a line to its file; a file that stopped taking lines is said once on stderr, never fatal. */
export function logWriter(files: LogFiles, write: (path: string, line: string) => void = appendFileSync) {
  const failing = new Set<string>();
  return (at: Date, level: string, message: string, meta: Record<string, unknown> | undefined): void => {
    const kind = logKindOf(message, meta);
    const path = kind && files[kind];
    if (!path) return;
    try {
      write(path, logLine(at, level, message, meta));
      failing.delete(path);
    } catch (err) {
      if (!failing.has(path)) process.stderr.write(`pgwarden worker: cannot append to ${path}: ${(err as Error).message}\n`);
      failing.add(path);
    }
  };
}
