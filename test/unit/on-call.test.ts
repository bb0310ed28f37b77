/** The on-call rotation: whose shift it is at a time, the shifts after it, and the matrix an incident freezes. */
import type { EscalationMatrix, OnCallRotation } from '../../src/infra/config/incident';
import {
  backupGapWarnings,
  matrixAt,
  nextBackupTurn,
  shiftAt,
  shiftsFrom,
  shiftsWithBackup,
} from '../../src/operations/dr/on-call';

const weekly: OnCallRotation = {
  people: ['alice@x.io', 'bob@x.io', 'carol@x.io'],
  from: '2026-12-07T09:00:00.000Z',
  shiftHours: 168,
};

describe('on-call shifts', () => {
  it.each([
    ['the first shift starting', '2026-12-07T09:00:00Z', 'alice@x.io', '2026-12-07T09:00:00.000Z'],
    ['a second before the second shift', '2026-12-14T08:59:59Z', 'alice@x.io', '2026-12-07T09:00:00.000Z'],
    ['the second shift', '2026-12-14T09:00:00Z', 'bob@x.io', '2026-12-14T09:00:00.000Z'],
    ['the third', '2026-12-25T12:00:00Z', 'carol@x.io', '2026-12-21T09:00:00.000Z'],
    ['round again', '2026-12-28T09:00:00Z', 'alice@x.io', '2026-12-28T09:00:00.000Z'],
    ['the week before the start: the turns run backwards', '2026-12-01T00:00:00Z', 'carol@x.io', '2026-11-30T09:00:00.000Z'],
    ['a second before the start', '2026-12-07T08:59:59Z', 'carol@x.io', '2026-11-30T09:00:00.000Z'],
  ])('%s (%s): %s, since %s', (_what, at, who, from) => {
    const shift = shiftAt(weekly, new Date(at));
    expect([shift.who, shift.from.toISOString()]).toEqual([who, from]);
    expect(shift.until.getTime() - shift.from.getTime()).toBe(168 * 3_600_000);
  });

  // bob stands in for alice over Christmas: from the 9th at 12:00 to the 11th at 09:00.
  const swapped: OnCallRotation = {
    ...weekly,
    overrides: [{ who: 'bob@x.io', from: '2026-12-09T12:00:00.000Z', until: '2026-12-11T09:00:00.000Z' }],
  };
  it.each([
    [
      "alice's turn, cut where bob stands in",
      '2026-12-08T00:00:00Z',
      'alice@x.io',
      '2026-12-07T09:00:00.000Z',
      '2026-12-09T12:00:00.000Z',
    ],
    ['bob standing in', '2026-12-10T00:00:00Z', 'bob@x.io', '2026-12-09T12:00:00.000Z', '2026-12-11T09:00:00.000Z'],
    ["alice's turn again after it", '2026-12-12T00:00:00Z', 'alice@x.io', '2026-12-11T09:00:00.000Z', '2026-12-14T09:00:00.000Z'],
    ['the next turn, untouched', '2026-12-15T00:00:00Z', 'bob@x.io', '2026-12-14T09:00:00.000Z', '2026-12-21T09:00:00.000Z'],
  ])('with an override: %s (%s): %s, %s to %s', (_what, at, who, from, until) => {
    const shift = shiftAt(swapped, new Date(at));
    expect([shift.who, shift.from.toISOString(), shift.until.toISOString()]).toEqual([who, from, until]);
  });

  it('lists an override among the shifts, the turn resuming after it', () => {
    expect(shiftsFrom(swapped, new Date('2026-12-08T00:00:00Z'), 4).map((s) => [s.who, s.from.toISOString()])).toEqual([
      ['alice@x.io', '2026-12-07T09:00:00.000Z'],
      ['bob@x.io', '2026-12-09T12:00:00.000Z'],
      ['alice@x.io', '2026-12-11T09:00:00.000Z'],
      ['bob@x.io', '2026-12-14T09:00:00.000Z'],
    ]);
  });

  it('lists the shift running and those after it, back to back', () => {
    const daily = { ...weekly, shiftHours: 24 };
    expect(shiftsFrom(daily, new Date('2026-12-08T10:00:00Z'), 4).map((s) => [s.who, s.from.toISOString()])).toEqual([
      ['bob@x.io', '2026-12-08T09:00:00.000Z'],
      ['carol@x.io', '2026-12-09T09:00:00.000Z'],
      ['alice@x.io', '2026-12-10T09:00:00.000Z'],
      ['bob@x.io', '2026-12-11T09:00:00.000Z'],
    ]);
  });
});

