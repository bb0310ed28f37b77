/**
 * The evidence an incident leaves: what an auditor asks for, built from the incident's state
 * (itself rebuilt from the workflow's history on every replay): the timeline, who did what,
 * each step's duration and outcome, and the recovery time and data loss against the
 * strategy's objectives. JSON for tools, markdown for people; stored beside the backups
 * (docs/FORMAT.md §9). Pure: the activity only stores what this returns.
 */
import { OBJECTIVES } from '../../infra/config/objectives';
import { EscalationLevel, LEVEL_NAMES, LEVELS, whyWords } from './escalation';
import { IncidentState, Step, STEP_TITLES, STEPS, TimelineEntry } from './incident';
import { backupAlerted, describeSelection } from './details';

export const EVIDENCE_KIND = 'pgwarden.evidence';

export interface StepEvidence {
  step: Step;
  title: string;
  startedAt: string | null;
  endedAt: string | null;
  seconds: number | null;
  /** stopped: under way when the incident was aborted. */
  outcome: 'done' | 'skipped' | 'failed' | 'stopped' | 'not reached';
  /** The people who acted in this step (not pgwarden itself). */
  by: string[];
}

/** A level of the escalation matrix: when it was told, and why then (absent in reports stored before). */
export interface EscalationEvidence {
  level: EscalationLevel;
  name: string;
  /** When it was told; null: never reached. */
  at: string | null;
  /** "at the opening", "after 60 min open", "escalated by alice: <reason>", "customer-facing impact". */
  why: string | null;
  to: string[];
}

export interface Objective {
  objective: string;
  measured: string | null;
  met: boolean | null;
}

