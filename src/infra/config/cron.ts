/**
 * Checks a 5-field cron expression the way Temporal Schedules read it, before any schedule is
 * created: a value out of range is named with its field, so `schedules apply` refuses the
 * whole configuration instead of creating some schedules and failing on the next. Pure.
 */
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

function value(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.names === MONTHS ? named + 1 : named;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function partProblem(part: string, field: Field): string | undefined {
  const [range, step, extra] = part.split('/');
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `"${part}" has an invalid step`;
  if (range === '*') return undefined;
  const ends = range.split('-');
  if (ends.length > 2) return `"${part}" is not a value or a range`;
  const values = ends.map((e) => value(e, field));
  const bad = ends.find((_, i) => values[i] === undefined || values[i]! < field.min || values[i]! > field.max);
  if (bad !== undefined) return `${bad} is out of range ${field.min}-${field.max}`;
  if (values.length === 2 && values[0]! > values[1]!) return `range ${range} runs backwards`;
  return undefined;
}

/** Why `expression` is not a valid 5-field cron expression, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  for (let i = 0; i < 5; i++) {
    for (const item of parts[i].split(',')) {
      const problem = item === '' ? 'an empty list item' : partProblem(item, FIELDS[i]);
      if (problem) return `${FIELDS[i].name}: ${problem}`;
    }
  }
  return undefined;
}
