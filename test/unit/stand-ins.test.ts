import type { EscalationMatrix } from '../../src/infra/config/incident';
import { pagesOf } from '../../src/infra/notify/paging';
import { standInNotice, type StandInChange } from '../../src/operations/dr/roster-notices';
import { shiftAt, shiftsFrom } from '../../src/operations/dr/on-call';
import {
  MAX_STAND_INS,
  OnCallRoster,
  standInTime,
  withStandIns,
  type StandIn,
  type StandInRequest,
} from '../../src/operations/dr/stand-ins';

const now = new Date('2026-12-14T17:00:00Z');
const tonight: StandInRequest = {
  matrix: 'default',
  who: 'carol@x.io',
  from: '2026-12-14T18:00:00Z',
  until: '2026-12-15T08:00:00Z',
  setBy: 'pgwarden bob@laptop pid 7',
};

describe('the on-call roster: stand-ins set at run time', () => {
  it.each<[string, Partial<StandInRequest>, string | null]>([
    ['a stand-in tonight', {}, null],
    ['one running now', { from: '2026-12-14T16:00:00Z' }, null],
    ['a zone other than UTC', { from: '2026-12-14T19:00:00+01:00' }, null],
    ['not an address', { who: 'carol' }, '"carol" is not an e-mail address'],
    [
      'no zone',
      { until: '2026-12-15T08:00:00' },
      'until "2026-12-15T08:00:00" is not an ISO time with its zone, like 2026-12-07T09:00:00Z',
    ],
    [
      'ends before it begins',
      { until: '2026-12-14T18:00:00Z' },
      'it ends (2026-12-14T18:00:00Z) before it begins (2026-12-14T18:00:00Z)',
    ],
    [
      'over already',
      { from: '2026-12-13T18:00:00Z', until: '2026-12-14T08:00:00Z' },
      'it has ended already (2026-12-14T08:00:00Z)',
    ],
    ['a matrix name that cannot be', { matrix: 'Pay ments' }, '"Pay ments" is not a matrix name'],
    ['as the backup', { backup: true }, null],
    ['as the backup, said otherwise than true', { backup: 'yes' as unknown as true }, 'backup is true or absent'],
  ])('%s', (_, change, refused) => {
    const roster = new OnCallRoster();
    expect(roster.refusal({ ...tonight, ...change }, now)).toBe(refused);
    if (refused) expect(() => roster.add({ ...tonight, ...change }, now)).toThrow(refused);
    else expect(roster.add({ ...tonight, ...change }, now)).toMatchObject({ id: 's1', setAt: now.toISOString() });
  });

  it('numbers stand-ins, removes one by its id, forgets the ended ones, and carries the rest', () => {
    const roster = new OnCallRoster();
    const a = roster.add(tonight, now);
    const b = roster.add({ ...tonight, who: 'dan@x.io', from: '2026-12-15T08:00:00Z', until: '2026-12-16T08:00:00Z' }, now);
    expect([a.id, b.id, a.from, a.until]).toEqual(['s1', 's2', '2026-12-14T18:00:00.000Z', '2026-12-15T08:00:00.000Z']);
    expect(roster.removal('s9', now)).toMatch(/^no stand-in s9 is set/);
    expect(roster.remove('s1', now)).toEqual(a);
    expect(roster.current(now)).toEqual([b]);
    expect(roster.changes).toBe(3);
    // Past its end it is gone by itself; the numbering goes on in the next run.
    const later = new Date('2026-12-16T09:00:00Z');
    expect(roster.current(later)).toEqual([]);
    expect(roster.removal('s2', later)).toMatch(/an ended one is gone by itself/);
    const next = new OnCallRoster(roster.snapshot(later));
    expect(next.add({ ...tonight, from: '2026-12-20T18:00:00Z', until: '2026-12-21T08:00:00Z' }, later).id).toBe('s3');
  });

  it(`holds at most ${MAX_STAND_INS}`, () => {
    const roster = new OnCallRoster();
    for (let i = 0; i < MAX_STAND_INS; i++) roster.add(tonight, now);
    expect(roster.refusal(tonight, now)).toMatch(/^200 stand-ins are set already: remove some first/);
  });
});

