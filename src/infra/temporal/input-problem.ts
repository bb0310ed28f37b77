/**
 * What is wrong with a workflow's start input, in one line. The CLI and schedules send
 * well-typed input; a run started from the Temporal UI sends whatever was typed, and a missing
 * field or `"force": "false"` (a string, so true) must fail the run with a UsageError rather
 * than fail its workflow task for ever or do what was not asked. Workflow-safe, pure.
 */

export type InputKind = 'string' | 'number' | 'boolean' | 'object' | 'array';

type KindOf<V> = V extends string
  ? 'string'
  : V extends number
    ? 'number'
    : V extends boolean
      ? 'boolean'
      : V extends readonly unknown[]
        ? 'array'
        : 'object';

/**
 * Every field of input T with its kind, `?` when optional: checked by the compiler against T,
 * so the spec cannot drift from the interface.
 */
export type InputSpec<T> = {
  [K in keyof T]-?: undefined extends T[K] ? `${KindOf<NonNullable<T[K]>>}?` : KindOf<T[K]>;
};

const KIND_TEXT: Record<InputKind, string> = {
  string: 'a string in quotes',
  number: 'a number without quotes',
  boolean: 'true or false without quotes',
  object: 'a JSON object',
  array: 'a JSON array',
};

function kindOf(value: unknown): InputKind | 'null' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as InputKind;
}

/** At most 60 characters of a value as JSON, for a message. */
function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** A minimal input of the workflow, e.g. {"database": "…"}. */
function example(spec: Record<string, string>): string {
  const required = Object.entries(spec).filter(([, kind]) => !kind.endsWith('?'));
  const sample: Record<InputKind, string> = { string: '"…"', number: '1', boolean: 'true', object: '{…}', array: '[…]' };
  return `{${required.map(([field, kind]) => `"${field}": ${sample[kind as InputKind]}`).join(', ')}}`;
}

/** Null when `input` fits `spec`; else one line naming the workflow, the field and what it takes. */
export function inputProblem<T>(workflow: string, spec: InputSpec<T>, input: unknown): string | null {
  const fields = spec as Record<string, string>;
  if (kindOf(input) !== 'object')
    return `${workflow} takes one JSON object as its input, e.g. ${example(fields)}; got ${shown(input)}`;
  const given = input as Record<string, unknown>;
  const unknown = Object.keys(given).filter((field) => !(field in fields));
  if (unknown.length > 0)
    return `${workflow} has no input "${unknown[0]}" (a misspelling?); its inputs are ${Object.keys(fields).join(', ')}`;
  for (const [field, declared] of Object.entries(fields)) {
    const optional = declared.endsWith('?');
    const kind = (optional ? declared.slice(0, -1) : declared) as InputKind;
    const value = given[field];
    const absent = value === undefined || value === null;
    if (absent && optional) continue;
    if (absent || (kind === 'string' && typeof value === 'string' && !value.trim()))
      return `${workflow} needs "${field}" (${KIND_TEXT[kind]}), e.g. ${example(fields)}`;
    if (kindOf(value) !== kind || (kind === 'number' && !Number.isFinite(value)))
      return `${workflow}'s "${field}" must be ${KIND_TEXT[kind]}; got ${shown(value)}`;
  }
  return null;
}
