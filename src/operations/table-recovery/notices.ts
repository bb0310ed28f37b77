/**
 * What a table recovery tells people, as a restore does (the strategy's restore notifications):
 * started, a replace waiting for its approval, done, failed. A replace changes a live table: the team
 * hears of it, not only the operator at the terminal.
 */
import { factIf, type Notice, type RunFailed } from '../../infra/notify/notice';
import { notRecovered } from '../pitr/restore-notices';
import { describeTable, type RecoveryName } from './names';

/** A table as it came back: the line the CLI prints and the notice shows. */
export interface RecoveredTableLine {
  table: string;
  as: string;
  rows: number;
  foreignKeysLeftOut: string[];
  keptAs?: string | null;
}

export function describeRecoveredTable(t: RecoveredTableLine): string {
  if (t.keptAs !== undefined)
    return `${t.table} replaced by its copy: ${t.rows} row(s); ${t.keptAs ? `the rows it had are kept as ${t.keptAs} (drop it when no longer needed)` : 'it had been dropped: put back'}`;
  return `${t.table} -> ${t.as}: ${t.rows} row(s)${t.foreignKeysLeftOut.length ? `; foreign keys left out: ${t.foreignKeysLeftOut.join(', ')}` : ''}`;
}

/** Where a table comes back, in words, before the recovery runs. */
export function plannedTable(n: RecoveryName, force: boolean): { table: string; plan: string } {
  const table = describeTable(n.from);
  return {
    table,
    plan: n.keptAs
      ? `${table} to be replaced by its copy${force ? ' without an approval (--force)' : ' once approved'}; the rows it has kept as ${describeTable(n.keptAs)}`
      : `${table} -> ${describeTable(n.as)}, beside the live table`,
  };
}

interface Common {
  /** The database the tables come from, and the one they come back into. */
  server: string;
  into: string;
  /** The point they are recovered as of, in words ("2026-12-06T10:00:00Z"). */
  target: string;
  workflowId: string;
}

export type TableRecoveryOutcome =
  | (Common & {
      status: 'started';
      /** Each table, and where it comes back in words (plannedTable). */
      tables: Array<{ table: string; plan: string }>;
      /** Where the copies come from, in words. */
      source: string;
      /** Run by this DR incident. */
      incident?: string;
    })
  | (Common & {
      status: 'approval-needed';
      /** The tables to be replaced (schema.table). */
      tables: string[];
      /** Where the copies came from, in words. */
      source: string;
      timeoutMinutes: number;
      /** Run by this DR incident: approved through it. */
      incident?: string;
    })
  | (Common & {
      status: 'succeeded';
      tables: RecoveredTableLine[];
      source: string;
      /** The last commit replayed, for a recovery from the archive. */
      recoveredTo: string | null;
      lossSeconds: number | null;
      approvedBy: string | null;
      durationMs: number;
      /** The evidence report (markdown), when stored. */
      report: string | null;
    })
  | (Common &
      RunFailed & {
        status: 'failed';
        tables: string[];
        /** The step it stopped at. */
        during: string;
        /** The copies were loaded (it failed after, removing its temporary instance). */
        loaded: boolean;
      });

export function tableRecoveryNotice(o: TableRecoveryOutcome): Notice {
  const where: Array<[string, string]> = [
    ['Database', o.into === o.server ? o.into : `${o.into} (from ${o.server})`],
    ['As of', o.target],
  ];
  switch (o.status) {
    case 'started':
      // Whoever else looks at these tables learns that a copy is on its way, and from what.
      return {
        event: 'table-recovery.started',
        severity: 'info',
        title: `Table recovery of ${o.tables.map((t) => t.table).join(', ')} in ${o.into} started`,
        facts: [
          ...where,
          ...o.tables.map((t) => ['Table', t.plan] as [string, string]),
          ['From', o.source],
          ...factIf('Incident', o.incident),
          ['Workflow', o.workflowId],
        ],
      };
    case 'approval-needed':
      return {
        event: 'table-recovery.approval-needed',
        severity: 'warning',
        // Someone must answer it, or the restore waits until it times out.
        alwaysSent: true,
        title: `Replacing ${o.tables.join(', ')} in ${o.into} is waiting for approval`,
        facts: [
          ...where,
          ['Tables', o.tables.join(', ')],
          ['From', o.source],
          ...factIf('Incident', o.incident),
          ['Workflow', o.workflowId],
          ['Times out in', `${o.timeoutMinutes} min`],
        ],
        action: o.incident
          ? `approve through the incident: pgwarden dr approve ${o.incident} --as <your name>; to stop instead, pgwarden dr abort ${o.incident} --reason TEXT`
          : `approve with: pgwarden restore --approve ${o.workflowId} --as <your name> (or send the approveRestoreSignal from the Temporal UI); reject with --reject. Until then the live tables are untouched`,
      };
    case 'succeeded': {
      const replaced = o.tables.some((t) => t.keptAs !== undefined);
      return {
        event: 'table-recovery.succeeded',
        severity: 'info',
        title: `${replaced ? 'Replaced' : 'Recovered'} ${o.tables.map((t) => t.table).join(', ')} in ${o.into}`,
        facts: [
          ...where,
          ...o.tables.map((t) => ['Table', describeRecoveredTable(t)] as [string, string]),
          ['From', o.source],
          ...factIf('Last commit replayed', o.recoveredTo),
          ...notRecovered(o.lossSeconds),
          ...factIf('Approved by', o.approvedBy),
          ['Took', `${(o.durationMs / 60000).toFixed(1)} min`],
          ...factIf('Report', o.report),
          ['Workflow', o.workflowId],
        ],
        action: replaced
          ? 'check the application; drop the kept tables once you no longer need the rows they hold'
          : 'compare the copies with the live tables, then copy back the rows you need (INSERT ... SELECT); drop the copies after',
      };
    }
    case 'failed':
      return {
        event: 'table-recovery.failed',
        severity: 'critical',
        title: `Table recovery of ${o.tables.join(', ')} in ${o.into} FAILED`,
        facts: [
          ...where,
          ['Tables', o.tables.join(', ')],
          ['During', o.during],
          ['Error', `${o.errorType}: ${o.message}`],
          ['Workflow', o.workflowId],
        ],
        action: o.loaded
          ? 'the tables were loaded; only the removal of the temporary instance or database failed: remove what the error names'
          : `the live tables are as they were (the copies load in one transaction); fix the cause, then run pgwarden recover-table again`,
      };
  }
}
