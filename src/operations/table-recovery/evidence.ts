/**
 * The evidence a table recovery leaves, as for an incident (src/operations/dr/evidence.ts):
 * what was recovered, from what, to which point, each step's duration, who approved, the
 * time it took against the strategy's restore objective and the data lost against the target.
 * Built in the workflow from its own record of the run (so it replays), stored by an activity.
 * Pure and workflow-safe.
 */
import { OBJECTIVES } from '../../infra/config/objectives';
import { cell, EVIDENCE_KIND, Objective, time } from '../dr/evidence';

export interface RecoveryStep {
  step: string;
  startedAt: string;
  endedAt: string | null;
  outcome: 'done' | 'failed';
}

export interface TableRecoveryEvidence {
  kind: typeof EVIDENCE_KIND;
  formatVersion: 1;
  type: 'table-recovery';
  id: string;
  server: string;
  into: string;
  target: string;
  /** "base backup base_... and the WAL archive", or the logical backup and why it was used. */
  source: string | null;
  status: 'succeeded' | 'failed';
  failure: string | null;
  startedAt: string;
  finishedAt: string;
  /** Who asked for it, as Temporal recorded the request (added when stored; null: Temporal could not say). */
  startedBy?: string | null;
  approval: { approvedBy: string | null; rejectedBy: string | null } | null;
  tables: Array<{ table: string; as: string; rows: number | null; keptAs?: string | null }>;
  steps: Array<RecoveryStep & { seconds: number | null }>;
  recoveredTo: { commitTime: string | null; lsn: string } | null;
  lossSeconds: number | null;
  objectives: { restore: Objective };
  generatedAt: string;
}

/** The run's own record of its steps, kept in the workflow as it goes. */
export class RecoveryLog {
  readonly steps: RecoveryStep[] = [];

  constructor(private readonly now: () => Date) {}

  /** A step begins; the one before it, if still open, is done. */
  begin(step: string): void {
    this.end('done');
    this.steps.push({ step, startedAt: this.now().toISOString(), endedAt: null, outcome: 'done' });
  }

  /** The open step ends so. */
  end(outcome: RecoveryStep['outcome']): void {
    const open = this.steps.at(-1);
    if (open && !open.endedAt) Object.assign(open, { endedAt: this.now().toISOString(), outcome });
  }
}

export function tableRecoveryEvidence(run: {
  id: string;
  server: string;
  into: string;
  target: string;
  source: string | null;
  startedAt: Date;
  finishedAt: Date;
  failure: string | null;
  approval: TableRecoveryEvidence['approval'];
  tables: TableRecoveryEvidence['tables'];
  steps: RecoveryStep[];
  recoveredTo: TableRecoveryEvidence['recoveredTo'];
  lossSeconds: number | null;
  generatedAt: Date;
}): TableRecoveryEvidence {
  const ms = run.finishedAt.getTime() - run.startedAt.getTime();
  return {
    kind: EVIDENCE_KIND,
    formatVersion: 1,
    type: 'table-recovery',
    id: run.id,
    server: run.server,
    into: run.into,
    target: run.target,
    source: run.source,
    status: run.failure ? 'failed' : 'succeeded',
    failure: run.failure,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    approval: run.approval,
    tables: run.tables,
    steps: timedSteps(run.steps),
    recoveredTo: run.recoveredTo,
    lossSeconds: run.lossSeconds,
    objectives: { restore: restoreObjective(ms, run.failure) },
    generatedAt: run.generatedAt.toISOString(),
  };
}

/** Each step with how long it took (null while open). */
export function timedSteps(steps: RecoveryStep[]): Array<RecoveryStep & { seconds: number | null }> {
  return steps.map((s) => ({
    ...s,
    seconds: s.endedAt ? Math.round((Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000) : null,
  }));
}

/** A run's time against the restore objective; not measured for a run that failed. */
export function restoreObjective(ms: number, failure: string | null): Objective {
  return {
    objective: OBJECTIVES.restore.text,
    measured: `${(ms / 3_600_000).toFixed(2)} h`,
    met: failure ? null : ms <= OBJECTIVES.restore.maxMs,
  };
}

/** The last rows of a recovery report's table: who approved it, how it failed, and its time against the objective. */
export function outcomeRows(
  r: { approval: { approvedBy: string | null; rejectedBy: string | null } | null; failure: string | null },
  o: Objective,
): string[] {
  const a = r.approval;
  return [
    ...(a
      ? [
          `| approval | ${a.approvedBy ? `approved by ${cell(a.approvedBy)}` : a.rejectedBy ? `rejected by ${cell(a.rejectedBy)}` : 'none given'} |`,
        ]
      : []),
    ...(r.failure ? [`| failure | ${cell(r.failure)} |`] : []),
    `| ${o.objective} | ${o.measured}: ${o.met === null ? 'not measured' : o.met ? 'met' : '**missed**'} |`,
  ];
}

/** The "Steps" section of a recovery's markdown report. */
export function stepsMarkdown(steps: Array<RecoveryStep & { seconds: number | null }>): string[] {
  return [
    '## Steps',
    '',
    '| step | started | took | outcome |',
    '|---|---|---|---|',
    ...steps.map(
      (s) => `| ${cell(s.step)} | ${time(s.startedAt)} | ${s.seconds === null ? '–' : `${s.seconds} s`} | ${s.outcome} |`,
    ),
  ];
}

export function tableRecoveryMarkdown(r: TableRecoveryEvidence): string {
  const o = r.objectives.restore;
  return [
    `# Table recovery ${r.id}: ${r.status}`,
    '',
    '| | |',
    '|---|---|',
    `| from | ${cell(r.server)}${r.source ? `: ${cell(r.source)}` : ''} |`,
    `| into | ${cell(r.into)} |`,
    `| target | ${cell(r.target)} |`,
    `| recovered to | ${r.recoveredTo ? `last commit ${time(r.recoveredTo.commitTime)} (LSN ${r.recoveredTo.lsn})` : '–'} |`,
    `| not recovered before the target | ${r.lossSeconds === null ? '–' : `${r.lossSeconds.toFixed(3)} s of commits at most`} |`,
    `| started | ${time(r.startedAt)} |`,
    ...(r.startedBy !== undefined ? [`| started by | ${r.startedBy ? cell(r.startedBy) : 'unknown'} |`] : []),
    `| finished | ${time(r.finishedAt)} |`,
    ...outcomeRows(r, o),
    '',
    '## Tables',
    '',
    '| table | came back as | rows | live rows kept as |',
    '|---|---|---|---|',
    ...r.tables.map(
      (t) =>
        `| ${cell(t.table)} | ${cell(t.as)} | ${t.rows ?? '–'} | ${t.keptAs === undefined ? '–' : (t.keptAs ?? 'none (it had been dropped)')} |`,
    ),
    '',
    ...stepsMarkdown(r.steps),
    '',
    `_Generated by pgwarden at ${time(r.generatedAt)} from the run's workflow history._`,
    '',
  ].join('\n');
}
