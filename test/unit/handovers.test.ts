import type { OnCallRotation } from '../../src/infra/config/incident';
import { pagesOf } from '../../src/infra/notify/paging';
import { renderEmail, renderSlack } from '../../src/infra/notify/notice';
import { handoversDue, type RotationOf, type ToldShifts } from '../../src/operations/dr/handovers';
import { handoverNotice, handoverRecipients, shiftReminderNotice } from '../../src/operations/dr/roster-notices';
import { reviewShift } from '../../src/operations/dr/shift-review';
import { MAX_NOTE_CHARS, OnCallRoster, type HandoverNoteRequest } from '../../src/operations/dr/stand-ins';
import { handoversUntold, noteRefusedBeforehand, standInRefusedBeforehand } from '../../src/operations/dr/roster';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

// Weekly shifts from Monday 7 December 09:00 UTC: alice, bob, alice, ...
const weekly: OnCallRotation = { people: ['alice@x.io', 'bob@x.io'], from: '2026-12-07T09:00:00Z', shiftHours: 168 };
const payments: OnCallRotation = { people: ['pat@x.io', 'quinn@x.io'], from: '2026-12-07T09:00:00Z', shiftHours: 12 };
const rotations: RotationOf[] = [
  { name: 'default', onCall: weekly },
  { name: 'payments', onCall: payments },
];
/** Bob takes over from Alice for his week. */
const handover = {
  matrix: 'default',
  incoming: 'bob@x.io',
  outgoing: 'alice@x.io',
  from: '2026-12-14T09:00:00.000Z',
  until: '2026-12-21T09:00:00.000Z',
  next: 'alice@x.io',
};
const aliceWeek: ToldShifts = { default: { who: 'alice@x.io', from: '2026-12-07T09:00:00.000Z' } };

