/**
 * For plain-SQL dumps, what `pg_restore --no-owner`, `--no-acl`, `--no-tablespaces` and
 * `--no-subscriptions` do for the custom format: leaves out `ALTER ... OWNER TO` statements,
 * the sections pg_dump marks `Type: ACL` or `Type: DEFAULT ACL`, `SET default_tablespace` to any
 * but the database's own, and the sections of a subscription (`Type: SUBSCRIPTION`, and its
 * `Name: SUBSCRIPTION s` comment or security label). pg_dump writes each of those as whole lines
 * at the start of a line; COPY data is passed through untouched, whatever its rows hold.
 */
import { Transform, TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface PlainFilterOptions {
  noOwner: boolean;
  noAcl: boolean;
  noTablespaces?: boolean;
  noSubscriptions?: boolean;
}

const OWNER = /^ALTER [A-Z ]+ .+ OWNER TO .+;$/;
const SECTION = /^-- (?:Data for )?Name: (.*); Type: ([A-Z ]+);/;
const TABLESPACE = /^SET default_tablespace = (?!'';$).+;$/;
const COPY_START = /^COPY .+ FROM stdin;$/;

/** Decides line by line; keeps the state a plain dump needs (inside COPY data, inside a section left out). */
export class PlainLineFilter {
  private inCopy = false;
  private inLeftOutSection = false;

  constructor(private readonly options: PlainFilterOptions) {}

  keep(line: string): boolean {
    if (this.inCopy) {
      if (line === '\\.') this.inCopy = false;
      return true;
    }
    if (COPY_START.test(line)) {
      this.inCopy = true;
      return true;
    }
    const section = SECTION.exec(line);
    if (section) this.inLeftOutSection = this.leavesOut(section[1], section[2]);
    if (this.inLeftOutSection && !line.startsWith('--') && line !== '') return false;
    if (this.options.noOwner && OWNER.test(line)) return false;
    if (this.options.noTablespaces && TABLESPACE.test(line)) return false;
    return true;
  }

  private leavesOut(name: string, type: string): boolean {
    if (this.options.noAcl && (type === 'ACL' || type === 'DEFAULT ACL')) return true;
    return Boolean(this.options.noSubscriptions) && (type === 'SUBSCRIPTION' || name.startsWith('SUBSCRIPTION '));
  }
}

/** The filter as a stream over SQL text. */
export function plainSqlFilter(options: PlainFilterOptions): Transform {
  const filter = new PlainLineFilter(options);
  // A chunk may end inside a multi-byte character: decode across chunks.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const emit = (lines: string[]) =>
    lines
      .filter((l) => filter.keep(l))
      .map((l) => `${l}\n`)
      .join('');
  return new Transform({
    transform(chunk: Buffer, _e, done: TransformCallback) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop()!;
      done(null, emit(lines));
    },
    flush(done: TransformCallback) {
      rest += decoder.end();
      done(null, rest === '' ? '' : emit([rest]).slice(0, -1));
    },
  });
}
