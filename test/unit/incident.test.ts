/** The runbook's pure parts: escalation policy, validators, recovery figures, details, notices, settings. */
import { loadConfig } from '../../src/infra/config/config';
import { ConfigError } from '../../src/infra/errors/errors';
import {
  escalateLine,
  escalationLevel,
  formatIncident,
  inFlagTerms,
  nextLine,
  noteLine,
  startInput,
} from '../../src/app/cli/commands/dr';
import { alertedWords, backupAlerted, backupDue, incidentDetails, withCommandsInCode } from '../../src/operations/dr/details';
import { IncidentState, leaderOf, updateAudienceOf } from '../../src/operations/dr/incident';
import {
  backupAlertAt,
  closingAudience,
  customerNoticeDue,
  EscalationLevel,
  EscalationMatrix,
  level1Audience,
  level1ReminderAt,
  level1Repeats,
  levelsToEscalate,
  pendingEscalations,
  updateReminderAt,
} from '../../src/operations/dr/escalation';
import { Incident, openingProblem, openingState } from '../../src/operations/dr/incident-machine';
import { briefOf, incidentNotice, incidentNoticeToSlack } from '../../src/operations/dr/notices';
import { describeRecovery, incidentRecovery } from '../../src/operations/dr/recovery';
import * as v from '../../src/operations/dr/validate';
import { renderEmail, renderSlack } from '../../src/infra/notify/notice';

const matrix: EscalationMatrix = {
  name: 'default',
  level1: { contacts: ['devops@x.io'], repeatMinutes: 15 },
  level2: { contacts: ['manager@x.io'], afterMinutes: 60 },
  level3: { contacts: ['exec@x.io'], afterMinutes: 240 },
  level4: { contacts: ['support@x.io'] },
};
const openedAt = new Date('2026-11-24T02:00:00Z');

/** An incident at step 2, waiting for the assessment, level 1 sent: built by the workflow's own opening function. */
function incident(over: Partial<IncidentState> = {}): IncidentState {
  const opened = openingState(
    'dr-shop-20261124T020000Z',
    { summary: 'orders lost', database: 'shop', failureTime: '2026-11-24T01:50:00Z', openedBy: 'carol' },
    openedAt,
  );
  return {
    ...opened,
    step: 'assess',
    stepStatus: 'waiting',
    waitingFor: 'the assessment',
    matrix,
    escalation: { ...opened.escalation, level: 1, sent: [1], level1Sends: 1, next: { level: 2, at: '2026-11-24T03:00:00.000Z' } },
    ...over,
  };
}

describe('escalation policy', () => {
  const sent = (...levels: EscalationLevel[]) => new Set<EscalationLevel>([1, ...levels]);
  it.each([
    [
      'both pending',
      sent(),
      false,
      [
        [2, '2026-11-24T03:00:00.000Z'],
        [3, '2026-11-24T06:00:00.000Z'],
      ],
    ],
    ['after level 2', sent(2), false, [[3, '2026-11-24T06:00:00.000Z']]],
    ['after level 3', sent(2, 3), false, []],
    ['closed', sent(), true, []],
  ])('%s', (_what, already, closed, expected) => {
    expect(pendingEscalations(matrix, openedAt, already, closed).map((e) => [e.level, e.at.toISOString()])).toEqual(expected);
  });
  it('repeats level 1 only while unacknowledged and open', () => {
    expect([level1Repeats(false, false), level1Repeats(true, false), level1Repeats(false, true)]).toEqual([true, false, false]);
  });
  it('notifies customers once, only for customer impact, only while open', () => {
    expect(customerNoticeDue(true, sent(), false)).toBe(true);
    expect(customerNoticeDue(false, sent(), false)).toBe(false);
    expect(customerNoticeDue(undefined, sent(), false)).toBe(false);
    expect(customerNoticeDue(true, sent(4), false)).toBe(false);
    expect(customerNoticeDue(true, sent(), true)).toBe(false);
  });
});

describe('level 1 reminders and closing notices', () => {
  it.each([
    [1, '2026-11-24T02:15:00.000Z'],
    [2, '2026-11-24T02:30:00.000Z'],
    [8, '2026-11-24T04:00:00.000Z'],
  ])('reminder %i is due at %s, on the grid from the opening', (n, at) => {
    expect(level1ReminderAt(matrix, openedAt, n).toISOString()).toBe(at);
  });
  it.each([
    ['level 1 only', [1], ['devops@x.io'], null],
    ['manager told', [1, 2], ['devops@x.io', 'manager@x.io'], null],
    ['everyone told', [1, 2, 3, 4], ['devops@x.io', 'manager@x.io', 'exec@x.io'], ['support@x.io']],
    ['customers without the manager', [1, 4], ['devops@x.io'], ['support@x.io']],
  ] as Array<[string, EscalationLevel[], string[], string[] | null]>)('%s', (_what, levels, team, customers) => {
    expect(closingAudience(matrix, new Set(levels))).toEqual({ team, customers });
  });
  it('tells each address once when levels share contacts', () => {
    const shared = { ...matrix, level2: { contacts: ['devops@x.io'], afterMinutes: 60 } };
    expect(closingAudience(shared, new Set<EscalationLevel>([1, 2])).team).toEqual(['devops@x.io']);
  });

  const backed: EscalationMatrix = { ...matrix, onCallBackup: { who: 'bob@x.io', afterMinutes: 15 } };
  it('alerts the backup on call its minutes after the opening, when the matrix has one', () => {
    expect(backupAlertAt(backed, openedAt)?.toISOString()).toBe('2026-11-24T02:15:00.000Z');
    expect(backupAlertAt(matrix, openedAt)).toBeNull();
  });
  it.each([
    ['not alerted: level 1 alone', backed, false, ['devops@x.io']],
    ['alerted: level 1 and the backup', backed, true, ['devops@x.io', 'bob@x.io']],
    ['no backup in the matrix', matrix, true, ['devops@x.io']],
    [
      'the backup in level 1 already: once',
      { ...backed, level1: { ...matrix.level1, contacts: ['bob@x.io'] } },
      true,
      ['bob@x.io'],
    ],
  ] as Array<[string, EscalationMatrix, boolean, string[]]>)('level 1 reaches, %s', (_what, m, alerted, audience) => {
    expect(level1Audience(m, alerted)).toEqual(audience);
  });
  it('tells the backup once alerted of updates and of the close, after level 1 and before the levels above', () => {
    expect(closingAudience(backed, new Set<EscalationLevel>([1, 2]), true).team).toEqual([
      'devops@x.io',
      'bob@x.io',
      'manager@x.io',
    ]);
    expect(closingAudience(backed, new Set<EscalationLevel>([1, 2])).team).toEqual(['devops@x.io', 'manager@x.io']);
    const state = incident({ matrix: backed });
    expect(updateAudienceOf(state)).toEqual(['devops@x.io']);
    expect(updateAudienceOf({ ...state, escalation: { ...state.escalation, backupAlertedAt: '2026-11-24T02:15:00Z' } })).toEqual([
      'devops@x.io',
      'bob@x.io',
    ]);
  });
  it('records the backup alerted in the timeline, and from then a status update reaches them', () => {
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, () => new Date('2026-11-24T02:15:00Z'));
    i.opened({ database: 'shop', matrix: backed });
    expect(i.backupAlerted).toBe(false);
    i.backupOnCallAlerted(backed.onCallBackup!);
    expect(i.backupAlerted).toBe(true);
    expect(i.state.escalation.backupAlertedAt).toBe('2026-11-24T02:15:00.000Z');
    expect(i.state.timeline.at(-1)).toEqual({
      at: '2026-11-24T02:15:00.000Z',
      step: 'escalation',
      by: 'pgwarden',
      what: 'backup on call alerted: bob@x.io (level 1 not acknowledged after 15 min)',
    });
    expect(i.alerted).toEqual(['devops@x.io', 'bob@x.io']);
    // The board, the live message and the notices name them among those alerted.
    const state = incident({ matrix: backed });
    expect(alertedWords(state)).toBe('level 1 (DevOps team)');
    const told = { ...state, escalation: { ...state.escalation, backupAlertedAt: '2026-11-24T02:15:00.000Z' } };
    expect(alertedWords(told)).toBe('level 1 (DevOps team), and the backup on call bob@x.io');
    expect(briefOf(told).alerted).toBe('level 1 (DevOps team), and the backup on call bob@x.io');
  });
  const due = { who: 'bob@x.io', at: '2026-11-24T02:15:00.000Z', afterMinutes: 15 };
  it.each([
    ['no backup in the matrix', {}, null, null],
    ['open, unacknowledged: due at its minutes', { matrix: backed }, due, null],
    ['acknowledged: never due', { matrix: backed, acknowledgedBy: 'alice' }, null, null],
    ['resolved: never due', { matrix: backed, status: 'resolved' }, null, null],
    [
      'alerted',
      { matrix: backed, backupAlertedAt: '2026-11-24T02:16:00.000Z' },
      null,
      { ...due, at: '2026-11-24T02:16:00.000Z' },
    ],
  ] as Array<[string, Record<string, unknown>, unknown, unknown]>)('the backup on call: %s', (_what, over, isDue, wasAlerted) => {
    const { matrix: m, status, ...escalation } = over as { matrix?: EscalationMatrix; status?: 'resolved' };
    const s = incident({ ...(m ? { matrix: m } : {}), ...(status ? { status } : {}) });
    const state = { ...s, escalation: { ...s.escalation, ...escalation } };
    expect(backupDue(state)).toEqual(isDue);
    expect(backupAlerted(state)).toEqual(wasAlerted);
  });
});

describe('opening an incident', () => {
  it.each([
    [{ summary: 'orders lost' }, null],
    [{ summary: '  ' }, '"summary" is required: one line saying what failed, e.g. {"summary": "orders database corrupted"}'],
    [{ summary: 'x', severity: 'SEV9' }, '"severity" "SEV9": use one of SEV1, SEV2, SEV3 (or "drill": true)'],
    [{ summary: 'x', failureTime: 'yesterday' }, '"failureTime" "yesterday" is not an ISO time like 2026-11-24T02:15:00Z'],
    [{ summary: 'x', failureTime: '2026-11-24T03:00:00Z' }, '"failureTime" 2026-11-24T03:00:00Z is in the future'],
    [{ summary: 'x', failureTime: '2026-11-24T01:00:00Z', severity: 'SEV2' }, null],
  ])('%j: %s', (input, problem) => {
    expect(openingProblem(input as never, openedAt)).toBe(problem);
  });
  it('defaults severity, database, opener and failure time', () => {
    expect(openingState('dr-1', { summary: ' orders lost ' }, openedAt)).toMatchObject({
      summary: 'orders lost',
      severity: 'SEV1',
      database: '(default)',
      openedBy: 'on-call',
      failureTime: openedAt.toISOString(),
      status: 'open',
      step: 'identify',
    });
  });
});

