/** The incident's evidence report: step durations and outcomes, who did what, objectives, markdown. */
import { incidentEvidence, evidenceMarkdown } from '../../src/operations/dr/evidence';
import { IncidentState, TimelineEntry } from '../../src/operations/dr/incident';
import { Incident, openingState } from '../../src/operations/dr/incident-machine';
import type { EscalationMatrix } from '../../src/operations/dr/escalation';

const at = (hhmm: string) => `2026-11-24T${hhmm}:00.000Z`;
const entry = (hhmm: string, step: TimelineEntry['step'], by: string, what: string): TimelineEntry => ({
  at: at(hhmm),
  step,
  by,
  what,
});
const started = (hhmm: string, step: TimelineEntry['step'], title: string) => entry(hhmm, step, 'pgwarden', `${title}: started`);

const timeline: TimelineEntry[] = [
  entry('02:00', 'incident', 'carol', 'opened: orders lost'),
  started('02:00', 'identify', '1. Identify failure'),
  started('02:01', 'assess', '2. Assess impact'),
  entry('02:05', 'escalation', 'bob', 'acknowledged'),
  entry('02:10', 'assess', 'bob', 'assessed: orders since 01:00; customer impact: no'),
  started('02:10', 'select', '3. Select backup'),
  entry('02:12', 'select', 'bob', 'chose backup_20261123_020000 (in place)'),
  started('02:12', 'restore', '4. Execute restore'),
  entry('02:15', 'restore', 'alice', 'approved the restore'),
  entry('02:40', 'restore', 'pgwarden', 'restored into shop'),
  started('02:40', 'verify', '5. Verify recovery'),
  started('02:45', 'resume', '6. Resume operations'),
  entry('03:00', 'resume', 'carol', 'operations resumed'),
  entry('03:00', 'incident', 'pgwarden', 'resolved'),
];

function resolved(over: Partial<IncidentState> = {}): IncidentState {
  const s = openingState(
    'dr-shop-20261124T020000Z',
    { summary: 'orders | lost', database: 'shop', failureTime: '2026-11-23T16:00:00Z', openedBy: 'carol' },
    new Date(at('02:00')),
  );
  return {
    ...s,
    status: 'resolved',
    step: 'resume',
    stepStatus: 'done',
    closedAt: at('03:00'),
    escalation: { ...s.escalation, acknowledgedBy: 'bob', acknowledgedAt: at('02:05') },
    selection: { by: 'bob', backupId: 'backup_20261123_020000' },
    checks: [{ name: 'row counts', ok: true, detail: '12 tables as in the manifest' }],
    recovery: {
      restoreMs: 28 * 60_000,
      restoreWithinRto: true,
      fullServiceMs: 60 * 60_000,
      fullServiceWithinRto: true,
      dataLossHours: 14,
      withinRpo: true,
    },
    timeline,
    ...over,
  };
}