export interface EvidenceReport {
  kind: typeof EVIDENCE_KIND;
  formatVersion: 1;
  type: 'disaster-recovery';
  id: string;
  database: string;
  severity: string;
  /** A drill's scenario (server-lost: the annual complete recovery scenario), or null. */
  scenario?: string | null;
  summary: string;
  status: IncidentState['status'];
  openedAt: string;
  openedBy: string;
  /** The start request's identity (added when stored; null: Temporal could not say; absent before it). */
  startedBy?: string | null;
  failureTime: string;
  closedAt: string | null;
  acknowledged: { by: string; at: string | null } | null;
  /** Who was told when, level by level (reports stored before it lack it). */
  escalation?: EscalationEvidence[];
  /** People told beside the levels: the backup on call, those asked to help (reports stored before it lack it). */
  alsoTold?: Array<{ role: 'backup on call' | 'responder'; who: string; at: string; why: string }>;
  steps: StepEvidence[];
  /** Each person and what they did, in order. */
  people: Array<{ who: string; did: Array<{ at: string; what: string }> }>;
  objectives: { restore: Objective; fullService: Objective; dataLoss: Objective };
  backup: { id: string; newDatabase: string | null } | null;
  /** A point-in-time or table recovery instead of a backup: what, as of when, the point it reached. */
  recovery?: { what: string; recoveredTo: { commitTime: string | null; lsn: string } | null } | null;
  checks: IncidentState['checks'];
  timeline: TimelineEntry[];
  generatedAt: string;
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(2)} h`;

/** Those told beside the levels, in the order they were: the backup on call and the responders. */
export function alsoToldEvidence(s: IncidentState): NonNullable<EvidenceReport['alsoTold']> {
  const backup = backupAlerted(s);
  return [
    ...(backup
      ? [
          {
            role: 'backup on call' as const,
            who: backup.who,
            at: backup.at,
            why: `level 1 not acknowledged after ${backup.afterMinutes} min`,
          },
        ]
      : []),
    ...(s.escalation.responders ?? []).map((r) => ({
      role: 'responder' as const,
      who: r.who,
      at: r.at,
      why: `asked by ${r.by}: ${r.reason}`,
    })),
  ].sort((a, b) => a.at.localeCompare(b.at));
}

/** Each level of the frozen matrix: when it was first told and why then, or never reached. */
export function escalationEvidence(s: IncidentState): EscalationEvidence[] {
  return ([1, 2, 3, 4] as EscalationLevel[]).map((level) => {
    const to = s.matrix ? LEVELS[level].contacts(s.matrix) : [];
    const told = s.escalation.told.find((t) => t.level === level);
    return { level, name: LEVEL_NAMES[level], at: told?.at ?? null, why: told ? whyWords(told.why) : null, to };
  });
}

export function incidentEvidence(s: IncidentState, generatedAt: Date): EvidenceReport {
  const started = (step: Step) => s.timeline.find((e) => e.step === step && e.by === 'pgwarden' && /: started$/.test(e.what));
  const steps = STEPS.map((step, i): StepEvidence => {
    const start = started(step);
    const next = STEPS.slice(i + 1)
      .map(started)
      .find(Boolean);
    const end = next?.at ?? (start ? s.closedAt : null);
    const failed = s.timeline.some((e) => e.step === step && e.by === 'pgwarden' && e.what.startsWith('failed:'));
    const outcome: StepEvidence['outcome'] = s.skipped.includes(step)
      ? 'skipped'
      : !start
        ? 'not reached'
        : next || s.status === 'resolved'
          ? 'done'
          : failed
            ? 'failed'
            : 'stopped';
    return {
      step,
      title: STEP_TITLES[step],
      startedAt: start?.at ?? null,
      endedAt: start ? end : null,
      seconds: start && end ? Math.round((Date.parse(end) - Date.parse(start.at)) / 1000) : null,
      outcome,
      by: [...new Set(s.timeline.filter((e) => e.step === step && e.by !== 'pgwarden').map((e) => e.by))],
    };
  });
  const people = new Map<string, Array<{ at: string; what: string }>>();
  for (const e of s.timeline.filter((e) => e.by !== 'pgwarden'))
    people.set(e.by, [...(people.get(e.by) ?? []), { at: e.at, what: e.what }]);
  const r = s.recovery;
  return {
    kind: EVIDENCE_KIND,
    formatVersion: 1,
    type: 'disaster-recovery',
    id: s.incidentId,
    database: s.database,
    severity: s.severity,
    scenario: s.drill?.scenario ?? null,
    summary: s.summary,
    status: s.status,
    openedAt: s.openedAt,
    openedBy: s.openedBy,
    failureTime: s.failureTime,
    closedAt: s.closedAt,
    acknowledged: s.escalation.acknowledgedBy ? { by: s.escalation.acknowledgedBy, at: s.escalation.acknowledgedAt } : null,
    escalation: escalationEvidence(s),
    alsoTold: alsoToldEvidence(s),
    steps,
    people: [...people].map(([who, did]) => ({ who, did })),
    objectives: {
      restore: {
        objective: OBJECTIVES.restore.text,
        measured: r?.restoreMs != null ? hours(r.restoreMs) : null,
        met: r?.restoreWithinRto ?? null,
      },
      fullService: {
        objective: OBJECTIVES.fullService.text,
        measured: r ? hours(r.fullServiceMs) : null,
        met: r ? r.fullServiceWithinRto : null,
      },
      dataLoss: {
        objective: OBJECTIVES.dataLoss.text,
        measured:
          r?.dataLossSeconds != null && r.dataLossSeconds < 3600
            ? `${r.dataLossSeconds} s`
            : r?.dataLossHours != null
              ? `${r.dataLossHours} h`
              : null,
        met: r?.withinRpo ?? null,
      },
    },
    backup: s.selection ? { id: s.selection.backupId, newDatabase: s.selection.newDatabase ?? null } : null,
    recovery:
      s.selection?.kind && s.selection.kind !== 'backup'
        ? { what: describeSelection(s.selection), recoveredTo: s.restore?.recoveredTo ?? null }
        : null,
    checks: s.checks,
    timeline: s.timeline,
    generatedAt: generatedAt.toISOString(),
  };
}

/** A value in a markdown table cell: pipes escaped, one line. */
export const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** An ISO time as the reports print it: "2026-11-24 02:15:00Z", or a dash. */
export const time = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');
const duration = (seconds: number | null) =>
  seconds === null
    ? '–'
    : seconds < 120
      ? `${seconds} s`
      : seconds < 7200
        ? `${Math.round(seconds / 60)} min`
        : `${(seconds / 3600).toFixed(1)} h`;
const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : '**missed**');

export function evidenceMarkdown(r: EvidenceReport): string {
  const lines = [
    `# Incident ${r.id}: ${r.summary}`,
    '',
    `| | |`,
    `|---|---|`,
    `| database | ${cell(r.database)} |`,
    `| severity | ${r.severity} |`,
    `| outcome | ${r.status} |`,
    `| failure time | ${time(r.failureTime)} |`,
    `| opened | ${time(r.openedAt)} by ${cell(r.openedBy)} |`,
    ...(r.startedBy !== undefined ? [`| started by | ${r.startedBy ? cell(r.startedBy) : 'unknown'} |`] : []),
    `| acknowledged | ${r.acknowledged ? `${time(r.acknowledged.at)} by ${cell(r.acknowledged.by)}` : 'never'} |`,
    `| closed | ${time(r.closedAt)} |`,
    r.recovery
      ? `| recovered | ${cell(r.recovery.what)}${r.recovery.recoveredTo ? `; reached ${r.recovery.recoveredTo.commitTime ? `the commit of ${time(r.recovery.recoveredTo.commitTime)}, ` : ''}LSN ${r.recovery.recoveredTo.lsn}` : ''} |`
      : `| backup restored | ${r.backup ? `${r.backup.id}${r.backup.newDatabase ? ` into ${cell(r.backup.newDatabase)}` : ' in place'}` : 'none'} |`,
    '',
    '## Objectives',
    '',
    '| objective | measured | result |',
    '|---|---|---|',
    ...(['restore', 'fullService', 'dataLoss'] as const).map((k) => {
      const o = r.objectives[k];
      return `| ${o.objective} | ${o.measured ?? '–'} | ${verdict(o.met)} |`;
    }),
    '',
    ...(r.escalation
      ? [
          '## Escalation',
          '',
          '| level | told | why then | to |',
          '|---|---|---|---|',
          ...r.escalation.map(
            (e) =>
              `| ${e.level} (${e.name}) | ${e.at ? time(e.at) : 'not reached'} | ${cell(e.why ?? '–')} | ${cell(e.to.join(', ') || 'Slack only')} |`,
          ),
          ...(r.alsoTold ?? []).map((t) => `| ${t.role} | ${time(t.at)} | ${cell(t.why)} | ${cell(t.who)} |`),
          '',
        ]
      : []),
    '## Steps',
    '',
    '| step | started | took | outcome | by |',
    '|---|---|---|---|---|',
    ...r.steps.map(
      (s) => `| ${s.title} | ${time(s.startedAt)} | ${duration(s.seconds)} | ${s.outcome} | ${cell(s.by.join(', ') || '–')} |`,
    ),
    ...(r.checks?.length
      ? [
          '',
          '## Recovery checks',
          '',
          ...r.checks.map((c) => `- ${c.ok ? 'passed' : '**FAILED**'}: ${c.name}: ${cell(c.detail)}`),
        ]
      : []),
    '',
    '## Who did what',
    '',
    ...(r.people.length
      ? r.people.flatMap((p) => [`- **${cell(p.who)}**`, ...p.did.map((d) => `  - ${time(d.at)}: ${cell(d.what)}`)])
      : ['- nobody acted: everything recorded was done by pgwarden']),
    '',
    '## Timeline',
    '',
    '| time | step | by | what |',
    '|---|---|---|---|',
    ...r.timeline.map((e) => `| ${time(e.at)} | ${e.step} | ${cell(e.by)} | ${cell(e.what)} |`),
    '',
    `_Generated by pgwarden at ${time(r.generatedAt)} from the incident's workflow history._`,
    '',
  ];
  return lines.join('\n');
}

export interface DrillSummary {
  resolved: number;
  aborted: number;
  last: { id: string; closedAt: string | null; status: string; restore: string | null; fullService: string | null } | null;
  /** Full-service hours of the last drills, oldest first (null: not resolved), for the trend. */
  fullServiceHours: Array<number | null>;
}

/** What `pgwarden report` says of the drills: counts, the last one's measured times, the trend. */
export function drillSummary(drills: EvidenceReport[], keep = 12): DrillSummary {
  const sorted = [...drills].sort((a, b) => ((a.closedAt ?? '') < (b.closedAt ?? '') ? -1 : 1));
  const last = sorted.at(-1);
  const hoursOf = (d: EvidenceReport) =>
    d.status === 'resolved' && d.objectives.fullService.measured ? parseFloat(d.objectives.fullService.measured) : null;
  return {
    resolved: sorted.filter((d) => d.status === 'resolved').length,
    aborted: sorted.filter((d) => d.status !== 'resolved').length,
    last: last
      ? {
          id: last.id,
          closedAt: last.closedAt,
          status: last.status,
          restore: last.objectives.restore.measured,
          fullService: last.objectives.fullService.measured,
        }
      : null,
    fullServiceHours: sorted.slice(-keep).map(hoursOf),
  };
}