describe('handovers due', () => {
  it.each<[string, RotationOf[], ToldShifts, string, string[], Array<[string, string, string, string]>, ToldShifts]>([
    [
      'nothing told yet: recorded, not told (a deploy is no handover)',
      rotations.slice(0, 1),
      {},
      '2026-12-08T10:00:00Z',
      [],
      [],
      aliceWeek,
    ],
    ['the same shift', rotations.slice(0, 1), aliceWeek, '2026-12-10T10:00:00Z', [], [], aliceWeek],
    [
      'the turn passes',
      rotations.slice(0, 1),
      aliceWeek,
      '2026-12-14T09:00:00Z',
      [],
      [['default', 'bob@x.io', 'alice@x.io', '2026-12-21T09:00:00.000Z']],
      { default: { who: 'bob@x.io', from: '2026-12-14T09:00:00.000Z' } },
    ],
    [
      // The worker was down from the 13th to the 22nd: one handover, from whom it told last.
      'two turns missed: one handover from whom it told last',
      rotations.slice(0, 1),
      aliceWeek,
      '2026-12-22T09:00:00Z',
      [],
      [],
      { default: { who: 'alice@x.io', from: '2026-12-21T09:00:00.000Z' } },
    ],
    [
      'three turns missed',
      rotations.slice(0, 1),
      aliceWeek,
      '2026-12-29T09:00:00Z',
      [],
      [['default', 'bob@x.io', 'alice@x.io', '2027-01-04T09:00:00.000Z']],
      { default: { who: 'bob@x.io', from: '2026-12-28T09:00:00.000Z' } },
    ],
    [
      'said already by a stand-in change: recorded, not told again',
      rotations.slice(0, 1),
      aliceWeek,
      '2026-12-14T09:00:00Z',
      ['default'],
      [],
      { default: { who: 'bob@x.io', from: '2026-12-14T09:00:00.000Z' } },
    ],
    [
      'two matrices, each on its own',
      rotations,
      { ...aliceWeek, payments: { who: 'pat@x.io', from: '2026-12-14T09:00:00.000Z' } },
      '2026-12-14T21:00:00Z',
      ['default'],
      [['payments', 'quinn@x.io', 'pat@x.io', '2026-12-15T09:00:00.000Z']],
      {
        default: { who: 'bob@x.io', from: '2026-12-14T09:00:00.000Z' },
        payments: { who: 'quinn@x.io', from: '2026-12-14T21:00:00.000Z' },
      },
    ],
    [
      'a matrix no longer configured is forgotten',
      rotations.slice(1),
      { ...aliceWeek, payments: { who: 'pat@x.io', from: '2026-12-14T09:00:00.000Z' } },
      '2026-12-14T10:00:00Z',
      [],
      [],
      { payments: { who: 'pat@x.io', from: '2026-12-14T09:00:00.000Z' } },
    ],
    [
      'a rotation of one hands over to nobody',
      [{ name: 'default', onCall: { ...weekly, people: ['alice@x.io'] } }],
      aliceWeek,
      '2026-12-14T09:00:00Z',
      [],
      [],
      { default: { who: 'alice@x.io', from: '2026-12-14T09:00:00.000Z' } },
    ],
    [
      'an override beginning is a handover',
      [
        {
          name: 'default',
          onCall: { ...weekly, overrides: [{ who: 'carol@x.io', from: '2026-12-09T18:00:00Z', until: '2026-12-10T08:00:00Z' }] },
        },
      ],
      aliceWeek,
      '2026-12-09T18:00:00Z',
      [],
      [['default', 'carol@x.io', 'alice@x.io', '2026-12-10T08:00:00.000Z']],
      { default: { who: 'carol@x.io', from: '2026-12-09T18:00:00.000Z' } },
    ],
    ['a matrix without a rotation', [{ name: 'default' }], aliceWeek, '2026-12-14T09:00:00Z', [], [], {}],
  ])('%s', (_, given, told, at, quiet, expected, after) => {
    const check = handoversDue(given, told, new Date(at), new Set(quiet));
    expect(check.handovers.map((h) => [h.matrix, h.incoming, h.outgoing, h.until])).toEqual(expected);
    expect(check.told).toEqual(after);
  });

  it.each<[string, OnCallRotation, string | undefined]>([
    ['no backup asked for', weekly, undefined],
    ['the backup rotation: its turn', { ...weekly, backupAfterMinutes: 15, backupPeople: ['dan@x.io', 'eve@x.io'] }, 'eve@x.io'],
    // Bob hands back to Alice next: Alice, as she goes off, is his backup (mailed once).
    ['whoever is on call next', { ...weekly, backupAfterMinutes: 15 }, 'alice@x.io'],
    [
      'a backup rotation whose turn is the person coming on: none',
      { ...weekly, backupAfterMinutes: 15, backupPeople: ['bob@x.io'] },
      undefined,
    ],
  ])("the handover names the incoming shift's backup on call: %s", (_what, onCall, backup) => {
    const [h] = handoversDue([{ name: 'default', onCall }], aliceWeek, new Date('2026-12-14T09:00:00Z')).handovers;
    expect(h.incoming).toBe('bob@x.io');
    expect(h.backup).toBe(backup);
    expect(handoverRecipients(h)).toEqual(['bob@x.io', 'alice@x.io', ...(backup && backup !== 'alice@x.io' ? [backup] : [])]);
    const text = renderEmail(handoverNotice(h)).text;
    if (backup) expect(text).toMatch(new RegExp(`^Backup on call: +${backup.replace(/[.]/g, '\\.')}$`, 'm'));
    else expect(text).not.toContain('Backup on call');
  });

  it.each<[string, RotationOf[], string, string | null]>([
    ['the end of the current shift', rotations.slice(0, 1), '2026-12-08T10:00:00Z', '2026-12-14T09:00:00.000Z'],
    ['the soonest of two matrices', rotations, '2026-12-08T10:00:00Z', '2026-12-08T21:00:00.000Z'],
    [
      'where an override begins',
      [
        {
          name: 'default',
          onCall: { ...weekly, overrides: [{ who: 'carol@x.io', from: '2026-12-09T18:00:00Z', until: '2026-12-10T08:00:00Z' }] },
        },
      ],
      '2026-12-08T10:00:00Z',
      '2026-12-09T18:00:00.000Z',
    ],
    ['never, without a rotation', [{ name: 'default' }], '2026-12-08T10:00:00Z', null],
  ])('wakes at %s', (_, given, at, wakeAt) => {
    expect(handoversDue(given, {}, new Date(at)).wakeAt?.toISOString() ?? null).toBe(wakeAt);
  });
});