describe('the incident state machine', () => {
  let clock = openedAt.getTime();
  const tick = () => new Date((clock += 60_000));
  const fresh = () => {
    clock = openedAt.getTime();
    const i = new Incident('dr-1', { summary: 'orders lost', failureTime: '2026-11-24T01:00:00Z' }, openedAt, tick);
    i.opened({ database: 'shop', matrix });
    return i;
  };

  it('skips a failed step by decision, a waiting step by cancelling it, and never counts an abort as a skip', () => {
    const i = fresh();
    i.stepStarted('identify');
    i.stepFailed('connection refused');
    expect(i.state.waitingFor).toBe('a decision on the failed step: pgwarden dr retry|skip dr-1 --reason TEXT (or abort)');
    expect(i.skip({ by: 'bob', reason: 'known down' })).toBe(false);
    const restore = fresh();
    restore.stepStarted('restore');
    restore.stepFailed('the data object is damaged');
    expect(restore.state.waitingFor).toMatch(/\(or abort\), or another recovery: pgwarden dr select dr-1 \.\.\. --as NAME$/);
    // Another recovery may be chosen for a failed restore, and is checked like any selection.
    expect(() => v.validateSelect(restore.state, { by: 'a', backupId: 'backup_20261124_010000' })).not.toThrow();
    expect(() => v.validateSelect(restore.state, { by: 'a', backupId: 'latest' })).toThrow(/is not a backup id/);
    restore.retryWithNewChoice('carol');
    expect(restore.decided).toBe('retry');
    expect(restore.state.timeline.at(-1)).toMatchObject({
      step: 'restore',
      by: 'carol',
      what: 'retry with the recovery chosen again',
    });
    expect(i.decided).toBe('skip');

    i.stepStarted('assess');
    expect(i.decided).toBeNull();
    i.waiting('the assessment');
    expect(i.skip({ by: 'bob', reason: 'obvious' })).toBe(true);
    expect(i.stepCancelled()).toBe(true);
    expect(i.state.skipped).toEqual(['assess']);

    i.stepStarted('select');
    i.abort({ by: 'bob', reason: 'false alarm' });
    expect(i.stepCancelled()).toBe(false);
  });

  it('takes a point-in-time recovery: proposed, chosen, recovered, and the data lost measured in seconds', () => {
    const i = fresh();
    i.proposedPointInTime({ unavailable: 'shop is not in WAL_ARCHIVE' });
    expect(i.state.pointInTime).toBeNull();
    expect(i.state.timeline.at(-1)!.what).toBe('no point-in-time recovery: shop is not in WAL_ARCHIVE');
    const point = {
      target: { kind: 'time' as const, time: '2026-11-24T00:59:59.000Z' },
      baseBackupId: 'base_20261123_021000',
      hostQueue: 'pgwarden-db1',
      lossSeconds: 1,
      why: 'the second before the failure',
    };
    i.proposedPointInTime(point);
    expect(i.state.timeline.at(-1)!.what).toBe(
      'proposed point in time 2026-11-24T00:59:59.000Z: the second before the failure; about 1 s of data lost before the failure',
    );
    i.choseRecovery(
      { by: ' bob ' },
      { kind: 'point-in-time', target: point.target },
      { backupId: point.baseBackupId, takenAt: '2026-11-23T02:20:00Z', hostQueue: 'pgwarden-db1' },
    );
    expect(i.state.selection).toEqual({
      by: 'bob',
      backupId: 'base_20261123_021000',
      kind: 'point-in-time',
      target: point.target,
      hostQueue: 'pgwarden-db1',
    });
    expect(i.restoreStarted()).toBe('dr-1-restore');
    expect(i.state.restore!.detail).toBe('recovering the server as of 2026-11-24T00:59:59.000Z into a new instance');
    i.recoveredPointInTime({
      baseBackupId: point.baseBackupId,
      connection: 'postgres://app@127.0.0.1:5999/shop',
      port: 5999,
      recoveredTo: { commitTime: '2026-11-24T00:59:58.400Z', lsn: '0/3000148' },
      lossSeconds: 0.6,
      durationMs: 90_000,
    });
    expect(i.state.restore).toMatchObject({
      status: 'succeeded',
      restoredInto: 'postgres://app@127.0.0.1:5999/shop',
      port: 5999,
      recoveredTo: { commitTime: '2026-11-24T00:59:58.400Z' },
    });
    i.close('resolved');
    // The failure at 01:00:00, the last commit recovered at 00:59:58.4: 1.6 s lost, not "24 h" nor "under 6 min".
    expect(i.state.recovery).toMatchObject({ dataLossHours: 0, dataLossSeconds: 1.6, withinRpo: true, restoreMs: 90_000 });
    expect(describeRecovery(i.state.recovery!)).toMatch(/data lost: the last 1\.6 s before the failure \(RPO 24 h: met\)/);
  });

  it('names the restore points made before the failure with the proposal', () => {
    const i = fresh();
    i.proposedPointInTime({
      target: { kind: 'time', time: '2026-11-24T00:59:59.000Z' },
      baseBackupId: 'base_1',
      lossSeconds: 1,
      why: 'the second before the failure',
      restorePoints: [{ name: 'before-migration', createdAt: '2026-11-24T00:40:00.000Z' }],
    });
    expect(i.state.timeline.at(-1)!.what).toBe(
      'proposed point in time 2026-11-24T00:59:59.000Z: the second before the failure; about 1 s of data lost before the failure; restore points made before the failure: "before-migration" (2026-11-24T00:40:00.000Z)',
    );
  });

  it('records what the check said about the point with the choice', () => {
    const i = fresh();
    i.choseRecovery(
      { by: 'bob' },
      { kind: 'point-in-time', target: { kind: 'name', name: 'sql-point' } },
      { backupId: 'base_1', takenAt: '2026-11-23T02:20:00Z', note: 'restore point "sql-point" was not recorded by pgwarden' },
    );
    expect(i.state.timeline.at(-1)!.what).toBe(
      'chose the server as of restore point "sql-point" (from base backup base_1), into a new instance; restore point "sql-point" was not recorded by pgwarden',
    );
  });

  it('takes tables as of a point: rows kept for step 5, the point from the last commit replayed', () => {
    const i = fresh();
    i.choseRecovery(
      { by: 'bob' },
      { kind: 'tables', target: { kind: 'time', time: '2026-11-24T00:59:59.000Z' }, tables: ['shop.orders'], replace: true },
      { backupId: 'base_1', takenAt: '2026-11-23T02:20:00Z' },
    );
    expect(i.state.timeline.at(-1)!.what).toBe(
      'chose shop.orders as of 2026-11-24T00:59:59.000Z (from base_1), in place of the live tables, after an approval',
    );
    i.restoreStarted();
    expect(i.state.restore!.detail).toBe(
      'recovering shop.orders as of 2026-11-24T00:59:59.000Z; the swap needs approval: pgwarden dr approve dr-1 --as NAME',
    );
    i.recoveredTables({
      into: 'shop',
      recoveredTo: { commitTime: '2026-11-24T00:59:50.000Z', lsn: '0/3000148' },
      tables: [{ table: 'shop.orders', as: 'shop.orders', rows: 300, keptAs: 'shop.orders_replaced' }],
      durationMs: 60_000,
    });
    expect(i.recoveredRows).toEqual([300]);
    expect(i.state.restore!.detail).toBe(
      'recovered shop.orders → shop.orders (300 rows; live rows kept as shop.orders_replaced) into shop in 1.0 min, as of the last commit 2026-11-24T00:59:50.000Z',
    );
    i.close('resolved');
    expect(i.state.recovery).toMatchObject({ dataLossSeconds: 10 });
  });

  it('puts the opening first, at the start time, even when an acknowledgement came before a worker did', () => {
    clock = openedAt.getTime() + 10 * 60_000; // the worker came 10 minutes late
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, tick);
    i.acknowledge({ by: 'bob' });
    i.opened({ database: 'shop', matrix });
    expect(i.state.timeline.map((t) => [t.at, t.what.split(':')[0]])).toEqual([
      [openedAt.toISOString(), 'opened'],
      [
        new Date(openedAt.getTime() + 12 * 60_000).toISOString(),
        'acknowledged; level 1 reminders stop (levels 2 and 3 still follow unless resolved)',
      ],
    ]);
  });

  it('an incident that could not open is failed, never open, and says why', () => {
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, tick);
    i.failedToOpen('database "nope" is not configured');
    expect([i.state.status, i.isOpen, i.state.waitingFor]).toEqual(['failed', false, null]);
    expect(i.state.timeline.at(-1)!.what).toBe('could not open: database "nope" is not configured');
  });

  it('numbers restore attempts in the child workflow ids', () => {
    const i = fresh();
    i.chose({ by: 'bob' }, 'backup_20261124_010000', { takenAt: '2026-11-24T01:00:00Z', storageClass: 'STANDARD' });
    expect([i.restoreStarted(), i.restoreStarted()]).toEqual(['dr-1-restore', 'dr-1-restore-2']);
  });

  it('closes resolved with the recovery line and tells the levels that were told', () => {
    const i = fresh();
    i.reached(1, matrix, { kind: 'opening' });
    i.reached(2, matrix, { kind: 'timer', afterMinutes: 60 });
    i.chose({ by: 'bob' }, 'backup_20261124_000000', { takenAt: '2026-11-24T00:00:00Z', storageClass: 'STANDARD' });
    i.restoreStarted();
    i.restored({ backupId: 'backup_20261124_000000', restoredInto: 'shop', keptAs: null, recoveryMs: 30 * 60_000 });
    const closing = i.close('resolved');
    expect(closing).toEqual({
      outcome:
        'full service in 0.08 h (RTO 4-6 h: met); restore 0.50 h (RTO 2-4 h: met); data lost: the last 1 h before the failure (RPO 24 h: met)',
      team: ['devops@x.io', 'manager@x.io'],
      customers: null,
    });
    expect(i.state.escalation.sent).toEqual([1, 2]);
    expect(i.state.timeline.at(-1)).toMatchObject({ step: 'incident', by: 'pgwarden', what: 'resolved' });
  });

  it('closes aborted in the words of who aborted, and tells nobody when it never opened', () => {
    const i = fresh();
    i.abort({ by: 'bob', reason: 'false alarm' });
    expect(i.close('aborted')?.outcome).toBe('aborted by bob: false alarm');
    const never = new Incident('dr-2', { summary: 'x' }, openedAt, tick);
    never.abort({ by: 'bob', reason: 'typo' });
    expect(never.close('aborted')).toBeNull();
  });
});