describe('incidentEvidence', () => {
  describe('says who was told when, and why then, level by level', () => {
    const matrix: EscalationMatrix = {
      name: 'default',
      level1: { contacts: ['devops@x.io', 'oncall@x.io'], repeatMinutes: 15 },
      level2: { contacts: ['manager@x.io'], afterMinutes: 60 },
      level3: { contacts: [], afterMinutes: 240 },
      level4: { contacts: ['support@x.io'] },
    };
    /** An incident told as the workflow tells it (the state machine's own lines), at these minutes. */
    function told(steps: Array<(i: Incident) => void>): IncidentState {
      let now = new Date(at('02:00'));
      const i = new Incident('dr-shop-1', { summary: 'orders lost' }, now, () => now);
      i.opened({ database: 'shop', matrix });
      steps.forEach((step, n) => {
        now = new Date(Date.parse(at('02:00')) + n * 10 * 60_000);
        step(i);
      });
      return i.state;
    }
    it.each([
      [
        'by the clock',
        [
          (i: Incident) => i.reached(1, matrix, { kind: 'opening' }),
          (i: Incident) => i.reached(2, matrix, { kind: 'timer', afterMinutes: 60 }),
        ],
        [
          [1, at('02:00'), 'at the opening', ['devops@x.io', 'oncall@x.io']],
          [2, at('02:10'), 'after 60 min open', ['manager@x.io']],
          [3, null, null, []],
          [4, null, null, ['support@x.io']],
        ],
      ],
      [
        'by hand, with the reason, and customers after the assessment',
        [
          (i: Incident) => i.reached(1, matrix, { kind: 'opening' }),
          (i: Incident) => {
            i.escalate({ by: 'alice', level: 3, reason: 'restore failed twice' });
            i.reached(2, matrix, { kind: 'by-hand', by: 'alice', reason: 'restore failed twice' });
            i.reached(3, matrix, { kind: 'by-hand', by: 'alice', reason: 'restore failed twice' });
          },
          (i: Incident) => i.reached(4, matrix, { kind: 'customer-impact' }),
        ],
        [
          [1, at('02:00'), 'at the opening', ['devops@x.io', 'oncall@x.io']],
          [2, at('02:10'), 'escalated by alice: restore failed twice', ['manager@x.io']],
          [3, at('02:10'), 'escalated by alice: restore failed twice', []],
          [4, at('02:20'), 'customer-facing impact', ['support@x.io']],
        ],
      ],
    ] as Array<[string, Array<(i: Incident) => void>, unknown[]]>)('%s', (_what, steps, levels) => {
      const r = incidentEvidence(told(steps), new Date(at('03:00')));
      expect(r.escalation!.map((e) => [e.level, e.at, e.why, e.to])).toEqual(levels);
    });

    it('and the people told beside the levels: the backup on call and those asked to help, in order', () => {
      let now = new Date(at('02:00'));
      const backed = { ...matrix, onCallBackup: { who: 'bob@x.io', afterMinutes: 15 } };
      const i = new Incident('dr-shop-1', { summary: 'orders lost' }, now, () => now);
      i.opened({ database: 'shop', matrix: backed });
      i.reached(1, backed, { kind: 'opening' });
      now = new Date(at('02:15'));
      i.backupOnCallAlerted(backed.onCallBackup);
      now = new Date(at('02:20'));
      i.addResponder({ by: 'bob', who: 'dba@x.io', reason: 'the replica | lags' });
      const r = incidentEvidence(i.state, new Date(at('03:00')));
      expect(r.alsoTold).toEqual([
        { role: 'backup on call', who: 'bob@x.io', at: at('02:15'), why: 'level 1 not acknowledged after 15 min' },
        { role: 'responder', who: 'dba@x.io', at: at('02:20'), why: 'asked by bob: the replica | lags' },
      ]);
      expect(evidenceMarkdown(r).split('\n')).toEqual(
        expect.arrayContaining([
          '| backup on call | 2026-11-24 02:15:00Z | level 1 not acknowledged after 15 min | bob@x.io |',
          '| responder | 2026-11-24 02:20:00Z | asked by bob: the replica \\| lags | dba@x.io |',
        ]),
      );
      // Nobody beside the levels: nothing more.
      expect(incidentEvidence(told([(x) => x.reached(1, matrix, { kind: 'opening' })]), new Date(at('03:00'))).alsoTold).toEqual(
        [],
      );
    });

    it('in the markdown, a row per level', () => {
      const s = told([
        (i) => i.reached(1, matrix, { kind: 'opening' }),
        (i) => {
          i.escalate({ by: 'alice', level: 2, reason: 'need a | decision' });
          i.reached(2, matrix, { kind: 'by-hand', by: 'alice', reason: 'need a | decision' });
        },
      ]);
      const md = evidenceMarkdown(incidentEvidence(s, new Date(at('03:00')))).split('\n');
      expect(md).toEqual(
        expect.arrayContaining([
          '## Escalation',
          '| 1 (DevOps team) | 2026-11-24 02:00:00Z | at the opening | devops@x.io, oncall@x.io |',
          '| 2 (manager) | 2026-11-24 02:10:00Z | escalated by alice: need a \\| decision | manager@x.io |',
          '| 3 (executive) | not reached | – | Slack only |',
        ]),
      );
    });
  });

  it('gives each step its duration, outcome and people, and the objectives measured', () => {
    const r = incidentEvidence(resolved(), new Date(at('03:01')));
    expect(r.steps.map((s) => [s.step, s.seconds, s.outcome, s.by])).toEqual([
      ['identify', 60, 'done', []],
      ['assess', 540, 'done', ['bob']],
      ['select', 120, 'done', ['bob']],
      ['restore', 1680, 'done', ['alice']],
      ['verify', 300, 'done', []],
      ['resume', 900, 'done', ['carol']],
    ]);
    expect(r.people).toEqual([
      {
        who: 'carol',
        did: [
          { at: at('02:00'), what: 'opened: orders lost' },
          { at: at('03:00'), what: 'operations resumed' },
        ],
      },
      {
        who: 'bob',
        did: [
          { at: at('02:05'), what: 'acknowledged' },
          { at: at('02:10'), what: 'assessed: orders since 01:00; customer impact: no' },
          { at: at('02:12'), what: 'chose backup_20261123_020000 (in place)' },
        ],
      },
      { who: 'alice', did: [{ at: at('02:15'), what: 'approved the restore' }] },
    ]);
    expect(r.objectives).toEqual({
      restore: { objective: 'RTO 2-4 h', measured: '0.47 h', met: true },
      fullService: { objective: 'RTO 4-6 h', measured: '1.00 h', met: true },
      dataLoss: { objective: 'RPO 24 h', measured: '14 h', met: true },
    });
    expect(r).toMatchObject({ kind: 'pgwarden.evidence', formatVersion: 1, acknowledged: { by: 'bob', at: at('02:05') } });
  });

  it('says which step was under way when the incident was aborted, which were skipped and which never reached', () => {
    const cut = timeline.slice(0, 9).concat(entry('02:20', 'incident', 'alice', 'aborted: wrong database'));
    const r = incidentEvidence(
      resolved({ status: 'aborted', closedAt: at('02:20'), recovery: null, timeline: cut, skipped: ['identify'] }),
      new Date(at('02:21')),
    );
    expect(r.steps.map((s) => [s.step, s.seconds, s.outcome])).toEqual([
      ['identify', 60, 'skipped'],
      ['assess', 540, 'done'],
      ['select', 120, 'done'],
      ['restore', 480, 'stopped'],
      ['verify', null, 'not reached'],
      ['resume', null, 'not reached'],
    ]);
    expect(r.objectives.restore).toEqual({ objective: 'RTO 2-4 h', measured: null, met: null });
  });

  it('reads as markdown: the facts, objectives, steps, people and the timeline, with table cells escaped', () => {
    const md = evidenceMarkdown(incidentEvidence(resolved(), new Date(at('03:01'))));
    expect(md.split('\n')).toEqual(
      expect.arrayContaining([
        '# Incident dr-shop-20261124T020000Z: orders | lost',
        '| acknowledged | 2026-11-24 02:05:00Z by bob |',
        '| backup restored | backup_20261123_020000 in place |',
        '| RTO 2-4 h | 0.47 h | met |',
        '| RPO 24 h | 14 h | met |',
        '| 4. Execute restore | 2026-11-24 02:12:00Z | 28 min | done | alice |',
        '- passed: row counts: 12 tables as in the manifest',
        '- **bob**',
        '  - 2026-11-24 02:05:00Z: acknowledged',
        '| 2026-11-24 02:12:00Z | select | bob | chose backup_20261123_020000 (in place) |',
      ]),
    );
    expect(md).not.toContain('| orders | lost');
  });

  it('names a point-in-time recovery and the commit it reached, and the data lost in seconds', () => {
    const r = incidentEvidence(
      resolved({
        selection: {
          by: 'bob',
          backupId: 'base_20261123_021000',
          kind: 'tables',
          tables: ['shop.orders'],
          replace: false,
          target: { kind: 'time', time: '2026-11-23T15:59:59.000Z' },
        },
        restore: {
          workflowId: 'dr-shop-20261124T020000Z-restore',
          status: 'succeeded',
          restoredInto: 'shop',
          detail: 'recovered',
          recoveredTo: { commitTime: '2026-11-23T15:59:58.400Z', lsn: '0/3000148' },
        },
        recovery: { ...resolved().recovery!, dataLossHours: 0, dataLossSeconds: 1.6 },
      }),
      new Date(at('03:01')),
    );
    expect(r.recovery).toEqual({
      what: 'shop.orders as of 2026-11-23T15:59:59.000Z (from base_20261123_021000), beside the live tables',
      recoveredTo: { commitTime: '2026-11-23T15:59:58.400Z', lsn: '0/3000148' },
    });
    expect(r.objectives.dataLoss).toEqual({ objective: 'RPO 24 h', measured: '1.6 s', met: true });
    expect(evidenceMarkdown(r).split('\n')).toEqual(
      expect.arrayContaining([
        '| recovered | shop.orders as of 2026-11-23T15:59:59.000Z (from base_20261123_021000), beside the live tables; reached the commit of 2026-11-23 15:59:58Z, LSN 0/3000148 |',
        '| RPO 24 h | 1.6 s | met |',
      ]),
    );
  });
});