describe('the matrix an incident freezes', () => {
  const matrix: EscalationMatrix = {
    name: 'default',
    level1: { contacts: ['devops@x.io', 'bob@x.io'], repeatMinutes: 15 },
    level2: { contacts: ['manager@x.io'], afterMinutes: 60 },
    level3: { contacts: ['exec@x.io'], afterMinutes: 240 },
    level4: { contacts: ['support@x.io'] },
  };

  it.each([
    ['alice on call: first, the team after', '2026-12-08T00:00:00Z', ['alice@x.io', 'devops@x.io', 'bob@x.io'], 'alice@x.io'],
    ['bob on call and in the team list: once, first', '2026-12-15T00:00:00Z', ['bob@x.io', 'devops@x.io'], 'bob@x.io'],
  ])('%s', (_what, at, contacts, now) => {
    expect(matrixAt({ ...matrix, onCall: weekly }, new Date(at))).toMatchObject({ level1: { contacts }, onCallNow: now });
  });

  it('leaves a matrix without a rotation as configured', () => {
    expect(matrixAt(matrix, new Date())).toBe(matrix);
  });

  // With a backup after 15 min unacknowledged: whoever is on call next, unless level 1 alerts them already.
  const backed: OnCallRotation = { ...weekly, backupAfterMinutes: 15 };
  const alone = { ...matrix, level1: { ...matrix.level1, contacts: [] } };
  const own: OnCallRotation = { ...backed, backupPeople: ['dan@x.io', 'eve@x.io'] };
  it.each<[string, EscalationMatrix, OnCallRotation, string, { who: string; afterMinutes: number } | undefined]>([
    ['alice on call: bob, on next', alone, backed, '2026-12-08T00:00:00Z', { who: 'bob@x.io', afterMinutes: 15 }],
    ['carol on call: round again to alice', alone, backed, '2026-12-22T00:00:00Z', { who: 'alice@x.io', afterMinutes: 15 }],
    ['bob next but in level 1 already: no backup', matrix, backed, '2026-12-08T00:00:00Z', undefined],
    [
      'a stand-in next (bob over Christmas, in alice week): the stand-in',
      alone,
      {
        ...backed,
        people: ['alice@x.io', 'carol@x.io'],
        overrides: [{ who: 'bob@x.io', from: '2026-12-09T12:00:00.000Z', until: '2026-12-11T09:00:00.000Z' }],
      },
      '2026-12-08T00:00:00Z',
      { who: 'bob@x.io', afterMinutes: 15 },
    ],
    ['a rotation of one: nobody else to alert', alone, { ...backed, people: ['alice@x.io'] }, '2026-12-08T00:00:00Z', undefined],
    ['no backup asked for', alone, weekly, '2026-12-08T00:00:00Z', undefined],
    // A backup rotation of its own, taking the same weekly shifts in turn.
    ['a backup rotation: its first turn', alone, own, '2026-12-08T00:00:00Z', { who: 'dan@x.io', afterMinutes: 15 }],
    ['a backup rotation: its second turn', alone, own, '2026-12-15T00:00:00Z', { who: 'eve@x.io', afterMinutes: 15 }],
    ['a backup rotation: round again', alone, own, '2026-12-22T00:00:00Z', { who: 'dan@x.io', afterMinutes: 15 }],
    ['a backup rotation: before its start, backwards', alone, own, '2026-12-01T00:00:00Z', { who: 'eve@x.io', afterMinutes: 15 }],
    [
      'a backup rotation: its turn standing in on call, so in level 1 already: none',
      alone,
      {
        ...own,
        overrides: [{ who: 'dan@x.io', from: '2026-12-07T12:00:00.000Z', until: '2026-12-09T00:00:00.000Z' }],
      },
      '2026-12-08T00:00:00Z',
      undefined,
    ],
    // Someone standing in as the backup (dr oncall --stand-in --backup): them, while it lasts.
    [
      'a backup rotation, frank standing in for dan: frank',
      alone,
      { ...own, backupOverrides: [{ who: 'frank@x.io', from: '2026-12-07T12:00:00.000Z', until: '2026-12-09T00:00:00.000Z' }] },
      '2026-12-08T00:00:00Z',
      { who: 'frank@x.io', afterMinutes: 15 },
    ],
    [
      'a backup rotation, frank standing in until an hour ago: dan again',
      alone,
      { ...own, backupOverrides: [{ who: 'frank@x.io', from: '2026-12-07T12:00:00.000Z', until: '2026-12-07T23:00:00.000Z' }] },
      '2026-12-08T00:00:00Z',
      { who: 'dan@x.io', afterMinutes: 15 },
    ],
    [
      'two backup stand-ins covering the time: the first listed (the newest)',
      alone,
      {
        ...own,
        backupOverrides: [
          { who: 'grace@x.io', from: '2026-12-08T00:00:00.000Z', until: '2026-12-08T01:00:00.000Z' },
          { who: 'frank@x.io', from: '2026-12-07T12:00:00.000Z', until: '2026-12-09T00:00:00.000Z' },
        ],
      },
      '2026-12-08T00:00:00Z',
      { who: 'grace@x.io', afterMinutes: 15 },
    ],
    [
      'next on call as the backup, frank standing in for bob: frank',
      alone,
      {
        ...backed,
        backupOverrides: [{ who: 'frank@x.io', from: '2026-12-07T12:00:00.000Z', until: '2026-12-09T00:00:00.000Z' }],
      },
      '2026-12-08T00:00:00Z',
      { who: 'frank@x.io', afterMinutes: 15 },
    ],
    [
      'a backup stand-in who is on call then: in level 1 already, none',
      alone,
      { ...own, backupOverrides: [{ who: 'alice@x.io', from: '2026-12-07T12:00:00.000Z', until: '2026-12-09T00:00:00.000Z' }] },
      '2026-12-08T00:00:00Z',
      undefined,
    ],
    [
      'a backup stand-in without minutes asked for: none',
      alone,
      {
        ...weekly,
        backupOverrides: [{ who: 'frank@x.io', from: '2026-12-07T12:00:00.000Z', until: '2026-12-09T00:00:00.000Z' }],
      },
      '2026-12-08T00:00:00Z',
      undefined,
    ],
    [
      'a backup rotation without minutes: none',
      alone,
      { ...weekly, backupPeople: ['dan@x.io'] },
      '2026-12-08T00:00:00Z',
      undefined,
    ],
  ])('%s', (_what, m, rotation, at, backup) => {
    const frozen = matrixAt({ ...m, onCall: rotation }, new Date(at));
    if (backup) expect(frozen.onCallBackup).toEqual(backup);
    else expect(frozen).not.toHaveProperty('onCallBackup');
  });
});