describe('what on-call reads in the UI', () => {
  it.each([
    [
      'the assessment: pgwarden dr assess dr-1 --scope TEXT --customer-impact yes|no --as NAME',
      'the assessment: `pgwarden dr assess dr-1 --scope TEXT --customer-impact yes|no --as NAME`',
    ],
    [
      'a decision on the failed step: pgwarden dr retry|skip dr-1 --reason TEXT (or abort)',
      'a decision on the failed step: `pgwarden dr retry|skip dr-1 --reason TEXT` (or abort)',
    ],
    ['nothing to run', 'nothing to run'],
  ])('puts commands in code spans: %s', (text, shown) => {
    expect(withCommandsInCode(text)).toBe(shown);
  });

  it('records a refused Signal in the timeline and shows it as the last refused action', () => {
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, () => new Date('2026-11-24T02:05:00Z'));
    i.refused('assessSignal', 'bob', '"customerImpact" must be true or false without quotes; got "yes"');
    i.refused('acknowledgeSignal', undefined, 'say who you are');
    expect(i.state.timeline.map((t) => [t.by, t.what])).toEqual([
      ['bob', 'refused assessSignal: "customerImpact" must be true or false without quotes; got "yes"'],
      ['someone (no "by")', 'refused acknowledgeSignal: say who you are'],
    ]);
    expect(incidentDetails({ ...i.state, matrix })).toContain(
      '**Last refused action:** acknowledgeSignal from someone (no "by") at 2026-11-24T02:05:00.000Z: say who you are',
    );
  });
});

describe('validators', () => {
  it.each([
    [
      'assess without by',
      () => v.validateAssess(incident(), { dataLossScope: 'x', customerImpact: true } as never),
      /"by" is required/,
    ],
    [
      'assess without scope',
      () => v.validateAssess(incident(), { by: 'a', dataLossScope: ' ', customerImpact: true }),
      /"dataLossScope" is required/,
    ],
    [
      'assess with a string for impact',
      () => v.validateAssess(incident(), { by: 'a', dataLossScope: 'x', customerImpact: 'yes' } as never),
      /^"customerImpact" must be true or false without quotes \(true if customers see the outage, else false\); got "yes"$/,
    ],
    [
      'assess without impact',
      () => v.validateAssess(incident(), { by: 'a', dataLossScope: 'x' } as never),
      /^"customerImpact" is required: true if customers see the outage, else false$/,
    ],
    [
      'assess with a number for scope',
      () => v.validateAssess(incident(), { by: 'a', dataLossScope: 42, customerImpact: true } as never),
      /^"dataLossScope" must be text in quotes, e\.g\. "what data is lost or at risk, e\.g\. orders since 02:00"; got 42$/,
    ],
    [
      'ack with a number for by',
      () => v.validateAcknowledge(incident(), { by: 7 } as never),
      /^"by" must be text in quotes, e\.g\. \{"by": "alice"\}; got 7$/,
    ],
    [
      'assess at another step',
      () => v.validateAssess(incident({ step: 'select' }), { by: 'a', dataLossScope: 'x', customerImpact: true }),
      /an assessment belongs to step "2. Assess impact", but the incident is at "3. Select backup"/,
    ],
    [
      'assess while the step runs',
      () => v.validateAssess(incident({ stepStatus: 'running' }), { by: 'a', dataLossScope: 'x', customerImpact: true }),
      /\(running\)/,
    ],
    [
      'select a bad id',
      () => v.validateSelect(incident({ step: 'select', proposal: null }), { by: 'a', backupId: 'latest' }),
      /is not a backup id/,
    ],
    [
      'select nothing without a proposal',
      () => v.validateSelect(incident({ step: 'select' }), { by: 'a' }),
      /no backup was proposed/,
    ],
    [
      'select the database itself as new',
      () => v.validateSelect(incident({ step: 'select' }), { by: 'a', backupId: 'backup_20261124_010000', newDatabase: 'shop' }),
      /leave it out to restore in place/,
    ],
    [
      'select while the restore runs',
      () =>
        v.validateSelect(incident({ step: 'restore', stepStatus: 'running' }), { by: 'a', backupId: 'backup_20261124_010000' }),
      /belongs to step "3. Select backup", but the incident is at "4. Execute restore" \(running\)/,
    ],
    [
      'select a bad new name',
      () =>
        v.validateSelect(incident({ step: 'select' }), { by: 'a', backupId: 'backup_20261124_010000', newDatabase: 'Shop-2' }),
      /lower-case letters/,
    ],
    ['approve with no restore', () => v.validateApproveRestore(incident(), { by: 'a' }), /no restore waiting for approval/],
    [
      'ack twice',
      () =>
        v.validateAcknowledge(
          incident({ escalation: { ...incident().escalation, acknowledgedBy: 'bob', acknowledgedAt: 't' } }),
          { by: 'a' },
        ),
      /already acknowledged by bob/,
    ],
    [
      'retry a step that did not fail',
      () => v.validateRetry(incident(), { by: 'a', reason: 'x' }),
      /only a failed step can be retried/,
    ],
    ['skip without a reason', () => v.validateSkip(incident(), { by: 'a', reason: '' }), /"reason" is required/],
    ['skip resume', () => v.validateSkip(incident({ step: 'resume' }), { by: 'a', reason: 'x' }), /cannot be skipped/],
    [
      'skip a running step',
      () => v.validateSkip(incident({ step: 'restore', stepStatus: 'running' }), { by: 'a', reason: 'x' }),
      /is running/,
    ],
    [
      'anything once closed',
      () => v.validateAbort(incident({ status: 'resolved' }), { by: 'a', reason: 'x' }),
      /the incident is resolved/,
    ],
  ])('refuses %s', (_what, call, message) => expect(call).toThrow(message));

  it.each([
    ['assess', () => v.validateAssess(incident(), { by: 'a', dataLossScope: 'orders', customerImpact: false })],
    [
      'select the proposal',
      () =>
        v.validateSelect(
          incident({
            step: 'select',
            proposal: {
              backupId: 'backup_20261124_010000',
              takenAt: 't',
              verified: true,
              storageClass: 'STANDARD_IA',
              retrieval: null,
              why: 'w',
            },
          }),
          { by: 'a' },
        ),
    ],
    ['skip a waiting step', () => v.validateSkip(incident(), { by: 'a', reason: 'assessed on the phone' })],
    ['retry a failed step', () => v.validateRetry(incident({ stepStatus: 'failed' }), { by: 'a', reason: 'fixed the network' })],
    ['abort', () => v.validateAbort(incident(), { by: 'a', reason: 'false alarm' })],
  ])('accepts %s', (_what, call) => expect(call).not.toThrow());
});

describe('incidentRecovery', () => {
  it('measures against RTO 2-4 h / 4-6 h and RPO 24 h', () => {
    const r = incidentRecovery({
      openedAt,
      resumedAt: new Date('2026-11-24T07:00:00Z'),
      restoreMs: 3 * 3_600_000,
      failureTime: new Date('2026-11-24T01:00:00Z'),
      backupTakenAt: new Date('2026-11-23T02:00:00Z'),
    });
    expect(r).toEqual({
      restoreMs: 3 * 3_600_000,
      restoreWithinRto: true,
      fullServiceMs: 5 * 3_600_000,
      fullServiceWithinRto: true,
      dataLossHours: 23,
      dataLossSeconds: 82_800,
      withinRpo: true,
    });
    const late = incidentRecovery({
      openedAt,
      resumedAt: new Date('2026-11-24T08:00:01Z'),
      restoreMs: null,
      failureTime: openedAt,
      backupTakenAt: new Date('2026-11-23T01:00:00Z'),
    });
    expect(late).toMatchObject({ restoreWithinRto: null, fullServiceWithinRto: false, dataLossHours: 25, withinRpo: false });
  });
});