describe('a handover with incidents open', () => {
  it.each<[string, Array<{ id: string; severity: string; database: string }>, string | null, RegExp]>([
    ['none', [], null, /^a swap: pgwarden dr oncall --stand-in/],
    [
      'one',
      [{ id: 'dr-shop-1', severity: 'SEV2', database: 'shop' }],
      'Open incident: dr-shop-1 (SEV2, shop)',
      /^an incident is open: see where each stands with pgwarden dr status ID, and take the lead with pgwarden dr ack ID --take-over$/,
    ],
    [
      'two',
      [
        { id: 'dr-shop-1', severity: 'SEV2', database: 'shop' },
        { id: 'drill-orders-2', severity: 'DRILL', database: 'orders' },
      ],
      'Open incidents (2): dr-shop-1 (SEV2, shop); drill-orders-2 (DRILL, orders)',
      /^incidents are open: /,
    ],
  ])('says what the person coming on call inherits: %s', (_, open, fact, action) => {
    const notice = handoverNotice(handover, open);
    const facts = notice.facts.filter(([label]) => label.startsWith('Open incident')).map(([l, v]) => `${l}: ${v}`);
    expect(facts).toEqual(fact ? [fact] : []);
    expect(notice.action).toMatch(action);
  });
});

describe('reminders of the coming shift (ESCALATION_ONCALL_REMIND_HOURS)', () => {
  // Reminded 12 h ahead: Bob's week begins Monday the 14th at 09:00, so from Sunday 21:00.
  const reminding: RotationOf[] = [{ name: 'default', onCall: { ...weekly, remindHours: 12 } }];
  const bobs = 'bob@x.io 2026-12-14T09:00:00.000Z';
  it.each<[string, RotationOf[], ToldShifts, string, string[], Array<[string, string, string]>, string | undefined, string]>([
    [
      'not due yet: wakes when it is',
      reminding,
      aliceWeek,
      '2026-12-13T20:00:00Z',
      [],
      [],
      undefined,
      '2026-12-13T21:00:00.000Z',
    ],
    [
      'due: told once',
      reminding,
      aliceWeek,
      '2026-12-13T21:00:00Z',
      [],
      [['bob@x.io', '2026-12-14T09:00:00.000Z', 'alice@x.io']],
      bobs,
      '2026-12-14T09:00:00.000Z',
    ],
    [
      'told already',
      reminding,
      { default: { ...aliceWeek.default, reminded: bobs } },
      '2026-12-14T08:00:00Z',
      [],
      [],
      bobs,
      '2026-12-14T09:00:00.000Z',
    ],
    [
      'late (the worker was down): still told before the shift',
      reminding,
      aliceWeek,
      '2026-12-14T08:59:00Z',
      [],
      [['bob@x.io', '2026-12-14T09:00:00.000Z', 'alice@x.io']],
      bobs,
      '2026-12-14T09:00:00.000Z',
    ],
    ['first sight: recorded, not told', reminding, {}, '2026-12-13T22:00:00Z', [], [], bobs, '2026-12-14T09:00:00.000Z'],
    [
      'after a stand-in change told in the matrix: recorded',
      reminding,
      aliceWeek,
      '2026-12-13T22:00:00Z',
      ['default'],
      [],
      bobs,
      '2026-12-14T09:00:00.000Z',
    ],
    [
      'without reminders configured',
      rotations.slice(0, 1),
      aliceWeek,
      '2026-12-13T22:00:00Z',
      [],
      [],
      undefined,
      '2026-12-14T09:00:00.000Z',
    ],
    [
      'the same person next: nothing to remind',
      [{ name: 'default', onCall: { ...weekly, people: ['alice@x.io'], remindHours: 12 } }],
      aliceWeek,
      '2026-12-13T22:00:00Z',
      [],
      [],
      undefined,
      '2026-12-14T09:00:00.000Z',
    ],
    [
      // Carol stands in Monday morning: she is the one coming, and is reminded.
      'a stand-in coming next',
      [
        {
          name: 'default',
          onCall: {
            ...weekly,
            remindHours: 12,
            overrides: [{ who: 'carol@x.io', from: '2026-12-14T09:00:00Z', until: '2026-12-14T18:00:00Z' }],
          },
        },
      ],
      aliceWeek,
      '2026-12-13T21:00:00Z',
      [],
      [['carol@x.io', '2026-12-14T09:00:00.000Z', 'alice@x.io']],
      'carol@x.io 2026-12-14T09:00:00.000Z',
      '2026-12-14T09:00:00.000Z',
    ],
    [
      "bob's own lead (24 h) over the rotation's 12: due a day ahead",
      [{ name: 'default', onCall: { ...weekly, remindHours: 12, remindHoursFor: { 'bob@x.io': 24 } } }],
      aliceWeek,
      '2026-12-13T09:00:00Z',
      [],
      [['bob@x.io', '2026-12-14T09:00:00.000Z', 'alice@x.io']],
      bobs,
      '2026-12-14T09:00:00.000Z',
    ],
    [
      "bob's own lead of 0: never reminded, though the rotation reminds others",
      [{ name: 'default', onCall: { ...weekly, remindHours: 12, remindHoursFor: { 'bob@x.io': 0 } } }],
      aliceWeek,
      '2026-12-14T08:00:00Z',
      [],
      [],
      undefined,
      '2026-12-14T09:00:00.000Z',
    ],
    [
      'no reminders in the rotation, but bob asks for 2 h: not due yet, wakes then',
      [{ name: 'default', onCall: { ...weekly, remindHoursFor: { 'bob@x.io': 2, 'alice@x.io': 48 } } }],
      aliceWeek,
      '2026-12-14T06:00:00Z',
      [],
      [],
      undefined,
      '2026-12-14T07:00:00.000Z',
    ],
  ])('%s', (_, given, told, at, quiet, expected, reminded, wakeAt) => {
    const check = handoversDue(given, told, new Date(at), new Set(quiet));
    expect(check.reminders.map((r) => [r.who, r.from, r.current])).toEqual(expected);
    expect(check.told.default.reminded).toBe(reminded);
    expect(check.wakeAt?.toISOString()).toBe(wakeAt);
  });

  it.each<[string, string]>([
    ['2026-12-13T21:00:00Z', 'in 12 h'],
    ['2026-12-14T07:15:00Z', 'in 1.8 h'],
    ['2026-12-14T08:20:00Z', 'in 40 min'],
    ['2026-12-14T08:59:50Z', 'now'],
  ])('is mailed to whoever comes on call alone, saying when (at %s: %s)', (at, when) => {
    const notice = shiftReminderNotice(
      {
        matrix: 'default',
        who: 'bob@x.io',
        from: '2026-12-14T09:00:00.000Z',
        until: '2026-12-21T09:00:00.000Z',
        current: 'alice@x.io',
      },
      new Date(at),
    );
    expect(notice).toMatchObject({ event: 'oncall.reminder', alwaysSent: true, mark: 'ON CALL' });
    expect(renderEmail(notice).subject).toBe(
      `[pgwarden] ON CALL: bob@x.io goes on call ${when}: from 2026-12-14 09:00 UTC until 2026-12-21 09:00 UTC`,
    );
    expect(pagesOf(notice, { drills: true })).toEqual([]);
  });
});