describe("the backup rotation's next turn", () => {
  const own: OnCallRotation = { ...weekly, backupAfterMinutes: 15, backupPeople: ['dan@x.io', 'eve@x.io'] };
  const frank = (from: string, until: string) => ({ ...own, backupOverrides: [{ who: 'frank@x.io', from, until }] });
  it.each<[string, OnCallRotation, string, [string, string, string] | undefined]>([
    [
      'the turn after dan: eve, a week',
      own,
      '2026-12-08T00:00:00Z',
      ['eve@x.io', '2026-12-14T09:00:00.000Z', '2026-12-21T09:00:00.000Z'],
    ],
    [
      'frank standing in over all of eve week: frank, his own times',
      frank('2026-12-14T09:00:00.000Z', '2026-12-21T09:00:00.000Z'),
      '2026-12-08T00:00:00Z',
      ['frank@x.io', '2026-12-14T09:00:00.000Z', '2026-12-21T09:00:00.000Z'],
    ],
    [
      'frank standing in from tomorrow, in dan week: frank from then',
      frank('2026-12-09T00:00:00.000Z', '2026-12-10T00:00:00.000Z'),
      '2026-12-08T00:00:00Z',
      ['frank@x.io', '2026-12-09T00:00:00.000Z', '2026-12-10T00:00:00.000Z'],
    ],
    [
      'frank standing in now: dan again once he ends, until the turn ends',
      frank('2026-12-07T12:00:00.000Z', '2026-12-09T00:00:00.000Z'),
      '2026-12-08T00:00:00Z',
      ['dan@x.io', '2026-12-09T00:00:00.000Z', '2026-12-14T09:00:00.000Z'],
    ],
    [
      'next on call as the backup: no rotation of turns',
      { ...weekly, backupAfterMinutes: 15 },
      '2026-12-08T00:00:00Z',
      undefined,
    ],
  ])('%s', (_what, rotation, at, turn) => {
    const next = nextBackupTurn(rotation, new Date(at));
    expect(next && [next.who, next.from.toISOString(), next.until.toISOString()]).toEqual(turn);
  });
});