describe('what people see', () => {
  it('summarises the incident for the UI in a few lines', () => {
    const now = new Date('2026-11-24T02:23:00Z');
    expect(incidentDetails(incident(), now).split('\n')).toEqual([
      '**[SEV1] shop**: orders lost',
      '**Status:** open; step 2. Assess impact (waiting); failure at 01:50 UTC',
      '**Waiting for:** the assessment',
      '**In the UI:** Update `assess` (or Signal `assessSignal`) with `{"by": "<you>", "dataLossScope": "<what data is lost or at risk>", "customerImpact": true}`',
      '**Escalation:** level 1 (DevOps team) sent; NOT acknowledged: Update `acknowledge` with `{"by": "<you>"}`',
      '**Next:** level 2 (manager) → manager@x.io at 03:00 UTC (in 37 min)',
    ]);
    // With an on-call rotation, who was on call at the opening.
    const rotated = incident({ matrix: { ...incident().matrix!, onCallNow: 'alice@x.io' } });
    expect(incidentDetails(rotated, now).split('\n')[4]).toBe(
      '**Escalation:** level 1 (DevOps team) sent (alice@x.io on call at the opening); NOT acknowledged: Update `acknowledge` with `{"by": "<you>"}`',
    );
    // With a backup on call: when they will be alerted, then when they were.
    const backedUp = incident({ matrix: { ...rotated.matrix!, onCallBackup: { who: 'bob@x.io', afterMinutes: 15 } } });
    expect(incidentDetails(backedUp, now).split('\n')[4]).toBe(
      '**Escalation:** level 1 (DevOps team) sent (alice@x.io on call at the opening; backup bob@x.io alerted if not acknowledged 15 min after the opening); NOT acknowledged: Update `acknowledge` with `{"by": "<you>"}`',
    );
    const alerted = { ...backedUp, escalation: { ...backedUp.escalation, backupAlertedAt: '2026-11-24T02:15:00.000Z' } };
    expect(incidentDetails(alerted, now).split('\n')[4]).toContain(
      '(alice@x.io on call at the opening; backup bob@x.io alerted at 02:15 UTC);',
    );
    expect(formatIncident(backedUp)).toMatch(/\nbackup     bob@x\.io at 2026-11-24 02:15:00Z unless acknowledged\n/);
    expect(formatIncident(alerted)).toMatch(
      /\nbackup     bob@x\.io alerted at 2026-11-24 02:15:00Z \(level 1 had not acknowledged\)\n/,
    );
    const taken = { ...backedUp, escalation: { ...backedUp.escalation, acknowledgedBy: 'alice' } };
    expect(incidentDetails(taken, now).split('\n')[4]).toContain('(alice@x.io on call at the opening);');
  });

  it('keeps the customer notice apart from the escalation, and shows the acknowledgement and the assessment', () => {
    const now = new Date('2026-11-25T00:10:00Z');
    const s = incident({
      step: 'select',
      waitingFor: 'a backup: pgwarden dr select dr-1 [--backup ID] --as NAME',
      assessment: { by: 'bob', at: '2026-11-24T02:20:00Z', dataLossScope: 'orders since 01:50', customerImpact: true },
      escalation: {
        ...incident().escalation,
        sent: [1, 4],
        level: 1,
        next: null,
        acknowledgedBy: 'bob',
        acknowledgedAt: '2026-11-24T02:12:00Z',
      },
    } as Partial<IncidentState>);
    expect(incidentDetails(s, now).split('\n').slice(2)).toEqual([
      '**Waiting for:** a backup: `pgwarden dr select dr-1 [--backup ID] --as NAME`',
      '**In the UI:** Update `selectBackup` (or Signal `selectBackupSignal`) with `{"by": "<you>"} (to choose: "backupId": "backup_..." with "newDatabase": "<name>"; or "to": "<ISO time>|latest"; or "tables": ["schema.table"] with "replace": true)`',
      '**Escalation:** level 1 (DevOps team) sent; acknowledged by bob at 2026-11-24 02:12 UTC',
      '**Assessment:** orders since 01:50; customer impact yes (by bob)',
      '**Customers:** notified (level 4)',
    ]);
  });
  describe('which incident notices go to Slack besides e-mail', () => {
    it.each([
      // kind, acknowledged by, through a bot (threads) or a webhook, to Slack
      ['level1', null, 'webhook', true],
      ['level1-reminder', null, 'webhook', false], // a webhook cannot thread: one post per reminder would bury the channel
      ['level1-reminder', null, 'bot', true], // a reply in the incident's thread
      ['acknowledged', 'alice', 'webhook', true],
      ['acknowledged', 'slack:bob', 'webhook', false], // the clicked message already says so
      ['acknowledged', 'slack:bob', 'bot', true], // and the thread too
      ['level2', 'alice', 'webhook', true],
      ['resolved', 'slack:bob', 'webhook', true],
    ] as const)('%s acknowledged by %s through a %s: %s', (kind, by, via, expected) => {
      expect(incidentNoticeToSlack(kind, { acknowledgedBy: by }, via === 'bot')).toBe(expected);
    });
  });

  describe("each level's notice, written for its reader", () => {
    const acked = incident({
      escalation: { ...incident().escalation, acknowledgedBy: 'bob' },
      assessment: { by: 'bob', at: '2026-11-24T02:20:00Z', dataLossScope: 'orders since 01:50', customerImpact: true },
    } as Partial<IncidentState>);
    const brief = briefOf(acked, { backup: { who: 'bob@x.io', onCall: 'alice@x.io', minutes: 15 } });
    const at = new Date('2026-11-24T03:00:00Z');
    const mail = (kind: Parameters<typeof incidentNotice>[0], b = brief) =>
      renderEmail(incidentNotice(kind, b, at, 'http://ui/x'));

    it.each([
      ['level1', '[pgwarden] INCIDENT: [SEV1] shop: disaster recovery started: orders lost'],
      ['acknowledged', '[pgwarden] ACKNOWLEDGED: [SEV1] shop: acknowledged by bob after 1 h 00 min: orders lost'],
      ['level2', '[pgwarden] ESCALATION: [SEV1] shop: manager notice: incident open 1 h 00 min, not resolved: orders lost'],
      ['level3', '[pgwarden] ESCALATION: [SEV1] shop: executive notice: incident open 1 h 00 min, not resolved: orders lost'],
      ['level4', '[pgwarden] CUSTOMERS: [SEV1] shop: customers are affected: orders lost'],
      ['resolved', '[pgwarden] RESOLVED: [SEV1] shop: incident resolved after 1 h 00 min: orders lost'],
      ['customer-closing', '[pgwarden] RESOLVED: [SEV1] shop: service restored: tell customers: orders lost'],
      ['aborted', '[pgwarden] ABORTED: [SEV1] shop: disaster recovery aborted: orders lost'],
      [
        'backup-oncall',
        '[pgwarden] INCIDENT: [SEV1] shop: NOT acknowledged after 15 min: backup on call bob@x.io alerted: orders lost',
      ],
    ] as const)('%s: no job-failure mark, a title that says what happened', (kind, subject) => {
      expect(mail(kind).subject).toBe(subject);
    });

    it('on-call gets the failure time, who opened it, what is awaited and how to acknowledge', () => {
      const text = mail('level1').text;
      expect(text).toContain('Failure at:   2026-11-24 01:50 UTC');
      expect(text).toContain('Opened:       2026-11-24 02:00 UTC by carol (1 h 00 min ago)');
      expect(text).toContain('Waiting for:  the assessment');
      expect(text).toContain(
        'What to do: acknowledge: pgwarden dr ack dr-shop-20261124T020000Z --as <name> (or Update acknowledge {"by": "<name>"} in the Temporal UI); reminders repeat until then. Then follow the runbook: pgwarden dr status dr-shop-20261124T020000Z',
      );
      expect(mail('level1-reminder', { ...brief, reminder: 2 }).subject).toMatch(
        /NOT acknowledged after 1 h 00 min \(reminder 2\)/,
      );
    });

    it('the backup on call learns who was on call, that nobody acknowledged, and how to take it', () => {
      const unacked = briefOf(incident(), { backup: { who: 'bob@x.io', onCall: 'alice@x.io', minutes: 15 } });
      const text = mail('backup-oncall', unacked).text;
      expect(text).toMatch(/^On call: +alice@x\.io, alerted at the opening$/m);
      expect(text).toMatch(/^Backup on call: +bob@x\.io$/m);
      expect(text).toMatch(/^Acknowledged: +NOT yet$/m);
      expect(text).toContain(
        `What to do: bob@x.io: you are the backup on call and nobody has acknowledged. Acknowledge to take it: pgwarden dr ack dr-shop-20261124T020000Z --as <name> (or Update acknowledge {"by": "<name>"} in the Temporal UI); level 1's reminders reach you too until then. Then follow the runbook: pgwarden dr status dr-shop-20261124T020000Z`,
      );
      // Posted to the channel once (it does not repeat), not paged (the pager has its own escalation).
      expect(incidentNoticeToSlack('backup-oncall', unacked, false)).toBe(true);
    });

    it('the manager learns where it stands, who leads it, when it should be over, and that nothing is asked', () => {
      const text = mail('level2').text;
      expect(text).toMatch(/Acknowledged: +by bob/);
      expect(text).toMatch(/Impact: +orders since 01:50; customers affected \(assessed by bob\)/);
      expect(text).toContain(
        'Full service expected: between 2026-11-24 06:00 UTC and 2026-11-24 08:00 UTC (RTO 4-6 h from the opening)',
      );
      expect(text).toMatch(/What to do: nothing is asked of you: .*bob leads the recovery/);
      expect(text).toContain('Follow it:');
      // A page after the restore already succeeded says so.
      expect(mail('level2', { ...brief, restore: 'succeeded: restored backup_1 in place' }).subject).toContain(
        'not resolved (database restored, checks and resume pending)',
      );
    });

    it('support learns what customers see and gets words to tell them', () => {
      const text = mail('level4').text;
      expect(text).toContain('What customers see: orders lost; data affected: orders since 01:50');
      expect(text).toContain('Since:              2026-11-24 01:50 UTC');
      expect(text).toMatch(
        /What to do: tell customers .*"We are restoring a database after a failure at 2026-11-24 01:50 UTC; orders since 01:50 may be affected\./,
      );
    });

    it('the resolved notice keeps the outcome and who confirmed the resume, with their note', () => {
      const resolved = briefOf(
        {
          ...acked,
          timeline: [
            ...acked.timeline,
            { at: '2026-11-24T03:00:00Z', step: 'resume', by: 'dave', what: 'operations resumed: items are back' },
          ],
        },
        { outcome: 'full service in 1.00 h (RTO 4-6 h: met)' },
      );
      const text = mail('resolved', resolved).text;
      expect(text).toContain('Outcome:      full service in 1.00 h (RTO 4-6 h: met)');
      expect(text).toContain('Confirmed by: dave: operations resumed: items are back');
    });
  });
});

