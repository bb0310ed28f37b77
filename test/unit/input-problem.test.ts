import { inputProblem, type InputSpec } from '../../src/infra/temporal/input-problem';

interface Sample {
  database: string;
  force?: boolean;
  days?: number;
  target?: { kind: string };
  tables?: string[];
}
const SPEC: InputSpec<Sample> = { database: 'string', force: 'boolean?', days: 'number?', target: 'object?', tables: 'array?' };
const problem = (input: unknown) => inputProblem('RestoreWorkflow', SPEC, input);

describe('a workflow start input', () => {
  it.each<[string, unknown]>([
    ['the required field alone', { database: 'shop' }],
    ['every field of its kind', { database: 'shop', force: false, days: 0, target: { kind: 'latest' }, tables: ['a'] }],
    ['null for an optional field (absent)', { database: 'shop', force: null, target: null }],
  ])('fits: %s', (_what, input) => {
    expect(problem(input)).toBeNull();
  });

  it.each<[string, unknown, string]>([
    ['no input at all', undefined, 'RestoreWorkflow takes one JSON object as its input, e.g. {"database": "…"}; got undefined'],
    ['a bare string', 'shop', 'RestoreWorkflow takes one JSON object as its input, e.g. {"database": "…"}; got "shop"'],
    [
      'an array',
      [{ database: 'shop' }],
      'RestoreWorkflow takes one JSON object as its input, e.g. {"database": "…"}; got [{"database":"shop"}]',
    ],
    ['the required field missing', {}, 'RestoreWorkflow needs "database" (a string in quotes), e.g. {"database": "…"}'],
    [
      'the required field blank',
      { database: '  ' },
      'RestoreWorkflow needs "database" (a string in quotes), e.g. {"database": "…"}',
    ],
    [
      'the required field null',
      { database: null },
      'RestoreWorkflow needs "database" (a string in quotes), e.g. {"database": "…"}',
    ],
    ['a number for a string', { database: 42 }, `RestoreWorkflow's "database" must be a string in quotes; got 42`],
    [
      // The dangerous one: "false" in quotes is truthy.
      'a quoted boolean',
      { database: 'shop', force: 'false' },
      `RestoreWorkflow's "force" must be true or false without quotes; got "false"`,
    ],
    ['a quoted number', { database: 'shop', days: '7' }, `RestoreWorkflow's "days" must be a number without quotes; got "7"`],
    [
      'a string for an object',
      { database: 'shop', target: 'latest' },
      `RestoreWorkflow's "target" must be a JSON object; got "latest"`,
    ],
    ['an array for an object', { database: 'shop', target: [] }, `RestoreWorkflow's "target" must be a JSON object; got []`],
    [
      'an object for an array',
      { database: 'shop', tables: { a: 1 } },
      `RestoreWorkflow's "tables" must be a JSON array; got {"a":1}`,
    ],
    [
      'a misspelt field',
      { database: 'shop', newDatbase: 'shop_copy' },
      'RestoreWorkflow has no input "newDatbase" (a misspelling?); its inputs are database, force, days, target, tables',
    ],
    [
      'a long value, shortened',
      { database: 'x'.repeat(100).split('') },
      `RestoreWorkflow's "database" must be a string in quotes; got ${JSON.stringify('x'.repeat(100).split('')).slice(0, 57)}...`,
    ],
  ])('is refused: %s', (_what, input, message) => {
    expect(problem(input)).toBe(message);
  });

  it('gives every required field in its example', () => {
    const spec: InputSpec<{ server: string; name: string; port?: number }> = {
      server: 'string',
      name: 'string',
      port: 'number?',
    };
    expect(inputProblem('RestorePointWorkflow', spec, {})).toBe(
      'RestorePointWorkflow needs "server" (a string in quotes), e.g. {"server": "…", "name": "…"}',
    );
  });
});