/** A matrix whose level 1 is the rotation alone. */
const bare: EscalationMatrix = {
  name: 'default',
  level1: { contacts: [], repeatMinutes: 15 },
  level2: { contacts: ['manager@x.io'], afterMinutes: 60 },
  level3: { contacts: ['exec@x.io'], afterMinutes: 240 },
  level4: { contacts: [] },
};

describe('each shift with its backup on call', () => {
  const alone = bare;
  const at = new Date('2026-12-08T00:00:00Z');
  const whoAndBackup = (m: EscalationMatrix) => shiftsWithBackup(m, at, 3).map((s) => [s.who, s.backup]);
  it.each<[string, OnCallRotation, Array<[string, string | undefined]>]>([
    [
      'none asked for',
      weekly,
      [
        ['alice@x.io', undefined],
        ['bob@x.io', undefined],
        ['carol@x.io', undefined],
      ],
    ],
    [
      'whoever is on call next',
      { ...weekly, backupAfterMinutes: 15 },
      [
        ['alice@x.io', 'bob@x.io'],
        ['bob@x.io', 'carol@x.io'],
        ['carol@x.io', 'alice@x.io'],
      ],
    ],
    [
      'a backup rotation of their own',
      { ...weekly, backupAfterMinutes: 15, backupPeople: ['dan@x.io', 'eve@x.io'] },
      [
        ['alice@x.io', 'dan@x.io'],
        ['bob@x.io', 'eve@x.io'],
        ['carol@x.io', 'dan@x.io'],
      ],
    ],
  ])('%s', (_what, rotation, expected) => {
    expect(whoAndBackup({ ...alone, onCall: rotation })).toEqual(expected);
  });
  it('a shift a stand-in as the backup begins or ends within says each stretch and its backup', () => {
    const own: OnCallRotation = { ...weekly, backupAfterMinutes: 15, backupPeople: ['dan@x.io', 'eve@x.io'] };
    const frank = (from: string, until: string, who = 'frank@x.io') => ({
      ...alone,
      onCall: { ...own, backupOverrides: [{ who, from, until }] },
    });
    const stretches = (m: EscalationMatrix) =>
      shiftsWithBackup(m, at, 2).map((s) => [
        s.who,
        s.backup,
        s.backups?.map((p) => [p.backup, p.from.toISOString(), p.until.toISOString()]),
      ]);
    // Frank from Wednesday to Friday in alice's week (dan's backup turn): three stretches, the first from the shift's start.
    expect(stretches(frank('2026-12-09T00:00:00.000Z', '2026-12-11T00:00:00.000Z'))).toEqual([
      [
        'alice@x.io',
        'dan@x.io',
        [
          ['dan@x.io', '2026-12-07T09:00:00.000Z', '2026-12-09T00:00:00.000Z'],
          ['frank@x.io', '2026-12-09T00:00:00.000Z', '2026-12-11T00:00:00.000Z'],
          ['dan@x.io', '2026-12-11T00:00:00.000Z', '2026-12-14T09:00:00.000Z'],
        ],
      ],
      ['bob@x.io', 'eve@x.io', undefined],
    ]);
    // Standing in now until Friday, into the next week: the rest of the week, and the next shift's start.
    expect(stretches(frank('2026-12-07T12:00:00.000Z', '2026-12-15T00:00:00.000Z'))).toEqual([
      ['alice@x.io', 'frank@x.io', undefined],
      [
        'bob@x.io',
        'frank@x.io',
        [
          ['frank@x.io', '2026-12-14T09:00:00.000Z', '2026-12-15T00:00:00.000Z'],
          ['eve@x.io', '2026-12-15T00:00:00.000Z', '2026-12-21T09:00:00.000Z'],
        ],
      ],
    ]);
    // Dan standing in for his own turn changes nothing: one stretch.
    expect(stretches(frank('2026-12-09T00:00:00.000Z', '2026-12-11T00:00:00.000Z', 'dan@x.io'))[0]).toEqual([
      'alice@x.io',
      'dan@x.io',
      undefined,
    ]);
  });

  it('the shift under way has the backup an incident opened now would alert', () => {
    const rotation = { ...weekly, backupAfterMinutes: 15, backupPeople: ['dan@x.io', 'eve@x.io'] };
    const [now] = shiftsWithBackup({ ...alone, onCall: rotation }, at, 1);
    expect(now.backup).toBe(matrixAt({ ...alone, onCall: rotation }, at).onCallBackup!.who);
  });
});

