/**
 * On-call shifts as an iCalendar file (RFC 5545), to import into a calendar, as incident tools
 * export them: one event per shift, its UID stable for the same shift so that importing again
 * updates rather than duplicates. A snapshot: a later swap changes the shifts, not an imported
 * file. Pure.
 */
import type { Shift } from './on-call';

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

export function shiftCalendar(shifts: Shift[], o: { matrix: string; now: Date }): string {
  const stamp = icsTime(o.now);
  const events = shifts.flatMap((s) => [
    'BEGIN:VEVENT',
    `UID:pgwarden-oncall-${o.matrix}-${icsTime(s.from)}-${s.who.replace(/[^A-Za-z0-9.-]/g, '-')}`,
    `DTSTAMP:${stamp}`,
    `DTSTART:${icsTime(s.from)}`,
    `DTEND:${icsTime(s.until)}`,
    `SUMMARY:${text(`On call: ${s.who}${o.matrix === 'default' ? '' : ` (${o.matrix})`}`)}`,
    `DESCRIPTION:${text(
      `pgwarden on-call shift (matrix ${o.matrix}): an incident opened in it alerts ${s.who} first. A swap: pgwarden dr oncall --stand-in ADDRESS --from TIME --until TIME.`,
    )}`,
    // Being on call does not make anyone busy.
    'TRANSP:TRANSPARENT',
    'END:VEVENT',
  ]);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//pgwarden//on-call shifts//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${text(`pgwarden on call${o.matrix === 'default' ? '' : ` (${o.matrix})`}`)}`,
    ...events,
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
