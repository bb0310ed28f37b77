/**
 * On-call shifts as an iCalendar file (RFC 5545), to import into a calendar, as incident tools
 * export them: one event per shift, its UID stable for the same shift so that importing again
 * updates rather than duplicates; one person's calendar has their backup shifts too. A snapshot: a later swap changes the shifts, not an imported
 * file. Pure.
 */
import { minuteUtc } from './details';
import { stretchWords, type Shift, type ShiftWithBackup } from './on-call';

/** 20261207T090000Z */
const icsTime = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** TEXT values escape backslash, semicolon, comma and newline. */
const text = (v: string) => v.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');

/** Content lines longer than 75 octets are folded: CRLF and a space before each continuation. */
function fold(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let start = 0;
  let limit = 75;
  while (start < bytes.length) {
    let end = Math.min(start + limit, bytes.length);
    // Never split a UTF-8 character: back off continuation bytes (10xxxxxx).
    while (end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
    limit = 74; // the leading space counts
  }
  return parts.join('\r\n ');
}

/**
 * The shifts as events: everyone's on-call shifts, or with `who` that person's, and the shifts
 * they are the backup on call for (a shift's `backup`, or the stretches of it theirs when
 * someone stands in as the backup within it), as events of their own.
 */
export function shiftCalendar(shifts: ShiftWithBackup[], o: { matrix: string; now: Date; who?: string }): string {
  const stamp = icsTime(o.now);
  const named = o.matrix === 'default' ? '' : ` (${o.matrix})`;
  const event = (s: Shift, role: 'oncall' | 'backup', who: string, description: string) => [
    'BEGIN:VEVENT',
    `UID:pgwarden-${role}-${o.matrix}-${icsTime(s.from)}-${who.replace(/[^A-Za-z0-9.-]/g, '-')}`,
    `DTSTAMP:${stamp}`,
    `DTSTART:${icsTime(s.from)}`,
    `DTEND:${icsTime(s.until)}`,
    `SUMMARY:${text(`${role === 'oncall' ? 'On call' : 'Backup on call'}: ${who}${named}`)}`,
    `DESCRIPTION:${text(description)}`,
    // Being on call does not make anyone busy.
    'TRANSP:TRANSPARENT',
    'END:VEVENT',
  ];
  const swap = 'A swap: pgwarden dr oncall --stand-in ADDRESS --from TIME --until TIME.';
  const backupWords = (s: ShiftWithBackup) =>
    s.backups
      ? `, and the backup on call if nobody acknowledges in time: ${stretchWords(s.backups, (d) => minuteUtc(d.toISOString()))}`
      : s.backup
        ? `, and the backup ${s.backup} if nobody acknowledges in time`
        : '';
  // The stretches `who` backs up: the whole shift, or the stretches of it theirs.
  const backedBy = (s: ShiftWithBackup, who: string): Shift[] =>
    s.backups
      ? s.backups.filter((p) => p.backup === who).map((p) => ({ who: s.who, from: p.from, until: p.until }))
      : s.backup === who
        ? [s]
        : [];
  const events = shifts.flatMap((s) => [
    ...(!o.who || s.who === o.who
      ? event(
          s,
          'oncall',
          s.who,
          `pgwarden on-call shift (matrix ${o.matrix}): an incident opened in it alerts ${s.who} first${backupWords(s)}. ${swap}`,
        )
      : []),
    ...(o.who
      ? backedBy(s, o.who).flatMap((b) =>
          event(
            b,
            'backup',
            o.who!,
            `pgwarden backup on-call shift (matrix ${o.matrix}): an incident opened in it that ${s.who}, on call, does not acknowledge in time alerts ${o.who}.`,
          ),
        )
      : []),
  ]);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//pgwarden//on-call shifts//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${text(`pgwarden on call${named}`)}`,
    ...events,
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