describe("reminders of the backup rotation's coming turn", () => {
  // Dan is the backup in Alice's week, Eve in Bob's: Eve is reminded 12 h before Monday the 14th, 09:00.
  const backed: OnCallRotation = { ...weekly, remindHours: 12, backupAfterMinutes: 15, backupPeople: ['dan@x.io', 'eve@x.io'] };
  const eves = 'eve@x.io 2026-12-14T09:00:00.000Z';
  const check = (onCall: OnCallRotation, told: ToldShifts, at: string, backupReminders = true, quiet: string[] = []) =>
    handoversDue([{ name: 'default', onCall }], told, new Date(at), new Set(quiet), { backupReminders });
  const backups = (c: ReturnType<typeof check>) =>
    c.reminders.filter((r) => r.backupFor).map((r) => [r.who, r.from, r.current, r.backupFor]);
  it.each<[string, OnCallRotation, ToldShifts, string, boolean, string[], string[][], string | undefined]>([
    ['not due yet', backed, aliceWeek, '2026-12-13T20:00:00Z', true, [], [], undefined],
    [
      'due: told once, with who is on call then',
      backed,
      aliceWeek,
      '2026-12-13T21:00:00Z',
      true,
      [],
      [['eve@x.io', '2026-12-14T09:00:00.000Z', 'dan@x.io', 'bob@x.io']],
      eves,
    ],
    [
      'told already',
      backed,
      { default: { ...aliceWeek.default, remindedBackup: eves } },
      '2026-12-14T08:00:00Z',
      true,
      [],
      [],
      eves,
    ],
    ['first sight: recorded, not told', backed, {}, '2026-12-13T22:00:00Z', true, [], [], eves],
    [
      "a stand-in's notice said who is on call, not the backup: told",
      backed,
      aliceWeek,
      '2026-12-13T21:00:00Z',
      true,
      ['default'],
      [['eve@x.io', '2026-12-14T09:00:00.000Z', 'dan@x.io', 'bob@x.io']],
      eves,
    ],
    ['a roster from before them (not patched): none', backed, aliceWeek, '2026-12-13T21:00:00Z', false, [], [], undefined],
    [
      "eve's own lead of 0: none",
      { ...backed, remindHoursFor: { 'eve@x.io': 0 } },
      aliceWeek,
      '2026-12-13T21:00:00Z',
      true,
      [],
      [],
      undefined,
    ],
    [
      'the same backup again (a rotation of one): none',
      { ...backed, backupPeople: ['dan@x.io'] },
      aliceWeek,
      '2026-12-13T21:00:00Z',
      true,
      [],
      [],
      undefined,
    ],
    [
      "frank standing in as the backup over eve's turn: frank is reminded, not eve",
      {
        ...backed,
        backupOverrides: [{ who: 'frank@x.io', from: '2026-12-14T09:00:00.000Z', until: '2026-12-21T09:00:00.000Z' }],
      },
      aliceWeek,
      '2026-12-13T21:00:00Z',
      true,
      [],
      [['frank@x.io', '2026-12-14T09:00:00.000Z', 'dan@x.io', 'bob@x.io']],
      'frank@x.io 2026-12-14T09:00:00.000Z',
    ],
    [
      'frank standing in as the backup now, in place of dan: eve is told frank backs up until then',
      {
        ...backed,
        backupOverrides: [{ who: 'frank@x.io', from: '2026-12-13T09:00:00.000Z', until: '2026-12-14T09:00:00.000Z' }],
      },
      aliceWeek,
      '2026-12-13T21:00:00Z',
      true,
      [],
      [['eve@x.io', '2026-12-14T09:00:00.000Z', 'frank@x.io', 'bob@x.io']],
      eves,
    ],
    [
      'whoever is on call next as the backup: none',
      { ...backed, backupPeople: undefined },
      aliceWeek,
      '2026-12-13T21:00:00Z',
      true,
      [],
      [],
      undefined,
    ],
  ])('%s', (_what, onCall, told, at, patched, quiet, expected, remembered) => {
    const c = check(onCall, told, at, patched, quiet);
    expect(backups(c)).toEqual(expected);
    expect(c.told.default.remindedBackup).toBe(remembered);
  });

  it('wakes when a backup reminder is due before anything else', () => {
    // Eve asks for two days: due Saturday the 12th at 09:00, before Bob's own (Sunday 21:00).
    const early = check({ ...backed, remindHoursFor: { 'eve@x.io': 48 } }, aliceWeek, '2026-12-11T09:00:00Z');
    expect(early.wakeAt?.toISOString()).toBe('2026-12-12T09:00:00.000Z');
  });

  it('is mailed to the backup alone, saying whom they back up and how someone stands in for them', () => {
    const [reminder] = check(backed, aliceWeek, '2026-12-13T21:00:00Z').reminders.filter((r) => r.backupFor);
    const mail = renderEmail(shiftReminderNotice(reminder, new Date('2026-12-13T21:00:00Z')));
    expect(mail.subject).toBe(
      '[pgwarden] ON CALL: eve@x.io is the backup on call in 12 h: from 2026-12-14 09:00 UTC until 2026-12-21 09:00 UTC',
    );
    expect(mail.text).toMatch(/^On call: +bob@x\.io$/m);
    expect(mail.text).toMatch(/^Backup until then: +dan@x\.io$/m);
    expect(mail.text).toContain('pgwarden dr oncall --stand-in ADDRESS --backup --from TIME --until TIME');
  });
});