describe("check's warning of shifts without a backup", () => {
  const m = bare;
  const at = new Date('2026-12-08T00:00:00Z');
  it.each<[string, EscalationMatrix, string[]]>([
    ['no backup asked for', { ...m, onCall: weekly }, []],
    [
      'a backup rotation out of step: none',
      { ...m, onCall: { ...weekly, backupAfterMinutes: 15, backupPeople: ['dan@x.io'] } },
      [],
    ],
    ['whoever is on call next: none', { ...m, onCall: { ...weekly, backupAfterMinutes: 15 } }, []],
    [
      // Three on call, two backups: Alice's turn comes round to both every sixth week.
      'a backup rotation whose turn falls on the person on call',
      { ...m, onCall: { ...weekly, backupAfterMinutes: 15, backupPeople: ['alice@x.io', 'dan@x.io'] } },
      [
        'on call: 2 of the next 8 shifts of matrix "default" have no backup, as the backup\'s turn falls on someone level 1 alerts: 2026-12-07 09:00 UTC (alice@x.io), 2027-01-18 09:00 UTC (alice@x.io); reorder ESCALATION_ONCALL_BACKUP, or plan someone as the backup for them (ESCALATION_ONCALL_BACKUP_OVERRIDES)',
      ],
    ],
    [
      'a rotation of one, in a named matrix',
      { ...m, name: 'payments', onCall: { ...weekly, people: ['alice@x.io'], backupAfterMinutes: 15 } },
      [
        expect.stringMatching(
          /^on call: 8 of the next 8 shifts of matrix "payments" have no backup, .*; whoever is on call next is in level 1 already, or the rotation has one person, or plan someone as the backup for them \(ESCALATION_PAYMENTS_ONCALL_BACKUP_OVERRIDES\)$/,
        ) as unknown as string,
      ],
    ],
  ])('%s', (_what, matrix, warnings) => {
    expect(backupGapWarnings([matrix], at)).toEqual(warnings);
  });
});