describe('stand-ins in the rotation', () => {
  const matrix: EscalationMatrix = {
    name: 'default',
    level1: { contacts: [], repeatMinutes: 15 },
    level2: { contacts: [], afterMinutes: 60 },
    level3: { contacts: [], afterMinutes: 240 },
    level4: { contacts: [] },
    onCall: {
      people: ['alice@x.io', 'bob@x.io'],
      from: '2026-12-07T09:00:00.000Z',
      shiftHours: 168,
      overrides: [{ who: 'erin@x.io', from: '2026-12-14T20:00:00.000Z', until: '2026-12-14T22:00:00.000Z' }],
    },
  };
  const standIn = (who: string, from: string, until: string, m = 'default'): StandIn => ({
    id: 's1',
    matrix: m,
    who,
    from,
    until,
    setBy: 'x',
    setAt: now.toISOString(),
  });
  const carol = standIn('carol@x.io', '2026-12-14T18:00:00Z', '2026-12-15T08:00:00Z');
  const dan = standIn('dan@x.io', '2026-12-14T23:00:00Z', '2026-12-15T01:00:00Z');
  it.each<[string, StandIn[], string, string]>([
    ['none: the rotation', [], '2026-12-14T19:00:00Z', 'bob@x.io'],
    ['Carol tonight', [carol], '2026-12-14T19:00:00Z', 'carol@x.io'],
    // Set at run time, so said after the configuration: it wins where both cover a time.
    ['over a configured override', [carol], '2026-12-14T21:00:00Z', 'carol@x.io'],
    ['the rotation again after it', [carol], '2026-12-15T08:00:00Z', 'bob@x.io'],
    // The newest word holds where two stand-ins overlap.
    ['the newer of two', [carol, dan], '2026-12-15T00:00:00Z', 'dan@x.io'],
    ['the older where the newer is over', [carol, dan], '2026-12-15T02:00:00Z', 'carol@x.io'],
    [
      "another matrix's stand-in is not this one's",
      [standIn('pat@x.io', carol.from, carol.until, 'payments')],
      '2026-12-14T19:00:00Z',
      'bob@x.io',
    ],
  ])('%s', (_, standIns, at, who) => {
    expect(shiftAt(withStandIns(matrix, standIns).onCall!, new Date(at)).who).toBe(who);
  });

  it('lists the shifts in turn where stand-ins overlap, each cut where the newer begins and ends', () => {
    const shifts = shiftsFrom(withStandIns(matrix, [carol, dan]).onCall!, new Date('2026-12-14T19:00:00Z'), 4);
    expect(shifts.map((s) => [s.who, s.from.toISOString(), s.until.toISOString()])).toEqual([
      ['carol@x.io', '2026-12-14T18:00:00.000Z', '2026-12-14T23:00:00.000Z'],
      ['dan@x.io', '2026-12-14T23:00:00.000Z', '2026-12-15T01:00:00.000Z'],
      ['carol@x.io', '2026-12-15T01:00:00.000Z', '2026-12-15T08:00:00.000Z'],
      ['bob@x.io', '2026-12-15T08:00:00.000Z', '2026-12-21T09:00:00.000Z'],
    ]);
  });

  it("keeps a backup's stand-ins apart: the backup's overrides, the newest first, never who is on call", () => {
    const asBackup = (x: StandIn): StandIn => ({ ...x, backup: true });
    const onCall = withStandIns(matrix, [carol, asBackup(dan), asBackup({ ...carol, who: 'frank@x.io' })]).onCall!;
    expect(onCall.overrides!.map((o) => o.who)).toEqual(['carol@x.io', 'erin@x.io']);
    expect(onCall.backupOverrides).toEqual([
      { who: 'frank@x.io', from: carol.from, until: carol.until },
      { who: 'dan@x.io', from: dan.from, until: dan.until },
    ]);
    expect(withStandIns(matrix, [carol]).onCall).not.toHaveProperty('backupOverrides');
    // Ahead of those configured (ESCALATION_ONCALL_BACKUP_OVERRIDES): the word said at run time holds.
    const planned = { who: 'gina@x.io', from: carol.from, until: carol.until };
    const configured = { ...matrix, onCall: { ...matrix.onCall!, backupOverrides: [planned] } };
    expect(withStandIns(configured, [asBackup(dan)]).onCall!.backupOverrides!.map((o) => o.who)).toEqual([
      'dan@x.io',
      'gina@x.io',
    ]);
    expect(withStandIns(configured, [carol]).onCall!.backupOverrides).toEqual([planned]);
    // What the roster keeps says it.
    const roster = new OnCallRoster();
    expect(roster.add({ ...tonight, backup: true }, now)).toMatchObject({ backup: true });
    expect(roster.add(tonight, now)).not.toHaveProperty('backup');
  });

  it('leaves a matrix without a rotation as it is', () => {
    const { onCall: _, ...noRotation } = matrix;
    expect(withStandIns(noRotation, [carol])).toBe(noRotation);
  });
});