describe('the roster tells handovers with its stand-ins, and carries whom it told', () => {
  it('hands over to a stand-in and back, and a new run goes on from what the last one told', () => {
    const roster = new OnCallRoster();
    const monday = new Date('2026-12-08T10:00:00Z');
    expect(roster.handovers(rotations.slice(0, 1), monday).handovers).toEqual([]);
    roster.add(
      { matrix: 'default', who: 'carol@x.io', from: '2026-12-09T18:00:00Z', until: '2026-12-10T08:00:00Z', setBy: 'pgwarden' },
      monday,
    );
    // Its wake-up follows the stand-in.
    expect(roster.handovers(rotations.slice(0, 1), monday).wakeAt).toEqual(new Date('2026-12-09T18:00:00Z'));
    expect(roster.handovers(rotations.slice(0, 1), new Date('2026-12-09T18:00:00Z')).handovers).toEqual([
      {
        matrix: 'default',
        incoming: 'carol@x.io',
        outgoing: 'alice@x.io',
        from: '2026-12-09T18:00:00.000Z',
        until: '2026-12-10T08:00:00.000Z',
        next: 'alice@x.io',
        // Alice's shift, which the handover reviews.
        outgoingFrom: '2026-12-07T09:00:00.000Z',
      },
    ]);
    const next = new OnCallRoster(roster.snapshot(new Date('2026-12-09T19:00:00Z')));
    expect(next.handovers(rotations.slice(0, 1), new Date('2026-12-10T08:00:00Z')).handovers).toEqual([
      expect.objectContaining({
        incoming: 'alice@x.io',
        outgoing: 'carol@x.io',
        until: '2026-12-14T09:00:00.000Z',
        next: 'bob@x.io',
        outgoingFrom: '2026-12-09T18:00:00.000Z',
      }),
    ]);
  });
});

