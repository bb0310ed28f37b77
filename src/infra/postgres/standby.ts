/**
 * A server in recovery (a hot standby) can be dumped but not written: a backup of it works
 * while its recovery lets the dump's snapshot live, and everything that creates a database
 * there (a restore, a verification's test restore, recovered tables) cannot. pgwarden says so
 * before the work starts, and says what to change when a standby's recovery cancels a dump.
 */
import type { Client } from 'pg';
import type { DatabaseTarget } from '../config/databases';
import { nameSome } from './name-list';

export interface ServerRecovery {
  /** pg_is_in_recovery(): a standby (or a server still recovering). */
  inRecovery: boolean;
  hotStandbyFeedback: boolean;
  /** max_standby_streaming_delay as the server shows it ('30s', '-1'). */
  maxStandbyStreamingDelay: string;
}

export async function readServerRecovery(c: Client): Promise<ServerRecovery> {
  const { rows } = await c.query<{ r: boolean; f: string; d: string }>(
    `SELECT pg_is_in_recovery() AS r, current_setting('hot_standby_feedback') AS f, current_setting('max_standby_streaming_delay') AS d`,
  );
  return { inRecovery: rows[0].r, hotStandbyFeedback: rows[0].f === 'on', maxStandbyStreamingDelay: rows[0].d };
}

/** What to change so that a standby's recovery lets a long dump finish. */
export const STANDBY_DUMP_FIX =
  'on the standby set hot_standby_feedback = on (or max_standby_streaming_delay = -1), or back up the primary';

/**
 * Why a long dump of this server may be cancelled by its recovery, or undefined: not a standby,
 * or one that keeps the rows a dump reads (feedback to the primary, or replay that waits). Pure.
 */
export function standbyDumpRisk(server: string, r: ServerRecovery): string | undefined {
  if (!r.inRecovery || r.hotStandbyFeedback || r.maxStandbyStreamingDelay === '-1') return undefined;
  return `${server} is a standby with hot_standby_feedback off and max_standby_streaming_delay ${r.maxStandbyStreamingDelay}: its recovery cancels a dump that still reads rows the primary has removed since; ${STANDBY_DUMP_FIX}`;
}

/** Whether a program's or query's error is a standby's recovery cancelling it. Pure. */
export function isRecoveryConflict(text: string): boolean {
  return /conflict with recovery/i.test(text);
}

/**
 * A dump whose connection a standby dropped, in pg_dump's words (DatabaseConnectionError's
 * message): the recovery's own "conflict with recovery" may never reach pg_dump when it ends the
 * session mid-read. What to change, or null when it is no dropped connection. Pure.
 */
export function droppedOnStandbyProblem(message: string): string | null {
  if (!/server closed the connection|terminating connection/i.test(message)) return null;
  const said = message.replace(/; check that the database server is up$/, '');
  return `${said}; the server is a standby, whose recovery ends a dump's session when it conflicts (unless it restarted): ${STANDBY_DUMP_FIX}`;
}

/** What was said when a standby's recovery cancelled a backup's dump or its row counts, and what to change. Pure. */
export function recoveryConflictProblem(said: string): string {
  return `${said}; the server is a standby whose recovery cancelled the dump: ${STANDBY_DUMP_FIX}`;
}

/**
 * The one line refusing work that writes to a standby: `what` it would write there (a restore's
 * database, a verification's test restore, recovered tables) and `fix`, which setting to point
 * elsewhere. Pure.
 */
export function standbyRefusal(server: string, what: string, fix: string): string {
  return `${server} is a standby (in recovery, read-only), and ${what}: ${fix}`;
}

/** The refusal of work that writes to the server `c` is connected to, when it is a standby; undefined: it takes writes. */
export async function standbyProblem(
  c: Client,
  server: Pick<DatabaseTarget, 'host' | 'port'>,
  what: string,
  fix: string,
): Promise<string | undefined> {
  return (await readServerRecovery(c)).inRecovery ? standbyRefusal(`${server.host}:${server.port}`, what, fix) : undefined;
}

/**
 * That a standby's backup holds its unlogged tables empty: their rows live on the primary only
 * (never replicated), and pg_dump on a standby writes none. `tables`: their qualified names. Pure.
 */
export function standbyUnloggedWarning(server: string, tables: string[]): string | undefined {
  if (tables.length === 0) return undefined;
  return `${server} is a standby, and standbys hold no rows of unlogged tables (${nameSome(tables)}): a backup of it keeps ${tables.length === 1 ? 'that table' : 'those tables'} empty; back up the primary to keep their rows, or make them logged (ALTER TABLE ... SET LOGGED on the primary)`;
}

/**
 * What a backup's preflight says of a standby: a dump its recovery may cancel, its unlogged
 * tables (`unlogged`, qualified names) kept empty, and (with no VERIFY_DATABASE_URL)
 * verifications that would have to restore into it. Pure.
 */
export function standbyWarnings(server: string, r: ServerRecovery, verifyServerSet: boolean, unlogged: string[] = []): string[] {
  if (!r.inRecovery) return [];
  const risk = standbyDumpRisk(server, r);
  const empty = standbyUnloggedWarning(server, unlogged);
  return [
    ...(risk ? [risk] : []),
    ...(empty ? [empty] : []),
    ...(verifyServerSet
      ? []
      : [
          standbyRefusal(
            server,
            'verifications would restore into it (VERIFY_DATABASE_URL is not set)',
            'set VERIFY_DATABASE_URL to a server that takes writes (a staging server, or the primary)',
          ),
        ]),
  ];
}