describe('escalation settings', () => {
  const base = { DATABASE_URL: 'postgres://u:p@h/shop', SMTP_HOST: 'mail', NOTIFY_EMAIL_TO: 'team@x.io' };
  it('defaults to the strategy (1 h, 4 h) with everyone at NOTIFY_EMAIL_TO', () => {
    expect(loadConfig(base).incident.matrices).toEqual({
      default: {
        name: 'default',
        level1: { contacts: ['team@x.io'], repeatMinutes: 15 },
        level2: { contacts: ['team@x.io'], afterMinutes: 60 },
        level3: { contacts: ['team@x.io'], afterMinutes: 240 },
        level4: { contacts: ['team@x.io'] },
        updateReminderMinutes: 30,
      },
    });
  });
  it('reads the status update reminder, 0 for none, a named matrix inheriting it', () => {
    const m = loadConfig({
      ...base,
      ESCALATION_UPDATE_REMINDER_MINUTES: '0',
      ESCALATION_MATRICES: 'payments,internal',
      ESCALATION_PAYMENTS_UPDATE_REMINDER_MINUTES: '15',
    }).incident.matrices;
    expect([m.default.updateReminderMinutes, m.payments.updateReminderMinutes, m.internal.updateReminderMinutes]).toEqual([
      0, 15, 0,
    ]);
    expect(() => loadConfig({ ...base, ESCALATION_UPDATE_REMINDER_MINUTES: '-5' })).toThrow(/ESCALATION_UPDATE_REMINDER_MINUTES/);
  });
  it('reads an on-call rotation: level 1 is whoever is on call (and ESCALATION_L1_EMAIL when set); named matrices inherit it', () => {
    const m = loadConfig({
      ...base,
      ESCALATION_ONCALL: 'alice@x.io, bob@x.io',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
      ESCALATION_MATRICES: 'payments,internal',
      ESCALATION_PAYMENTS_ONCALL: 'pat@x.io',
      ESCALATION_PAYMENTS_ONCALL_FROM: '2026-12-07T10:00:00+01:00',
      ESCALATION_PAYMENTS_ONCALL_SHIFT_HOURS: '24',
    }).incident.matrices;
    expect(m.default).toMatchObject({
      level1: { contacts: [] }, // not NOTIFY_EMAIL_TO: the rotation is level 1
      onCall: { people: ['alice@x.io', 'bob@x.io'], from: '2026-12-07T09:00:00.000Z', shiftHours: 168 },
    });
    expect(m.payments.onCall).toEqual({ people: ['pat@x.io'], from: '2026-12-07T09:00:00.000Z', shiftHours: 24 });
    expect(
      loadConfig({
        ...base,
        ESCALATION_ONCALL: 'alice@x.io',
        ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
        ESCALATION_ONCALL_OVERRIDES: '2026-12-24T09:00:00Z/2026-12-27T09:00:00+01:00=bob@x.io',
      }).incident.matrices.default.onCall!.overrides,
    ).toEqual([{ who: 'bob@x.io', from: '2026-12-24T09:00:00.000Z', until: '2026-12-27T08:00:00.000Z' }]);
    expect(m.internal.onCall).toEqual(m.default.onCall);
    const withTeam = loadConfig({
      ...base,
      ESCALATION_ONCALL: 'alice@x.io',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
      ESCALATION_L1_EMAIL: 'devops@x.io',
    }).incident.matrices.default;
    expect(withTeam.level1.contacts).toEqual(['devops@x.io']);
    expect(loadConfig(base).incident.matrices.default.onCall).toBeUndefined();
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ ESCALATION_ONCALL: 'alice' })).toEqual([
      'ESCALATION_ONCALL: "alice" is not an e-mail address',
      'ESCALATION_ONCALL_FROM: when the first shift of ESCALATION_ONCALL begins, e.g. 2026-12-07T09:00:00Z',
    ]);
    expect(problems({ ESCALATION_ONCALL: 'a@x.io', ESCALATION_ONCALL_FROM: 'monday 9am' })).toEqual([
      'ESCALATION_ONCALL_FROM: "monday 9am" is not an ISO time with its zone, like 2026-12-07T09:00:00Z',
    ]);
    expect(problems({ ESCALATION_ONCALL: 'a@x.io', ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00' })).toEqual([
      'ESCALATION_ONCALL_FROM: "2026-12-07T09:00:00" is not an ISO time with its zone, like 2026-12-07T09:00:00Z',
    ]);
    expect(
      problems({
        ESCALATION_ONCALL: 'a@x.io',
        ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
        ESCALATION_ONCALL_SHIFT_HOURS: '0',
      }),
    ).toEqual([expect.stringMatching(/^ESCALATION_ONCALL_SHIFT_HOURS: /)]);
    const rotating = { ESCALATION_ONCALL: 'a@x.io', ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z' };
    // Reminders ahead of a shift, and handover notices (on unless turned off).
    const reminding = loadConfig({ ...base, ...rotating, ESCALATION_ONCALL_REMIND_HOURS: '12' });
    expect(reminding.incident.matrices.default.onCall!.remindHours).toBe(12);
    expect(reminding.incident.handovers).toBe(true);
    expect(loadConfig({ ...base, ...rotating, ESCALATION_ONCALL_HANDOVERS: 'false' }).incident.handovers).toBe(false);
    expect(problems({ ...rotating, ESCALATION_ONCALL_REMIND_HOURS: 'soon' })).toEqual([
      expect.stringMatching(/^ESCALATION_ONCALL_REMIND_HOURS: /),
    ]);
    // Each person's own reminder lead, over the rotation's.
    expect(
      loadConfig({ ...base, ...rotating, ESCALATION_ONCALL_REMIND_HOURS_FOR: 'a@x.io=24, b@x.io=0' }).incident.matrices.default
        .onCall!.remindHoursFor,
    ).toEqual({ 'a@x.io': 24, 'b@x.io': 0 });
    expect(problems({ ...rotating, ESCALATION_ONCALL_REMIND_HOURS_FOR: 'a@x.io:24,bob=2,c@x.io=999' })).toEqual([
      'ESCALATION_ONCALL_REMIND_HOURS_FOR: "a@x.io:24": expected <address>=<hours>, e.g. alice@example.com=24',
      'ESCALATION_ONCALL_REMIND_HOURS_FOR: "bob=2": "bob" is not an e-mail address',
      'ESCALATION_ONCALL_REMIND_HOURS_FOR: "c@x.io=999": at most 336 hours (two weeks)',
    ]);
    // A backup on call after minutes without an acknowledgement: before the manager, in each matrix.
    expect(
      loadConfig({ ...base, ...rotating, ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15' }).incident.matrices.default.onCall!
        .backupAfterMinutes,
    ).toBe(15);
    expect(loadConfig({ ...base, ...rotating }).incident.matrices.default.onCall).not.toHaveProperty('backupAfterMinutes');
    expect(problems({ ...rotating, ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '60' })).toEqual([
      'ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: must be earlier than ESCALATION_L2_AFTER_MINUTES (60): the backup on call comes before the manager',
    ]);
    expect(
      problems({
        ...rotating,
        ESCALATION_MATRICES: 'payments',
        ESCALATION_PAYMENTS_L2_AFTER_MINUTES: '10',
        ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
      }),
    ).toEqual([
      'ESCALATION_PAYMENTS_ONCALL_BACKUP_AFTER_MINUTES: must be earlier than ESCALATION_PAYMENTS_L2_AFTER_MINUTES (10): the backup on call comes before the manager',
    ]);
    expect(problems({ ...rotating, ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '-1' })).toEqual([
      expect.stringMatching(/^ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: /),
    ]);
    // A backup rotation of its own: addresses, and the minutes it waits for.
    expect(
      loadConfig({
        ...base,
        ...rotating,
        ESCALATION_ONCALL_BACKUP: 'c@x.io, d@x.io',
        ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
      }).incident.matrices.default.onCall!.backupPeople,
    ).toEqual(['c@x.io', 'd@x.io']);
    expect(loadConfig({ ...base, ...rotating }).incident.matrices.default.onCall).not.toHaveProperty('backupPeople');
    expect(problems({ ...rotating, ESCALATION_ONCALL_BACKUP: 'c@x.io,dave' })).toEqual([
      'ESCALATION_ONCALL_BACKUP: "dave" is not an e-mail address',
      'ESCALATION_ONCALL_BACKUP: a backup rotation needs ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: how long after the opening, unacknowledged, the backup is alerted (e.g. 15)',
    ]);
    // Someone standing in as the backup, planned ahead: read as overrides are; refused without the minutes.
    const frank = '2026-12-24T09:00:00Z/2026-12-27T09:00:00+01:00=frank@x.io';
    expect(
      loadConfig({
        ...base,
        ...rotating,
        ESCALATION_ONCALL_BACKUP_OVERRIDES: frank,
        ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
      }).incident.matrices.default.onCall!.backupOverrides,
    ).toEqual([{ who: 'frank@x.io', from: '2026-12-24T09:00:00.000Z', until: '2026-12-27T08:00:00.000Z' }]);
    expect(problems({ ...rotating, ESCALATION_ONCALL_BACKUP_OVERRIDES: `${frank}, 2026-12-24/2026-12-27=bob@x.io` })).toEqual([
      'ESCALATION_ONCALL_BACKUP_OVERRIDES: "2026-12-24/2026-12-27=bob@x.io": expected <from>/<until>=<address> with ISO times, e.g. 2026-12-24T09:00:00Z/2026-12-27T09:00:00Z=bob@example.com',
      'ESCALATION_ONCALL_BACKUP_OVERRIDES: someone standing in as the backup needs ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: how long after the opening, unacknowledged, the backup is alerted (e.g. 15)',
    ]);
    expect(problems({ ESCALATION_ONCALL_BACKUP_OVERRIDES: frank })).toEqual([
      'ESCALATION_ONCALL_BACKUP_OVERRIDES: goes with a rotation: set ESCALATION_ONCALL too (who is on call in turn)',
    ]);
    // Without a rotation, a backup would be ignored: refused instead.
    expect(problems({ ESCALATION_ONCALL_BACKUP: 'c@x.io', ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15' })).toEqual([
      'ESCALATION_ONCALL_BACKUP: goes with a rotation: set ESCALATION_ONCALL too (who is on call in turn)',
      'ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: goes with a rotation: set ESCALATION_ONCALL too (who is on call in turn)',
    ]);
    expect(problems({ ...rotating, ESCALATION_MATRICES: 'payments', ESCALATION_PAYMENTS_ONCALL_BACKUP: 'c@x.io' })).toEqual([
      'ESCALATION_PAYMENTS_ONCALL_BACKUP: goes with a rotation: set ESCALATION_PAYMENTS_ONCALL too (who is on call in turn)',
    ]);
    expect(
      problems({
        ...rotating,
        ESCALATION_ONCALL_OVERRIDES:
          '2026-12-24/2026-12-27=bob@x.io, 2026-12-24T09:00:00Z/2026-12-23T09:00:00Z=bob@x.io, 2026-12-24T09:00:00Z/2026-12-27T09:00:00Z=bob',
      }),
    ).toEqual([
      'ESCALATION_ONCALL_OVERRIDES: "2026-12-24/2026-12-27=bob@x.io": expected <from>/<until>=<address> with ISO times, e.g. 2026-12-24T09:00:00Z/2026-12-27T09:00:00Z=bob@example.com',
      'ESCALATION_ONCALL_OVERRIDES: "2026-12-24T09:00:00Z/2026-12-23T09:00:00Z=bob@x.io": ends before it begins',
      'ESCALATION_ONCALL_OVERRIDES: "2026-12-24T09:00:00Z/2026-12-27T09:00:00Z=bob": "bob" is not an e-mail address',
    ]);
  });
  it('reads named matrices over the default one', () => {
    const m = loadConfig({
      ...base,
      ESCALATION_L2_EMAIL: 'boss@x.io',
      ESCALATION_MATRICES: 'payments',
      ESCALATION_PAYMENTS_L2_AFTER_MINUTES: '15',
      ESCALATION_PAYMENTS_L3_EMAIL: 'cfo@x.io',
    }).incident.matrices;
    expect(m.payments).toMatchObject({
      name: 'payments',
      level2: { contacts: ['boss@x.io'], afterMinutes: 15 },
      level3: { contacts: ['cfo@x.io'], afterMinutes: 240 },
    });
    expect(m.default.level2.afterMinutes).toBe(60);
  });
  it('refuses bad settings, one line each, never showing the health URL', () => {
    const err = (() => {
      try {
        loadConfig({
          ...base,
          ESCALATION_L2_EMAIL: 'boss',
          ESCALATION_L2_AFTER_MINUTES: '300',
          ESCALATION_MATRICES: 'Pay-ments',
          DR_HEALTH_URL: 'ftp://token@host',
        });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual([
      'ESCALATION_L2_EMAIL: "boss" is not an e-mail address',
      'ESCALATION_L3_AFTER_MINUTES: must be later than ESCALATION_L2_AFTER_MINUTES (300)',
      'ESCALATION_MATRICES: "Pay-ments" is not a matrix name (lower-case letters and digits)',
      'DR_HEALTH_URL: expected an http:// or https:// URL (value not shown)',
    ]);
  });
});

describe('the CLI speaks in flags', () => {
  it.each([
    [
      '"backupId" "yesterday" is not a backup id like backup_20240101_120000',
      '--backup "yesterday" is not a backup id like backup_20240101_120000',
    ],
    [
      '"newDatabase" is the database itself; leave it out to restore in place',
      '--new-db is the database itself; leave it out to restore in place',
    ],
    ['say who you are: "by" is required, e.g. {"by": "alice"}', 'say who you are: --as is required'],
    ['"reason" is required: say why', '--reason is required: say why'],
    ['"text" is required: what to put on the record', '--text is required: what to put on the record'],
    ['"level" must be 2 (the manager) or 3 (the executive)', '--level must be 2 (the manager) or 3 (the executive)'],
    ['"tell" must be true or false without quotes', '--tell must be true or false without quotes'],
    [
      'already acknowledged by bob at T; to take the lead over: dr ack --take-over, e.g. {"by": "<you>", "takeOver": true}',
      'already acknowledged by bob at T; to take the lead over: dr ack --take-over',
    ],
    [
      'give either "to" (a time) or "toName" (a restore point), not both',
      'give either --to (a time) or --to-name (a restore point), not both',
    ],
  ])('%s', (message, said) => {
    expect(inFlagTerms(message)).toBe(said);
  });

  it('says what comes next after a step', () => {
    expect(nextLine(incident())).toBe('next: 2. Assess impact: the assessment');
    expect(nextLine(incident({ stepStatus: 'failed' }))).toBe(
      '2. Assess impact FAILED: retry, skip or abort (pgwarden dr status dr-shop-20261124T020000Z)',
    );
    expect(nextLine(incident({ step: 'restore', stepStatus: 'failed' }))).toBe(
      '4. Execute restore FAILED: retry, skip, choose another recovery (pgwarden dr select) or abort (pgwarden dr status dr-shop-20261124T020000Z)',
    );
    expect(nextLine(incident({ status: 'resolved' }))).toBe('the incident is resolved');
  });
});

describe('dr start --drill', () => {
  const env = { PGWARDEN_OPERATOR: 'carol' };
  it('asks for a drill (severity DRILL), attended or not, and refuses --attended alone', () => {
    expect(startInput({ summary: 'q', drill: true }, 'shop', env)).toEqual({
      summary: 'q',
      database: 'shop',
      severity: 'DRILL',
      drill: true,
      openedBy: 'carol',
    });
    expect(startInput({ summary: 'q', drill: true, attended: true }, 'shop', env)).toMatchObject({ drill: true, attended: true });
    expect(startInput({ summary: 'q', severity: 'drill' }, 'shop', env)).toMatchObject({ severity: 'DRILL' });
    expect(() => startInput({ summary: 'q', attended: true }, 'shop', env)).toThrow(
      '--attended goes with --drill: a real incident always waits for people',
    );
    expect(() => startInput({ summary: 'q', severity: 'SEV9' }, 'shop', env)).toThrow(
      '--severity SEV9: use one of SEV1, SEV2, SEV3 (or --drill)',
    );
  });

  it('opens a drill with severity DRILL, and refuses an in-place restore or tables into the live database at step 3', () => {
    const s = openingState('dr-1', { summary: 'q', drill: true }, openedAt);
    expect(s.severity).toBe('DRILL');
    expect(openingProblem({ summary: 'q', drill: 'yes' } as never, openedAt)).toBe(
      '"drill" must be true or false without quotes; got "yes"',
    );
    expect(openingProblem({ summary: 'q', scenario: 'server-lost' }, openedAt)).toBe(
      '"scenario" is for a drill: add "drill": true',
    );
    expect(openingProblem({ summary: 'q', drill: true, scenario: 'flood' } as never, openedAt)).toBe(
      '"scenario" "flood": the one scenario is "server-lost"',
    );
    expect(openingProblem({ summary: 'q', drill: true, scenario: 'server-lost' }, openedAt)).toBeNull();
    expect(startInput({ summary: 'q', drill: true, scenario: 'server-lost' }, 'shop', { PGWARDEN_OPERATOR: 'c' })).toMatchObject({
      scenario: 'server-lost',
    });
    expect(() => startInput({ summary: 'q', scenario: 'server-lost' }, 'shop', { PGWARDEN_OPERATOR: 'c' })).toThrow(
      '--scenario goes with --drill',
    );
    const waiting = {
      ...s,
      status: 'open' as const,
      step: 'select' as const,
      stepStatus: 'waiting' as const,
      drill: { attended: true, database: null },
      proposal: { backupId: 'backup_20261124_020000' } as IncidentState['proposal'],
      pointInTime: { target: { kind: 'latest' as const }, baseBackupId: 'base_1', lossSeconds: 1, why: '' },
    };
    expect(() => v.validateSelect(waiting, { by: 'a', backupId: 'backup_20261124_020000' })).toThrow(
      /^a drill never restores in place: give "newDatabase"/,
    );
    expect(() => v.validateSelect(waiting, { by: 'a', tables: ['shop.orders'] })).toThrow(
      /^a drill does not write into the live database/,
    );
    expect(() => v.validateSelect(waiting, { by: 'a', newDatabase: 'shop_drill' })).not.toThrow();
    expect(() => v.validateSelect(waiting, { by: 'a', to: 'latest' })).not.toThrow();
  });
});

describe('notes and status updates', () => {
  it.each([
    ['no text', { by: 'a', text: '' }, /"text" is required/],
    ['text that is not text', { by: 'a', text: 42 }, /"text" must be text in quotes/],
    ['nobody', { text: 'x' }, /say who you are/],
    ['a quoted tell', { by: 'a', text: 'x', tell: 'yes' }, /"tell" must be true or false without quotes/],
    ['a novel', { by: 'a', text: 'x'.repeat(v.UPDATE_MAX_CHARS + 1) }, /keep it to 2000 at most/],
  ])('refuses %s', (_what, input, message) => {
    expect(() => v.validateNote(incident(), input as unknown as v.UpdateInput)).toThrow(message);
  });

  it('takes one at any step while open, and refuses one once closed or a tell before anyone was alerted', () => {
    for (const stepStatus of ['running', 'waiting', 'failed'] as const)
      expect(() => v.validateNote(incident({ step: 'restore', stepStatus }), { by: 'a', text: 'x', tell: true })).not.toThrow();
    expect(() => v.validateNote(incident({ status: 'resolved' }), { by: 'a', text: 'x' })).toThrow(/the incident is resolved/);
    expect(() => v.validateNote(incident({ matrix: null }), { by: 'a', text: 'x', tell: true })).toThrow(/not opened yet/);
    expect(() => v.validateNote(incident({ matrix: null }), { by: 'a', text: 'x' })).not.toThrow();
  });

  it('reaches everyone alerted so far: level 1, then each level reached, support once told', () => {
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, () => openedAt);
    expect(i.alerted).toEqual([]);
    i.opened({ database: 'shop', matrix });
    i.reached(1, matrix, { kind: 'opening' });
    expect(i.alerted).toEqual(['devops@x.io']);
    i.reached(2, matrix, { kind: 'timer', afterMinutes: 60 });
    i.reached(4, matrix, { kind: 'customer-impact' });
    expect(i.alerted).toEqual(['devops@x.io', 'manager@x.io', 'support@x.io']);
    i.note({ by: ' bob ', text: ' restore at 60% ', tell: true });
    i.note({ by: 'carol', text: 'replica also corrupt' });
    expect(i.state.timeline.slice(-2).map((t) => [t.step, t.by, t.what])).toEqual([
      ['incident', 'bob', 'update to devops@x.io, manager@x.io, support@x.io: restore at 60%'],
      ['incident', 'carol', 'note: replica also corrupt'],
    ]);
  });

  it('dr note says who the update reached, or that a note reached nobody', () => {
    const s = incident({ escalation: { ...incident().escalation, sent: [1, 2] } });
    expect(noteLine(s, 'alice', true)).toBe(
      'update recorded as alice and sent to devops@x.io, manager@x.io and Slack, where configured (pgwarden dr status dr-shop-20261124T020000Z)',
    );
    expect(noteLine(s, 'bob', false)).toBe(
      'note recorded as bob in the timeline of dr-shop-20261124T020000Z; nobody was notified (--tell sends it to everyone alerted)',
    );
  });

  it('a status update says who and what in the subject (its first line, 80 characters), and the whole text inside', () => {
    const brief = briefOf(incident());
    const at = new Date('2026-11-24T03:00:00Z');
    const long = `restore at 60%; ${'x'.repeat(100)}\nsecond line`;
    const mail = renderEmail(incidentNotice('update', { ...brief, update: { by: 'bob', text: long } }, at, 'http://ui/x'));
    expect(mail.subject).toBe(`[pgwarden] UPDATE: [SEV1] shop: update from bob: ${long.slice(0, 79)}…`);
    expect(mail.text).toContain(`Update:       ${long}`);
    expect(mail.text).toContain('-- pgwarden (incident.update)');
    const drill = incidentNotice('update', { ...brief, severity: 'DRILL', update: { by: 'bob', text: 'x' } }, at);
    expect(drill.mark).toBe('DRILL');
    expect(incidentNoticeToSlack('update', { acknowledgedBy: null }, false)).toBe(true);
  });
});

describe('handing the lead over', () => {
  const acked = () =>
    incident({ escalation: { ...incident().escalation, acknowledgedBy: 'bob', acknowledgedAt: '2026-11-24T02:05:00Z' } });

  it.each([
    ['a second plain acknowledgement', acked, { by: 'carol' }, /already acknowledged by bob .*dr ack --take-over/],
    ['a take-over by who leads already', acked, { by: 'bob', takeOver: true }, /bob already leads this incident/],
    ['a quoted takeOver', acked, { by: 'carol', takeOver: 'yes' }, /"takeOver" must be true or false/],
    ['a reach that is no object', incident, { by: 'carol', reach: 'carol@x.io' }, /"reach" must be an object/],
    [
      'two addresses to reach',
      incident,
      { by: 'carol', reach: { email: 'a@x.io,b@x.io' } },
      /"reach.email" must be one e-mail address/,
    ],
    ['a Slack name for an id', incident, { by: 'carol', reach: { slack: '@carol' } }, /"reach.slack" must be a Slack user id/],
  ])('refuses %s', (_what, state, input, message) => {
    expect(() => v.validateAcknowledge(state(), input as unknown as v.AckInput)).toThrow(message);
  });

  it('reaches whoever leads as they acknowledged: by their mail, by a Slack mention, or not at all', () => {
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, () => openedAt);
    i.opened({ database: 'shop', matrix });
    const bob = { email: 'bob@x.io' };
    expect(() => v.validateAcknowledge(i.state, { by: 'mail link to bob@x.io', reach: bob })).not.toThrow();
    i.acknowledge({ by: 'mail link to bob@x.io', reach: bob });
    expect(i.state.escalation.leadReach).toEqual(bob);
    // carol takes over from Slack: mentioned there, never mailed at bob's address.
    i.acknowledge({ by: 'slack:carol', takeOver: true, reach: { slack: 'U0CAROL' } });
    expect(i.state.escalation.leadReach).toEqual({ slack: 'U0CAROL' });
    const at = new Date('2026-11-24T03:00:00Z');
    const brief = { ...briefOf(i.state), updateDue: { minutes: 30, audience: ['devops@x.io'] } };
    const due = incidentNotice('update-due', brief, at);
    expect(renderSlack(due).text).toMatch(/^<@U0CAROL> :warning: \*\[SEV1\] shop: no status update for 30 min/);
    expect(renderEmail(due).subject).not.toContain('U0CAROL');
    expect(renderSlack(incidentNotice('handover', { ...brief, handover: { from: 'bob', to: 'slack:carol' } }, at)).text).toMatch(
      /^<@U0CAROL> /,
    );
    // dave, from the CLI: no way to reach him known.
    i.acknowledge({ by: 'dave', takeOver: true });
    expect(i.state.escalation.leadReach).toBeNull();
    expect(renderSlack(incidentNotice('update-due', { ...briefOf(i.state), updateDue: brief.updateDue }, at)).text).not.toContain(
      '<@',
    );
  });

  it('passes the lead on, keeps the first acknowledgement, and names the new lead in later notices', () => {
    expect(() => v.validateAcknowledge(incident(), { by: 'carol', takeOver: true })).not.toThrow(); // nobody yet: an acknowledgement
    let t = openedAt.getTime();
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, () => new Date((t += 60_000)));
    i.opened({ database: 'shop', matrix });
    expect(i.acknowledge({ by: 'bob' })).toBeNull();
    expect(() => v.validateAcknowledge(i.state, { by: 'carol', takeOver: true })).not.toThrow();
    expect(i.acknowledge({ by: ' carol ', takeOver: true })).toBe('bob');
    expect(i.state.escalation).toMatchObject({
      acknowledgedBy: 'bob',
      acknowledgedAt: '2026-11-24T02:01:00.000Z',
      lead: { by: 'carol', since: '2026-11-24T02:03:00.000Z', from: 'bob' },
    });
    expect(leaderOf(i.state.escalation)).toBe('carol');
    expect(i.state.timeline.at(-1)).toMatchObject({ step: 'escalation', by: 'carol', what: 'took the lead over from bob' });
    expect(() => v.validateAcknowledge(i.state, { by: 'bob', takeOver: true })).not.toThrow(); // and back again
    const at = new Date('2026-11-24T03:00:00Z');
    const brief = briefOf(i.state);
    expect(brief.acknowledgedBy).toBe('carol');
    expect(renderEmail(incidentNotice('level2', brief, at)).text).toContain('carol leads the recovery');
    const mail = renderEmail(incidentNotice('handover', { ...brief, handover: { from: 'bob', to: 'carol' } }, at));
    expect(mail.subject).toBe('[pgwarden] HANDOVER: [SEV1] shop: carol takes the lead over from bob: orders lost');
    expect(mail.text).toContain('What to do: reach carol from now on, not bob');
  });
});

describe('escalating by hand, before the timer', () => {
  it.each([
    ['the manager', 2, [1], [2]],
    ['the executive: the manager first, if not yet', 3, [1], [2, 3]],
    ['the executive, the manager already told', 3, [1, 2], [3]],
    ['the executive, told already', 3, [1, 2, 3], []],
    ['the manager, support told (level 4 is not a rung)', 2, [1, 4], [2]],
  ] as Array<[string, 2 | 3, EscalationLevel[], number[]]>)('%s', (_what, to, sent, alerted) => {
    expect(levelsToEscalate(to, new Set(sent))).toEqual(alerted);
  });

  it.each([
    ['nobody', { level: 2, reason: 'x' }, /say who you are/],
    ['no level', { by: 'a', reason: 'x' }, /"level" must be 2 \(the manager\) or 3 \(the executive\)/],
    ['level 1', { by: 'a', level: 1, reason: 'x' }, /"level" must be 2/],
    ['a quoted level', { by: 'a', level: '2', reason: 'x' }, /without quotes; got "2"/],
    ['level 4 (customers come from the assessment)', { by: 'a', level: 4, reason: 'x' }, /"level" must be 2/],
    ['no reason', { by: 'a', level: 2, reason: ' ' }, /"reason" is required: why they are needed now/],
    ['a novel', { by: 'a', level: 2, reason: 'x'.repeat(v.UPDATE_MAX_CHARS + 1) }, /keep it to 2000 at most/],
  ])('refuses %s', (_what, input, message) => {
    expect(() => v.validateEscalate(incident(), input as unknown as v.EscalateInput)).toThrow(message);
  });

  it('takes one at any step while open; refuses a level already alerted, a closed incident, and a level 1 only drill', () => {
    for (const stepStatus of ['running', 'waiting', 'failed'] as const)
      expect(() =>
        v.validateEscalate(incident({ step: 'restore', stepStatus }), { by: 'a', level: 3, reason: 'x' }),
      ).not.toThrow();
    const told = incident({ escalation: { ...incident().escalation, sent: [1, 2] } });
    expect(() => v.validateEscalate(told, { by: 'a', level: 2, reason: 'x' })).toThrow(
      'level 2 (manager) was already alerted; to tell them more, post an update: dr note --tell',
    );
    expect(() => v.validateEscalate(told, { by: 'a', level: 3, reason: 'x' })).not.toThrow();
    expect(() => v.validateEscalate(incident({ status: 'aborted' }), { by: 'a', level: 2, reason: 'x' })).toThrow(
      /the incident is aborted/,
    );
    expect(() => v.validateEscalate(incident({ matrix: null }), { by: 'a', level: 2, reason: 'x' })).toThrow(/not opened yet/);
    const drill = incident({ severity: 'DRILL', escalation: { ...incident().escalation, levelOneOnly: true } });
    expect(() => v.validateEscalate(drill, { by: 'a', level: 2, reason: 'x' })).toThrow(
      'this drill alerts level 1 only (DR_DRILL_ESCALATE is off)',
    );
  });

  it.each([
    ['nobody', { who: 'dba@x.io', reason: 'x' }, /say who you are/],
    ['no address', { by: 'a', reason: 'x' }, /"who" is required: the address of whoever should help/],
    ['a name, not an address', { by: 'a', who: 'dave', reason: 'x' }, /"who" "dave" is not an e-mail address/],
    ['no reason', { by: 'a', who: 'dba@x.io', reason: ' ' }, /"reason" is required: why they are needed/],
    ['a novel', { by: 'a', who: 'dba@x.io', reason: 'x'.repeat(v.UPDATE_MAX_CHARS + 1) }, /keep it to 2000 at most/],
    [
      'someone level 1 alerts already',
      { by: 'a', who: 'devops@x.io', reason: 'x' },
      /devops@x\.io already hears of this incident/,
    ],
  ])('asking someone to help: refuses %s', (_what, input, message) => {
    expect(() => v.validateAddResponder(incident(), input as unknown as v.ResponderInput)).toThrow(message);
  });

  it('asks someone to help at any step while open, once; they then hear updates and the close', () => {
    const i = new Incident('dr-shop-20261124T020000Z', { summary: 'orders lost' }, openedAt, () => openedAt);
    i.opened({ database: 'shop', matrix });
    i.reached(1, matrix, { kind: 'opening' });
    const ask = { by: ' bob ', who: ' dba@x.io ', reason: ' the replica lags ' };
    expect(() => v.validateAddResponder(i.state, ask)).not.toThrow();
    expect(i.addResponder(ask)).toEqual({ who: 'dba@x.io', by: 'bob', at: openedAt.toISOString(), reason: 'the replica lags' });
    expect(i.state.timeline.at(-1)).toMatchObject({
      step: 'escalation',
      by: 'bob',
      what: 'asked dba@x.io to help: the replica lags',
    });
    expect(i.alerted).toEqual(['devops@x.io', 'dba@x.io']);
    // Listed where people look: the UI's details, the console, dr status.
    expect(incidentDetails(i.state, openedAt)).toContain('\n**Asked to help:** dba@x.io (asked by bob)');
    expect(formatIncident(i.state)).toContain('\nhelping    dba@x.io (asked by bob)\n');
    expect(() => v.validateAddResponder(i.state, ask)).toThrow('dba@x.io already hears of this incident');
    i.abort({ by: 'bob', reason: 'drill over' });
    expect(i.close('aborted')!.team).toEqual(['devops@x.io', 'dba@x.io']);
    expect(() => v.validateAddResponder(i.state, { ...ask, who: 'other@x.io' })).toThrow(/the incident is aborted/);
    expect(() => v.validateAddResponder(incident({ matrix: null }), ask)).toThrow(/not opened yet/);
    const crowded = incident({
      escalation: {
        ...incident().escalation,
        responders: Array.from({ length: v.MOST_RESPONDERS }, (_, n) => ({ who: `r${n}@x.io`, by: 'a', at: '', reason: 'x' })),
      },
    });
    expect(() => v.validateAddResponder(crowded, ask)).toThrow(
      '20 people were asked to help already; escalate to a level instead',
    );
    // Their notice: who asks, why, and where it stands; in flag terms for the CLI.
    const notice = renderEmail(
      incidentNotice(
        'responder',
        briefOf(i.state, { responder: { who: 'dba@x.io', by: 'bob', reason: 'the replica lags' } }),
        openedAt,
      ),
    );
    expect(notice.subject).toBe('[pgwarden] INCIDENT: [SEV1] shop: bob asks dba@x.io to help: the replica lags: orders lost');
    expect(notice.text).toMatch(/^Asked by: +bob$/m);
    expect(notice.text).toMatch(/^Why: +the replica lags$/m);
    // The incident's live Slack message lists them.
    const live = renderEmail(incidentNotice('live', briefOf(i.state), openedAt)).text;
    expect(live).toMatch(/^Helping: +dba@x\.io \(asked by bob\)$/m);
    // Nobody has acknowledged: they may take it, with their own link (the activity signs it).
    expect(notice.text).toContain(
      'What to do: dba@x.io: nobody has acknowledged yet: join the team, or acknowledge to lead it: pgwarden dr ack dr-shop-20261124T020000Z --as <name> (or Update acknowledge {"by": "<name>"} in the Temporal UI). Where it stands: pgwarden dr status dr-shop-20261124T020000Z',
    );
    const asked = { responder: { who: 'dba@x.io', by: 'bob', reason: 'the replica lags' } };
    const linked = renderEmail(
      incidentNotice('responder', briefOf(i.state, asked), openedAt, undefined, 'http://c/ack?t=x'),
    ).text;
    expect(linked).toMatch(/^Acknowledge in one click: +http:\/\/c\/ack\?t=x$/m);
    // Someone leads it: they join them, and no link is shown.
    i.acknowledge({ by: 'alice' });
    const joining = renderEmail(
      incidentNotice('responder', briefOf(i.state, asked), openedAt, undefined, 'http://c/ack?t=x'),
    ).text;
    expect(joining).toContain('What to do: dba@x.io: join alice, who leads the recovery; where it stands: pgwarden dr status');
    expect(joining).not.toContain('Acknowledge in one click');
    expect(inFlagTerms('"who" "dave" is not an e-mail address')).toBe('--who "dave" is not an e-mail address');
  });

  it('the timeline says who escalated and why, then each level alerted; dr escalate prints those levels', () => {
    const i = new Incident('dr-shop-20261124T020000Z', { summary: 'orders lost' }, openedAt, () => openedAt);
    i.opened({ database: 'shop', matrix });
    i.reached(1, matrix, { kind: 'opening' });
    i.escalate({ by: ' bob ', level: 3, reason: ' restore failed twice ' });
    i.reached(2, matrix, { kind: 'by-hand', by: 'bob', reason: 'restore failed twice' });
    i.reached(3, matrix, { kind: 'by-hand', by: 'bob', reason: 'restore failed twice' });
    expect(i.state.timeline.slice(-3).map((t) => [t.step, t.by, t.what])).toEqual([
      ['escalation', 'bob', 'escalated to level 3 (executive) now: restore failed twice'],
      ['escalation', 'pgwarden', 'level 2 (manager) notified: escalated by bob: manager@x.io'],
      ['escalation', 'pgwarden', 'level 3 (executive) notified: escalated by bob: exec@x.io'],
    ]);
    expect(i.state.escalation.level).toBe(3);
    expect(escalateLine(i.state, 'bob')).toBe(
      'escalated as bob: level 2 (manager): manager@x.io; level 3 (executive): exec@x.io alerted now, and Slack where configured (pgwarden dr status dr-shop-20261124T020000Z)',
    );
  });

  it('keeps each level told with when and why; dr escalate prints only the levels its own request alerted', () => {
    let now = openedAt;
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, () => now);
    i.opened({ database: 'shop', matrix });
    i.reached(1, matrix, { kind: 'opening' });
    now = new Date(openedAt.getTime() + 10 * 60_000);
    i.escalate({ by: 'bob', level: 2, reason: 'need a decision' });
    i.reached(2, matrix, { kind: 'by-hand', by: 'bob', reason: 'need a decision' });
    now = new Date(openedAt.getTime() + 30 * 60_000);
    i.escalate({ by: 'bob', level: 3, reason: 'customers cannot pay: now: really' });
    i.reached(3, matrix, { kind: 'by-hand', by: 'bob', reason: 'customers cannot pay: now: really' });
    expect(i.state.escalation.told.map((t) => [t.level, t.at, t.why.kind])).toEqual([
      [1, openedAt.toISOString(), 'opening'],
      [2, '2026-11-24T02:10:00.000Z', 'by-hand'],
      [3, '2026-11-24T02:30:00.000Z', 'by-hand'],
    ]);
    // Each entry's time is its timeline line's.
    expect(i.state.escalation.told.map((t) => t.at)).toEqual(
      i.state.timeline.filter((t) => t.by === 'pgwarden' && / notified/.test(t.what)).map((t) => t.at),
    );
    expect(escalateLine(i.state, 'bob')).toBe(
      'escalated as bob: level 3 (executive): exec@x.io alerted now, and Slack where configured (pgwarden dr status dr-1)',
    );
  });

  it.each([
    ['2', 2],
    ['manager', 2],
    [' Executive ', 3],
    ['3', 3],
  ] as Array<[string, 2 | 3]>)('dr escalate --level %s', (text, level) => {
    expect(escalationLevel(text)).toBe(level);
  });

  it('dr escalate refuses a missing or unknown --level in one line', () => {
    expect(() => escalationLevel(undefined)).toThrow('--level is required: 2 (the manager) or 3 (the executive)');
    expect(() => escalationLevel('4')).toThrow('--level 4: give 2 (the manager) or 3 (the executive)');
  });

  it("an escalated level's notice says who asked for it and why, in the subject and first", () => {
    const at = new Date('2026-11-24T02:12:00Z');
    const brief = { ...briefOf(incident()), escalated: { by: 'bob', reason: 'restore failed twice' } };
    const mail = renderEmail(incidentNotice('level2', brief, at, 'http://ui/x'));
    expect(mail.subject).toBe(
      '[pgwarden] ESCALATION: [SEV1] shop: manager notice: escalated by bob after 12 min: restore failed twice: orders lost',
    );
    expect(mail.text).toMatch(/^Escalated by: +bob: restore failed twice$/m);
    expect(mail.text).toContain("bob asks for you now, before the escalation's timer: restore failed twice.");
    expect(mail.text).toContain('-- pgwarden (incident.level2)');
    // The timer's own notice is as before.
    expect(renderEmail(incidentNotice('level3', briefOf(incident()), at)).subject).toBe(
      '[pgwarden] ESCALATION: [SEV1] shop: executive notice: incident open 12 min, not resolved: orders lost',
    );
  });
});

describe('reminders to post a status update', () => {
  const at = (m: number) => new Date(openedAt.getTime() + m * 60_000);
  it.each([
    ['before the manager was told', 30, null, false, null],
    ['30 min after the latest news', 30, at(75), false, at(105)],
    ['off', 0, at(75), false, null],
    ['closed', 30, at(75), true, null],
    ['an incident opened before the setting', undefined, at(75), false, null],
  ] as Array<[string, number | undefined, Date | null, boolean, Date | null]>)('%s', (_what, minutes, last, closed, due) => {
    expect(updateReminderAt({ ...matrix, updateReminderMinutes: minutes }, last, closed)).toEqual(due);
  });

  it('counts as news the manager told, a status update, a reminder; not a note, level 1 or customers', () => {
    let now = openedAt;
    const i = new Incident('dr-1', { summary: 'orders lost' }, openedAt, () => now);
    const after = (m: number) => (now = at(m));
    i.opened({ database: 'shop', matrix });
    i.reached(1, matrix, { kind: 'opening' });
    i.reached(4, matrix, { kind: 'customer-impact' });
    i.note({ by: 'bob', text: 'x', tell: true });
    expect(i.lastNewsAt).toBeNull(); // the manager was not told yet
    after(60);
    i.reached(2, matrix, { kind: 'timer', afterMinutes: 60 });
    expect(i.lastNewsAt).toEqual(at(60));
    after(70);
    i.note({ by: 'bob', text: 'a note only' });
    expect(i.lastNewsAt).toEqual(at(60));
    after(80);
    i.note({ by: 'bob', text: 'restore at 60%', tell: true });
    expect(i.lastNewsAt).toEqual(at(80));
    after(110);
    i.updateReminder(30);
    expect(i.lastNewsAt).toEqual(at(110));
    expect(i.state.timeline.at(-1)?.what).toBe('update reminder: no status update for 30 min to those alerted above level 1');
  });

  it("keeps the thread's first message saying where the incident stands, and at the close how it ended", () => {
    const at = new Date('2026-11-24T02:42:00Z');
    const open = { ...briefOf(incident()), acknowledgedBy: 'bob', alerted: 'level 1 (DevOps team)' };
    const live = renderSlack(incidentNotice('live', open, at, 'http://ui/x'));
    expect(live.text.split('\n')[0]).toBe(':rotating_light: *[SEV1] shop: disaster recovery under way for 42 min: orders lost*');
    expect(live.text).toContain('• *Acknowledged:* by bob');
    expect(live.text).toContain('• *Escalation:* level 1 (DevOps team) alerted');
    expect(live.text).toContain('• *As of:* 2026-11-24 02:42 UTC');
    expect(live.text).toContain('*What to do:* bob leads the recovery: pgwarden dr status dr-shop-20261124T020000Z');
    const closed = incidentNotice('live', { ...open, status: 'resolved', outcome: 'full service in 0.70 h' }, at);
    expect(renderSlack(closed).text.split('\n')[0]).toBe(
      ':white_check_mark: *[SEV1] shop: incident resolved after 42 min: orders lost*',
    );
    expect(closed.facts).toContainEqual(['Outcome', 'full service in 0.70 h']);
    expect(closed.action).toBeUndefined();
  });

  it('reminds level 1 with the command to post one, and who will hear it', () => {
    const brief = {
      ...briefOf(incident()),
      acknowledgedBy: 'bob',
      updateDue: { minutes: 30, audience: ['devops@x.io', 'manager@x.io'] },
    };
    const mail = renderEmail(incidentNotice('update-due', brief, new Date('2026-11-24T03:30:00Z'), 'http://ui/x'));
    expect(mail.subject).toBe(
      '[pgwarden] UPDATE DUE: [SEV1] shop: no status update for 30 min since the manager was told: orders lost',
    );
    expect(mail.text).toMatch(/^An update reaches: +devops@x\.io, manager@x\.io$/m);
    expect(mail.text).toContain(
      'bob (or anyone working on it): post where it stands and what comes next: pgwarden dr note dr-shop-20261124T020000Z --text',
    );
    expect(mail.text).toContain('-- pgwarden (incident.update-due)');
  });
});
