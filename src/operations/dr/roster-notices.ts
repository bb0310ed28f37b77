/**
 * What the on-call roster tells people, by e-mail to those it concerns (each knows where they
 * stand for tonight) and to the team's channel in Slack: a stand-in set or taken back, a shift
 * changing hands, and (by e-mail alone, to whoever takes it) a shift about to begin. Whoever is on call must know it, whatever NOTIFY_*_ON say; never paged.
 * Pure.
 */
import type { Notice } from '../../infra/notify/notice';
import { minuteUtc } from './details';
import type { Handover, HandoverNote, ShiftReminder } from './handovers';
import { reviewFacts, type ShiftReview } from './shift-review';
import type { StandIn } from './stand-ins';

export interface StandInChange {
  change: 'set' | 'removed';
  standIn: StandIn;
  /** The matrix's handover note, told with a change that takes effect at once. */
  note?: HandoverNote;
}

/** The handover note as a notice's last fact: who left it and when, and what it says. */
const noteFact = (note: HandoverNote | undefined): Array<[string, string]> =>
  note ? [[`Note from ${note.by}`, `${note.text} (left ${minuteUtc(note.at)})`]] : [];

/**
 * `inPlaceOf`: who the rotation (configured overrides included) has on call when the stand-in
 * begins; for a stand-in as the backup, whose turn it is to be the backup then.
 */
export function standInNotice({ change, standIn: s, note }: StandInChange, inPlaceOf: string | undefined): Notice {
  const when = `from ${minuteUtc(s.from)} until ${minuteUtc(s.until)}`;
  const instead = inPlaceOf && inPlaceOf !== s.who ? ` in place of ${inPlaceOf}` : '';
  const role = s.backup ? 'the backup on call' : 'on call';
  return {
    event: change === 'set' ? 'oncall.stand-in' : 'oncall.stand-in-removed',
    severity: 'info',
    alwaysSent: true,
    mark: 'ON CALL',
    about: s.id,
    title:
      change === 'set'
        ? `${s.who} is ${role}${instead} ${when}`
        : `${s.who} is no longer standing in ${s.backup ? 'as the backup ' : ''}on call ${when}: the rotation holds again`,
    facts: [
      ['Stand-in', `${s.id} (${s.who}${s.backup ? ', as the backup' : ''})`],
      ...(inPlaceOf ? ([[s.backup ? 'Backup rotation' : 'Rotation', inPlaceOf]] as Array<[string, string]>) : []),
      ['Matrix', s.matrix],
      ['From', minuteUtc(s.from)],
      ['Until', minuteUtc(s.until)],
      ['Set by', `${s.setBy}, ${minuteUtc(s.setAt)}`],
      ...noteFact(note),
    ],
    ...(change === 'set' ? { action: `to take it back: pgwarden dr oncall --remove-stand-in ${s.id}` } : {}),
  };
}

/** Who a handover is mailed to: the person coming on call, the one going off, and the incoming shift's backup on call. */
export const handoverRecipients = (h: Handover): string[] => [
  ...new Set([h.incoming, h.outgoing, ...(h.backup ? [h.backup] : [])]),
];

/** An incident open at a handover, as visibility lists it. */
export interface OpenAtHandover {
  id: string;
  severity: string;
  database: string;
}

/**
 * The handover; with the incidents still open and the shift going off in review (its backups,
 * its failed runs, its closed incidents), so whoever comes on call knows what they inherit.
 */
export function handoverNotice(h: Handover, open: OpenAtHandover[] = [], review?: ShiftReview): Notice {
  const inherited = open.length
    ? ([
        [
          open.length === 1 ? 'Open incident' : `Open incidents (${open.length})`,
          open.map((i) => `${i.id} (${i.severity}, ${i.database})`).join('; '),
        ],
      ] as Array<[string, string]>)
    : [];
  return {
    event: 'oncall.handover',
    severity: 'info',
    alwaysSent: true,
    mark: 'ON CALL',
    about: h.matrix,
    title: `${h.incoming} is on call now until ${minuteUtc(h.until)}, taking over from ${h.outgoing}`,
    facts: [
      ['On call', h.incoming],
      ['Off call', h.outgoing],
      ...(h.backup ? ([['Backup on call', h.backup]] as Array<[string, string]>) : []),
      ['Matrix', h.matrix],
      ['Since', minuteUtc(h.from)],
      ['Until', minuteUtc(h.until)],
      ['Then', h.next],
      ...inherited,
      ...(review ? reviewFacts(review) : []),
      ...noteFact(h.note),
    ],
    action: open.length
      ? `${open.length === 1 ? 'an incident is' : 'incidents are'} open: see where each stands with pgwarden dr status ID, and take the lead with pgwarden dr ack ID --take-over`
      : 'a swap: pgwarden dr oncall --stand-in ADDRESS --until TIME (in Slack: /pgwarden oncall cover 8h); who is on next: pgwarden dr oncall',
  };
}

/** A coming shift, on call or as the backup, mailed to whoever takes it (ESCALATION_ONCALL_REMIND_HOURS before); the channel hears of it at the handover. */
export function shiftReminderNotice(r: ShiftReminder, now: Date): Notice {
  const minutes = Math.round((Date.parse(r.from) - now.getTime()) / 60_000);
  const inWords = minutes >= 90 ? `in ${Math.round(minutes / 6) / 10} h` : minutes >= 1 ? `in ${minutes} min` : 'now';
  const reminder = { event: 'oncall.reminder', severity: 'info', alwaysSent: true, mark: 'ON CALL', about: r.matrix } as const;
  const period = `from ${minuteUtc(r.from)} until ${minuteUtc(r.until)}`;
  if (r.backupFor)
    return {
      ...reminder,
      title: `${r.who} is the backup on call ${inWords}: ${period}`,
      facts: [
        ['Backup on call', r.who],
        ['On call', r.backupFor],
        ['From', minuteUtc(r.from)],
        ['Until', minuteUtc(r.until)],
        ['Backup until then', r.current],
        ['Matrix', r.matrix],
      ],
      action: `an incident ${r.backupFor} does not acknowledge in time alerts you. Cannot take it: find someone to stand in (pgwarden dr oncall --stand-in ADDRESS --backup --from TIME --until TIME, or the console's On call page)`,
    };
  return {
    ...reminder,
    title: `${r.who} goes on call ${inWords}: ${period}`,
    facts: [
      ['On call', r.who],
      ['From', minuteUtc(r.from)],
      ['Until', minuteUtc(r.until)],
      ['Taking over from', r.current],
      ['Matrix', r.matrix],
    ],
    action:
      "cannot take it: find a swap and set it (pgwarden dr oncall --stand-in ADDRESS --from TIME --until TIME, or the console's On call page)",
  };
}