describe('what a handover tells', () => {
  it('is mailed to both, marked ON CALL, sent whatever NOTIFY_*_ON say, and never paged', () => {
    const notice = handoverNotice(handover);
    expect(handoverRecipients(handover)).toEqual(['bob@x.io', 'alice@x.io']);
    expect(notice).toMatchObject({ event: 'oncall.handover', severity: 'info', alwaysSent: true, about: 'default' });
    expect(pagesOf(notice, { drills: true })).toEqual([]);
    const mail = renderEmail(notice);
    expect(mail.subject).toBe(
      '[pgwarden] ON CALL: bob@x.io is on call now until 2026-12-21 09:00 UTC, taking over from alice@x.io',
    );
    expect(mail.text).toMatch(/^On call: +bob@x\.io$/m);
    expect(mail.text).toMatch(/^Off call: +alice@x\.io$/m);
    expect(mail.text).toMatch(/^Then: +alice@x\.io$/m);
    expect(mail.text).toMatch(/pgwarden dr oncall --stand-in ADDRESS --until TIME/);
    expect(JSON.stringify(renderSlack(notice))).toMatch(/bob@x\.io is on call now until 2026-12-21 09:00 UTC/);
  });
});

describe('what a handover tells of the shift going off', () => {
  it('reviews the shift going off, after the open incidents and before the note', () => {
    const since = '2026-12-07T09:00:00.000Z';
    const withNote = {
      ...handover,
      outgoingFrom: since,
      note: { matrix: 'default', text: 'db2 disk', by: 'alice', at: '2026-12-14T08:00:00.000Z' },
    };
    const notice = handoverNotice(withNote, [{ id: 'dr-shop-2', severity: 'SEV1', database: 'shop' }], reviewShift([], since));
    expect(notice.facts.map(([l]) => l).slice(-3)).toEqual(['Open incident', 'Last shift', 'Note from alice']);
    expect(renderEmail(notice).text).toMatch(/^Last shift: +since 2026-12-07 09:00 UTC: 0 backups stored, no run failed$/m);
    // Visibility unread: no review, and nothing said of it.
    expect(handoverNotice(withNote).facts.map(([l]) => l)).not.toContain('Last shift');
  });
});