describe('a stand-in time as typed', () => {
  const base = new Date('2026-12-14T17:00:00Z');
  it.each<[string, string | null]>([
    ['now', '2026-12-14T17:00:00.000Z'],
    ['8h', '2026-12-15T01:00:00.000Z'],
    ['+30m', '2026-12-14T17:30:00.000Z'],
    ['2d', '2026-12-16T17:00:00.000Z'],
    ['2026-12-15T08:00:00Z', '2026-12-15T08:00:00.000Z'],
    ['2026-12-15T09:00:00+01:00', '2026-12-15T08:00:00.000Z'],
    ['2026-12-15T08:00:00', null],
    ['tomorrow', null],
    ['8 hours', null],
  ])('%s', (text, at) => {
    expect(standInTime(text, base)?.toISOString() ?? null).toBe(at);
  });
});

describe('what a stand-in change tells', () => {
  const s: StandIn = {
    id: 's1',
    matrix: 'default',
    who: 'carol@x.io',
    from: '2026-12-14T18:00:00.000Z',
    until: '2026-12-15T08:00:00.000Z',
    setBy: 'pgwarden bob@laptop pid 7',
    setAt: '2026-12-14T17:00:00.000Z',
  };
  it.each<[string, StandInChange, string | undefined, string, string | undefined]>([
    [
      'set, in place of the rotation',
      { change: 'set', standIn: s },
      'bob@x.io',
      'carol@x.io is on call in place of bob@x.io from 2026-12-14 18:00 UTC until 2026-12-15 08:00 UTC',
      'to take it back: pgwarden dr oncall --remove-stand-in s1',
    ],
    [
      'set over her own shift',
      { change: 'set', standIn: s },
      'carol@x.io',
      'carol@x.io is on call from 2026-12-14 18:00 UTC until 2026-12-15 08:00 UTC',
      'to take it back: pgwarden dr oncall --remove-stand-in s1',
    ],
    [
      'removed',
      { change: 'removed', standIn: s },
      'bob@x.io',
      'carol@x.io is no longer standing in on call from 2026-12-14 18:00 UTC until 2026-12-15 08:00 UTC: the rotation holds again',
      undefined,
    ],
    [
      'set as the backup, in place of the backup rotation',
      { change: 'set', standIn: { ...s, backup: true } },
      'dan@x.io',
      'carol@x.io is the backup on call in place of dan@x.io from 2026-12-14 18:00 UTC until 2026-12-15 08:00 UTC',
      'to take it back: pgwarden dr oncall --remove-stand-in s1',
    ],
    [
      'removed as the backup',
      { change: 'removed', standIn: { ...s, backup: true } },
      'dan@x.io',
      'carol@x.io is no longer standing in as the backup on call from 2026-12-14 18:00 UTC until 2026-12-15 08:00 UTC: the rotation holds again',
      undefined,
    ],
  ])('%s', (_, change, inPlaceOf, title, action) => {
    const n = standInNotice(change, inPlaceOf);
    expect([n.title, n.action, n.severity, n.alwaysSent, n.mark]).toEqual([title, action, 'info', true, 'ON CALL']);
    expect(n.facts).toContainEqual(['Set by', 'pgwarden bob@laptop pid 7, 2026-12-14 17:00 UTC']);
    const backup = !!change.standIn.backup;
    expect(n.facts).toContainEqual(['Stand-in', backup ? 's1 (carol@x.io, as the backup)' : 's1 (carol@x.io)']);
    expect(n.facts).toContainEqual([backup ? 'Backup rotation' : 'Rotation', inPlaceOf]);
    // Nobody is paged for a swap: no paging rule names these events.
    expect(pagesOf(n, { drills: true })).toEqual([]);
  });

  it('carries the handover note when it tells who is on call now', () => {
    const note = { matrix: 'default', text: 'migration 42 at 02:00', by: 'alice', at: '2026-12-13T20:00:00.000Z' };
    expect(standInNotice({ change: 'set', standIn: s, note }, 'bob@x.io').facts.at(-1)).toEqual([
      'Note from alice',
      'migration 42 at 02:00 (left 2026-12-13 20:00 UTC)',
    ]);
    expect(standInNotice({ change: 'set', standIn: s }, 'bob@x.io').facts.map(([l]) => l)).not.toContain('Note from alice');
  });
});
