import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { plainSqlFilter } from '../../src/infra/postgres/plain-filter';

const dump = [
  '--',
  '-- Name: app; Type: SCHEMA; Schema: -; Owner: app_owner',
  '--',
  '',
  'CREATE SCHEMA app;',
  '',
  '',
  'ALTER SCHEMA app OWNER TO app_owner;',
  '',
  '--',
  '-- Name: orders; Type: TABLE; Schema: app; Owner: app_owner; Tablespace: fast',
  '--',
  '',
  'SET default_tablespace = fast;',
  '',
  'CREATE TABLE app.orders (',
  '    id integer,',
  '    note text',
  ');',
  '',
  '',
  'ALTER TABLE app.orders OWNER TO app_owner;',
  '',
  '--',
  '-- Data for Name: orders; Type: TABLE DATA; Schema: app; Owner: app_owner',
  '--',
  '',
  "SET default_tablespace = '';",
  '',
  'COPY app.orders (id, note) FROM stdin;',
  '1\tGRANT ALL ON everything TO everyone;',
  '2\tALTER TABLE x OWNER TO y;',
  '3\tnaïve ✓',
  '4\tSET default_tablespace = fast;',
  '\\.',
  '',
  '',
  '--',
  '-- Name: TABLE orders; Type: ACL; Schema: app; Owner: app_owner',
  '--',
  '',
  'REVOKE ALL ON TABLE app.orders FROM app_owner;',
  'GRANT SELECT ON TABLE app.orders TO reader;',
  '',
  '',
  '--',
  '-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: app; Owner: app_owner',
  '--',
  '',
  'ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app GRANT SELECT ON TABLES TO reader;',
  '',
  '',
  '--',
  '-- Name: shop_sub; Type: SUBSCRIPTION; Schema: -; Owner: app_owner',
  '--',
  '',
  "CREATE SUBSCRIPTION shop_sub CONNECTION 'host=primary dbname=shop' PUBLICATION shop_pub WITH (connect = false, slot_name = 'shop_sub');",
  '',
  '',
  'ALTER SUBSCRIPTION shop_sub OWNER TO app_owner;',
  '',
  '--',
  '-- Name: SUBSCRIPTION shop_sub; Type: COMMENT; Schema: -; Owner: app_owner',
  '--',
  '',
  "COMMENT ON SUBSCRIPTION shop_sub IS 'from the shop';",
  '',
  '',
  '-- PostgreSQL database dump complete',
  '',
].join('\n');

/** Feeds the dump in small chunks, so lines and characters are split across them. */
const filtered = (options: { noOwner: boolean; noAcl: boolean; noTablespaces?: boolean; noSubscriptions?: boolean }) =>
  text(
    Readable.from(
      Array.from({ length: Math.ceil(Buffer.byteLength(dump) / 7) }, (_, i) => Buffer.from(dump).subarray(i * 7, i * 7 + 7)),
    ).pipe(plainSqlFilter(options)),
  );

describe('plain SQL without owners or privileges', () => {
  it('passes everything through when asked for nothing', async () =>
    expect(await filtered({ noOwner: false, noAcl: false })).toBe(dump));

  it('leaves out OWNER TO statements, never COPY rows', async () => {
    const out = await filtered({ noOwner: true, noAcl: false });
    expect(out).not.toMatch(/^ALTER (SCHEMA|TABLE) app.* OWNER TO/m);
    expect(out).toContain('2\tALTER TABLE x OWNER TO y;');
    expect(out).toContain('GRANT SELECT ON TABLE app.orders TO reader;');
    expect(out).toContain('3\tnaïve ✓');
  });

  it('leaves out ACL and default-privilege sections, never COPY rows', async () => {
    const out = await filtered({ noOwner: true, noAcl: true });
    expect(out).not.toMatch(/^(GRANT|REVOKE|ALTER DEFAULT PRIVILEGES)/m);
    expect(out).toContain('1\tGRANT ALL ON everything TO everyone;');
    expect(out).toContain('CREATE TABLE app.orders (');
    expect(out.endsWith('-- PostgreSQL database dump complete\n')).toBe(true);
  });

  it("leaves out SET default_tablespace to any but the database's own, never COPY rows", async () => {
    const out = await filtered({ noOwner: false, noAcl: false, noTablespaces: true });
    expect(out).not.toMatch(/^SET default_tablespace = fast;$/m);
    expect(out).toContain("\nSET default_tablespace = '';\n");
    expect(out).toContain('4\tSET default_tablespace = fast;');
    expect(out).toBe(dump.replace('SET default_tablespace = fast;\n', ''));
  });

  it("leaves out a subscription's sections (its comment among them), and nothing else", async () => {
    const out = await filtered({ noOwner: false, noAcl: false, noSubscriptions: true });
    expect(out).not.toMatch(/^(CREATE|ALTER|COMMENT ON) SUBSCRIPTION/m);
    expect(out).toContain('-- Name: shop_sub; Type: SUBSCRIPTION; Schema: -; Owner: app_owner');
    const kept = dump
      .split('\n')
      .filter((l) => !/^(CREATE|ALTER|COMMENT ON) SUBSCRIPTION/.test(l))
      .join('\n');
    expect(out).toBe(kept);
  });
});