describe('pgwarden check: handovers that would not be told', () => {
  const client = (describe: () => Promise<unknown>) => ({ workflow: { getHandle: () => ({ describe }) } }) as unknown as Client;
  const status = (name: string) => client(async () => ({ status: { name } }));
  const notFound = client(() => Promise.reject(new WorkflowNotFoundError('not found', 'pgwarden-oncall-q', undefined)));
  const rotating = { handovers: true, matrices: { default: { name: 'default', onCall: weekly } } };
  it.each<[string, Client, object, string | null]>([
    ['running', status('RUNNING'), rotating, null],
    [
      'never started',
      notFound,
      rotating,
      'on-call handovers and reminders are not told: the on-call roster (pgwarden-oncall-q) is not started; start it with pgwarden schedules apply',
    ],
    [
      'ended',
      status('TERMINATED'),
      rotating,
      'on-call handovers and reminders are not told: the on-call roster (pgwarden-oncall-q) is not running (terminated); start it with pgwarden schedules apply',
    ],
    ['Temporal could not say', client(() => Promise.reject(new Error('unavailable'))), rotating, null],
    ['handovers turned off', notFound, { ...rotating, handovers: false }, null],
    ['no rotation', notFound, { handovers: true, matrices: { default: { name: 'default' } } }, null],
  ])('%s', async (_, c, incident, expected) => {
    expect(await handoversUntold(c, 'q', incident as never)).toBe(expected);
  });
});

const weeklyPayments: RotationOf[] = [
  { name: 'default', onCall: weekly },
  { name: 'payments', onCall: { ...weekly, people: ['pat@x.io', 'quinn@x.io'] } },
];
const sunday = new Date('2026-12-13T20:00:00Z');
const aliceNote: HandoverNoteRequest = { matrix: 'default', text: "replica 2's WAL lag flapped twice", by: 'alice' };

describe('handover notes: left, replaced, taken back', () => {
  it.each<[string, Partial<HandoverNoteRequest>, string | null]>([
    ['a note', {}, null],
    ['the longest', { text: 'x'.repeat(MAX_NOTE_CHARS) }, null],
    [
      'too long',
      { text: 'x'.repeat(MAX_NOTE_CHARS + 1) },
      `a handover note is at most ${MAX_NOTE_CHARS} characters (this one has ${MAX_NOTE_CHARS + 1})`,
    ],
    ['taking back what was never left', { text: '   ' }, 'no handover note is left in matrix "default"'],
    ['a matrix name that cannot be', { matrix: 'Pay ments' }, '"Pay ments" is not a matrix name'],
    ['nobody', { by: ' ' }, 'a handover note says who left it'],
  ])('%s', (_, change, refused) => {
    const roster = new OnCallRoster();
    const req = { ...aliceNote, ...change };
    expect(roster.noteRefusal(req)).toBe(refused);
    if (refused) expect(() => roster.leaveNote(req, sunday)).toThrow(refused);
    else expect(roster.leaveNote(req, sunday).note).toMatchObject({ text: req.text, at: sunday.toISOString() });
  });

  it('keeps one note per matrix on one line, a newer one replacing it; an empty one takes it back', () => {
    const roster = new OnCallRoster();
    const first = roster.leaveNote({ ...aliceNote, text: '  migration 42\n\n  at  02:00 ' }, sunday);
    expect(first).toEqual({
      note: { matrix: 'default', text: 'migration 42 at 02:00', by: 'alice', at: sunday.toISOString() },
      replaced: null,
    });
    roster.leaveNote({ matrix: 'payments', text: 'card refunds retried', by: 'pat' }, sunday);
    const later = new Date('2026-12-13T21:00:00Z');
    const second = roster.leaveNote(aliceNote, later);
    expect(second.replaced).toEqual(first.note);
    expect(roster.notesLeft().map((n) => [n.matrix, n.text])).toEqual([
      ['payments', 'card refunds retried'],
      ['default', "replica 2's WAL lag flapped twice"],
    ]);
    expect(roster.leaveNote({ matrix: 'default', text: '', by: 'alice' }, later)).toEqual({ note: null, replaced: second.note });
    expect(roster.noteFor('default')).toBeUndefined();
    expect(roster.changes).toBe(4);
    // Carried across continue-as-new; none carried when there are none.
    expect(new OnCallRoster(roster.snapshot(later)).notesLeft()).toEqual(roster.notesLeft());
    expect(new OnCallRoster().snapshot(later)).not.toHaveProperty('notes');
  });
});

