import { shiftCalendar } from '../../src/operations/dr/shift-calendar';

const shifts = [
  { who: 'bob@x.io', from: new Date('2026-12-14T09:00:00Z'), until: new Date('2026-12-21T09:00:00Z') },
  { who: 'alice@x.io', from: new Date('2026-12-21T09:00:00Z'), until: new Date('2026-12-28T09:00:00Z') },
];
const now = new Date('2026-12-15T10:30:00Z');
/** Content lines as a calendar reads them: folds undone. */
const unfolded = (ics: string) => ics.replace(/\r\n /g, '').split('\r\n');

describe('on-call shifts as an iCalendar file', () => {
  it('holds one event per shift, in UTC, with a UID that stays the same for the same shift', () => {
    const ics = shiftCalendar(shifts, { matrix: 'default', now });
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toContain('\n'); // CRLF only
    const lines = unfolded(ics);
    expect(lines.slice(0, 6)).toEqual([
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//pgwarden//on-call shifts//EN',
      'CALSCALE:GREGORIAN',
      'METHOD:PUBLISH',
      'X-WR-CALNAME:pgwarden on call',
    ]);
    expect(lines.slice(6, 12)).toEqual([
      'BEGIN:VEVENT',
      'UID:pgwarden-oncall-default-20261214T090000Z-bob-x.io',
      'DTSTAMP:20261215T103000Z',
      'DTSTART:20261214T090000Z',
      'DTEND:20261221T090000Z',
      'SUMMARY:On call: bob@x.io',
    ]);
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(2);
    expect(lines.filter((l) => l === 'TRANSP:TRANSPARENT')).toHaveLength(2);
    expect(lines.at(-2)).toBe('END:VCALENDAR');
    // Exported again later: the same UIDs, so a calendar updates its events.
    const later = unfolded(shiftCalendar(shifts, { matrix: 'default', now: new Date('2026-12-16T00:00:00Z') }));
    expect(later.filter((l) => l.startsWith('UID:'))).toEqual(lines.filter((l) => l.startsWith('UID:')));
  });

  it('folds lines at 75 octets without splitting a character, and escapes what TEXT must', () => {
    const ics = shiftCalendar([{ ...shifts[0], who: 'zoë.ünderwood-the-third@example.com' }], { matrix: 'payments', now });
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    const lines = unfolded(ics);
    expect(lines).toContain('SUMMARY:On call: zoë.ünderwood-the-third@example.com (payments)');
    expect(lines).toContain('X-WR-CALNAME:pgwarden on call (payments)');
    expect(lines.find((l) => l.startsWith('DESCRIPTION:'))).toBe(
      'DESCRIPTION:pgwarden on-call shift (matrix payments): an incident opened in it alerts zoë.ünderwood-the-third@example.com first. A swap: pgwarden dr oncall --stand-in ADDRESS --from TIME --until TIME.',
    );
    expect(shiftCalendar([{ ...shifts[0], who: 'a;b,c\\d@x.io' }], { matrix: 'default', now })).toContain(
      'SUMMARY:On call: a\\;b\\,c\\\\d@x.io',
    );
  });

  it("names each shift's backup, and gives one person their backup shifts as events of their own", () => {
    const backed = [
      { ...shifts[0], backup: 'alice@x.io' },
      { ...shifts[1], backup: 'dan@x.io' },
    ];
    const all = unfolded(shiftCalendar(backed, { matrix: 'default', now }));
    expect(all.filter((l) => l.startsWith('SUMMARY:'))).toEqual(['SUMMARY:On call: bob@x.io', 'SUMMARY:On call: alice@x.io']);
    expect(all.find((l) => l.startsWith('DESCRIPTION:'))).toBe(
      'DESCRIPTION:pgwarden on-call shift (matrix default): an incident opened in it alerts bob@x.io first\\, and the backup alice@x.io if nobody acknowledges in time. A swap: pgwarden dr oncall --stand-in ADDRESS --from TIME --until TIME.',
    );
    // Alice: her backup week under Bob, then her own week; the on-call UIDs as before.
    const alice = unfolded(shiftCalendar(backed, { matrix: 'default', now, who: 'alice@x.io' }));
    expect(alice.filter((l) => /^(SUMMARY|UID|DTSTART):/.test(l))).toEqual([
      'UID:pgwarden-backup-default-20261214T090000Z-alice-x.io',
      'DTSTART:20261214T090000Z',
      'SUMMARY:Backup on call: alice@x.io',
      'UID:pgwarden-oncall-default-20261221T090000Z-alice-x.io',
      'DTSTART:20261221T090000Z',
      'SUMMARY:On call: alice@x.io',
    ]);
    expect(alice).toContain(
      'DESCRIPTION:pgwarden backup on-call shift (matrix default): an incident opened in it that bob@x.io\\, on call\\, does not acknowledge in time alerts alice@x.io.',
    );
    // Dan, only ever the backup; Carol, neither: an empty calendar.
    const dan = unfolded(shiftCalendar(backed, { matrix: 'payments', now, who: 'dan@x.io' }));
    expect(dan.filter((l) => l.startsWith('SUMMARY:'))).toEqual(['SUMMARY:Backup on call: dan@x.io (payments)']);
    expect(
      unfolded(shiftCalendar(backed, { matrix: 'default', now, who: 'carol@x.io' })).filter((l) => l === 'BEGIN:VEVENT'),
    ).toEqual([]);
  });

  it('gives whoever stands in as the backup within a shift their stretch, and the shift says each', () => {
    // Frank backs Bob up from Wednesday to Friday; Alice has the rest of the week.
    const stretches = [
      {
        ...shifts[0],
        backup: 'alice@x.io',
        backups: [
          { backup: 'alice@x.io', from: shifts[0].from, until: new Date('2026-12-16T09:00:00Z') },
          { backup: 'frank@x.io', from: new Date('2026-12-16T09:00:00Z'), until: new Date('2026-12-18T09:00:00Z') },
          { backup: 'alice@x.io', from: new Date('2026-12-18T09:00:00Z'), until: shifts[0].until },
        ],
      },
    ];
    const frank = unfolded(shiftCalendar(stretches, { matrix: 'default', now, who: 'frank@x.io' }));
    expect(frank.filter((l) => /^(SUMMARY|UID|DTSTART|DTEND):/.test(l))).toEqual([
      'UID:pgwarden-backup-default-20261216T090000Z-frank-x.io',
      'DTSTART:20261216T090000Z',
      'DTEND:20261218T090000Z',
      'SUMMARY:Backup on call: frank@x.io',
    ]);
    const alice = unfolded(shiftCalendar(stretches, { matrix: 'default', now, who: 'alice@x.io' }));
    expect(alice.filter((l) => /^(DTSTART|DTEND):/.test(l))).toEqual([
      'DTSTART:20261214T090000Z',
      'DTEND:20261216T090000Z',
      'DTSTART:20261218T090000Z',
      'DTEND:20261221T090000Z',
    ]);
    // Bob's event is the whole shift, saying who backs him up when.
    const all = unfolded(shiftCalendar(stretches, { matrix: 'default', now }));
    expect(all.filter((l) => l.startsWith('DTSTART:'))).toEqual(['DTSTART:20261214T090000Z']);
    expect(all.find((l) => l.startsWith('DESCRIPTION:'))).toContain(
      'and the backup on call if nobody acknowledges in time: alice@x.io until 2026-12-16 09:00 UTC\\, then frank@x.io until 2026-12-18 09:00 UTC\\, then alice@x.io.',
    );
  });

  it('is an empty calendar without shifts', () => {
    expect(unfolded(shiftCalendar([], { matrix: 'default', now })).filter((l) => l.startsWith('BEGIN:'))).toEqual([
      'BEGIN:VCALENDAR',
    ]);
  });
});