describe('a handover note goes with the next handover of its matrix, once', () => {
  it('rides the handover, stays until it was told, and a newer note left meanwhile waits for the next one', () => {
    const roster = new OnCallRoster();
    expect(roster.handovers(weeklyPayments, sunday).handovers).toEqual([]); // first sight
    const { note } = roster.leaveNote(aliceNote, sunday);
    const monday = new Date('2026-12-14T09:00:00Z');
    const { handovers } = roster.handovers(weeklyPayments, monday);
    // Payments hands over too, without a note: the note is its own matrix's.
    expect(handovers.map((h) => [h.matrix, h.incoming, h.note])).toEqual([
      ['default', 'bob@x.io', note],
      ['payments', 'quinn@x.io', undefined],
    ]);
    // Not told yet (the notice failed): still left, shown, and told with the next handover.
    expect(roster.notesLeft()).toEqual([note]);
    // Told: gone. A note left after the handover was checked is not the one told, and stays.
    const newer = roster.leaveNote({ ...aliceNote, text: 'and the disk on db2' }, new Date('2026-12-14T09:00:01Z')).note!;
    roster.noteTold(note!);
    expect(roster.notesLeft()).toEqual([newer]);
    roster.noteTold(newer);
    expect(roster.notesLeft()).toEqual([]);
    expect(roster.handovers(weeklyPayments, new Date('2026-12-21T09:00:00Z')).handovers.map((h) => h.note)).toEqual([
      undefined,
      undefined,
    ]);
  });
});

describe('what a note tells', () => {
  const note = { matrix: 'default', text: 'migration 42 at 02:00 <!channel>', by: 'alice', at: '2026-12-13T20:00:00.000Z' };
  it("is the handover mail's last fact, who left it and when; Slack shows its text escaped", () => {
    const notice = handoverNotice({ ...handover, note });
    expect(notice.facts.at(-1)).toEqual(['Note from alice', 'migration 42 at 02:00 <!channel> (left 2026-12-13 20:00 UTC)']);
    expect(renderEmail(notice).text).toMatch(
      /^Note from alice: migration 42 at 02:00 <!channel> \(left 2026-12-13 20:00 UTC\)$/m,
    );
    expect(renderSlack(notice).text).toContain('• *Note from alice:* migration 42 at 02:00 &lt;!channel&gt;');
    expect(renderEmail(handoverNotice(handover)).text).not.toMatch(/Note from/);
  });
});

describe('a stand-in refused before the roster is asked', () => {
  it.each<[string, Parameters<typeof standInRefusedBeforehand>, string | null]>([
    ['on call, in a rotation', ['default', { onCall: weekly }, false], null],
    ['as the backup, in a rotation asking for one', ['default', { onCall: { ...weekly, backupAfterMinutes: 15 } }, true], null],
    [
      'no rotation',
      ['payments', { onCall: undefined }, false],
      'matrix "payments" has no on-call rotation (ESCALATION_ONCALL) to stand in for; level 1\'s contacts are all alerted',
    ],
    [
      'as the backup, no backup asked for',
      ['default', { onCall: weekly }, true],
      'matrix "default" asks for no backup on call (ESCALATION_ONCALL_BACKUP_AFTER_MINUTES): nobody to stand in for as the backup',
    ],
    [
      'as the backup in another matrix: its own variable',
      ['payments', { onCall: weekly }, true],
      'matrix "payments" asks for no backup on call (ESCALATION_PAYMENTS_ONCALL_BACKUP_AFTER_MINUTES): nobody to stand in for as the backup',
    ],
  ])('%s', (_, args, refused) => {
    expect(standInRefusedBeforehand(...args)).toBe(refused);
  });
});

describe('a handover note refused before the roster is asked', () => {
  it.each<[string, Parameters<typeof noteRefusedBeforehand>, string | null]>([
    ['a rotation, handovers told', ['default', { onCall: weekly }, true], null],
    [
      'no rotation',
      ['payments', { onCall: undefined }, true],
      'matrix "payments" has no on-call rotation (ESCALATION_ONCALL): no handover to leave a note for',
    ],
    [
      'no such matrix',
      ['nope', undefined, true],
      'matrix "nope" has no on-call rotation (ESCALATION_ONCALL): no handover to leave a note for',
    ],
    [
      'handovers off',
      ['default', { onCall: weekly }, false],
      'handover notes go with the handover notices, which ESCALATION_ONCALL_HANDOVERS=false turns off; tell the next person another way',
    ],
  ])('%s', (_, args, refused) => {
    expect(noteRefusedBeforehand(...args)).toBe(refused);
  });
});
