import { renderEmail, renderSlack } from '../../src/infra/notify/notice';
import {
  dumpCompatibility,
  dumpFits,
  parseToolMajor,
  restoreToolProblem,
  serverMajor,
  streamingToolProblem,
} from '../../src/infra/postgres/versions';
import { workflowId } from '../../src/infra/temporal/definitions';
import { cliTypeName, ALL_SEARCH_ATTRIBUTES } from '../../src/infra/temporal/search-attributes';

describe('PostgreSQL versions', () => {
  it.each([
    ['pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)', 15],
    ['pg_dump (PostgreSQL) 9.6.24', 9],
    ['pg_restore (PostgreSQL) 17beta1', 17],
    ['something else', undefined],
  ])('%s -> %s', (text, major) => expect(parseToolMajor(text)).toBe(major));

  it.each([
    [150018, 15],
    [90624, 9],
    [170000, 17],
  ])('server_version_num %i is major %i', (n, major) => expect(serverMajor(n)).toBe(major));

  it('lets pg_dump dump its own and older servers only', () => {
    expect(dumpCompatibility(15, 15)).toEqual({ ok: true });
    expect(dumpCompatibility(16, 12)).toEqual({ ok: true });
    const newer = dumpCompatibility(15, 16);
    expect(newer.ok).toBe(false);
    expect(!newer.ok && newer.reason).toMatch(
      /pg_dump 15 cannot dump a PostgreSQL 16 server; install the PostgreSQL 16 client tools/,
    );
  });

  it.each([
    // pg_dump, server: ok or the reason's start
    [15, 15, 'ok'],
    [16, 15, 'ok'],
    [18, 18, 'ok'],
    [17, 16, 'pg_dump 17 writes dumps that a PostgreSQL 16 server cannot load'],
    [18, 15, 'pg_dump 18 writes dumps that a PostgreSQL 15 server cannot load'],
  ])('pg_dump %i of a PostgreSQL %i server: %s', (dump, server, expected) => {
    const c = dumpCompatibility(dump, server);
    if (expected === 'ok') expect(c).toEqual({ ok: true });
    else expect(!c.ok && c.reason).toContain(expected);
  });

  it.each([
    // pg_dump, the servers it must fit (a table recovery: the copy and the live server), fits
    [15, [15], true],
    [18, [18], true],
    [18, [15, 18], false], // 18's dumps SET transaction_timeout, which 15 rejects
    [16, [15, 16], true],
    [15, [15, 16], false], // too old to dump 16
    [16, [], true],
  ])('pg_dump %i for servers %j fits: %s', (dump, servers, fits) => expect(dumpFits(servers)(dump)).toBe(fits));

  it.each([
    // pg_restore, pg_dump that wrote the backup (undefined: unknown), target server: ok or the problem's start
    [15, 15, 15, 'ok'],
    [16, 15, 15, 'ok'],
    [16, 16, 15, 'ok'],
    [18, 18, 18, 'ok'],
    [18, 15, 18, 'ok'],
    [15, undefined, 15, 'ok'],
    [
      15,
      16,
      15,
      'this backup was written by pg_dump 16, which pg_restore 15 cannot read; install the PostgreSQL 16 client tools',
    ],
    [16, 18, 18, 'this backup was written by pg_dump 18, which pg_restore 16 cannot read'],
    [
      18,
      15,
      15,
      'pg_restore 18 cannot load into a PostgreSQL 15 server (it sets transaction_timeout, new in 17); install the PostgreSQL 15 client tools',
    ],
    [
      18,
      16,
      15,
      'pg_restore 18 cannot load into a PostgreSQL 15 server (it sets transaction_timeout, new in 17); install the PostgreSQL 16 client tools',
    ],
    [18, 18, 15, 'this backup was written by pg_dump 18, whose dumps a PostgreSQL 15 server cannot load'],
    // plain SQL through psql: only the dump's version matters
    [undefined, 16, 15, 'ok'],
    [undefined, 17, 16, 'this backup was written by pg_dump 17, whose dumps a PostgreSQL 16 server cannot load'],
  ] as const)('pg_restore %s, backup by pg_dump %s, into PostgreSQL %i: %s', (restore, dump, server, expected) => {
    const problem = restoreToolProblem(restore, dump, server);
    if (expected === 'ok') expect(problem).toBeUndefined();
    else expect(problem).toContain(expected);
  });

  it.each([
    ['pg_receivewal', 15, 15, undefined],
    ['pg_receivewal', 18, 15, undefined], // newer tools stream from older servers
    ['pg_basebackup', 17, 16, undefined],
    [
      'pg_receivewal',
      15,
      18,
      'pg_receivewal 15 cannot stream from a PostgreSQL 18 server; install the PostgreSQL 18 client tools on the worker (Debian, Ubuntu: postgresql-client-18, from apt.postgresql.org where the release lacks it) or point PG_BIN_DIR at them',
    ],
    [
      'pg_basebackup',
      16,
      17,
      'pg_basebackup 16 cannot stream from a PostgreSQL 17 server; install the PostgreSQL 17 client tools on the worker (Debian, Ubuntu: postgresql-client-17, from apt.postgresql.org where the release lacks it) or point PG_BIN_DIR at them',
    ],
  ] as const)('%s %i against PostgreSQL %i: %s', (tool, major, server, expected) => {
    expect(streamingToolProblem(tool, major, server)).toBe(expected);
  });

  it('names the folder of the right tools when the worker has them, else the package', () => {
    const installed = (major: number) => (major === 15 ? '/usr/lib/postgresql/15/bin' : undefined);
    const dump = dumpCompatibility(18, 15, installed);
    expect(!dump.ok && dump.reason).toMatch(
      /; set PG_BIN_DIR=\/usr\/lib\/postgresql\/15\/bin, where the PostgreSQL 15 client tools are installed$/,
    );
    expect(restoreToolProblem(18, 15, 15, installed)).toMatch(/; set PG_BIN_DIR=\/usr\/lib\/postgresql\/15\/bin, where/);
    expect(restoreToolProblem(15, 18, 18, installed)).toMatch(
      /; install the PostgreSQL 18 client tools on the worker \(Debian, Ubuntu: postgresql-client-18, from apt\.postgresql\.org where the release lacks it\) or point PG_BIN_DIR at them$/,
    );
  });
});

describe('workflow ids', () => {
  it('say what ran, on which database, when (UTC)', () => {
    expect(workflowId('backup', 'shop', new Date('2026-11-24T02:00:00.123Z'))).toBe('backup-shop-20261124T020000Z');
  });
});

describe('search attributes', () => {
  it('register under the names and types the temporal CLI takes', () => {
    expect(ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${cliTypeName(k.type)}`)).toEqual([
      'PgwardenDatabase=Keyword',
      'PgwardenOperation=Keyword',
      'PgwardenIncidentStatus=Keyword',
      'PgwardenIncidentStep=Keyword',
      'PgwardenEscalationLevel=Int',
      'PgwardenSeverity=Keyword',
    ]);
  });
});

describe('notices', () => {
  const notice = {
    event: 'backup.failed',
    severity: 'critical' as const,
    title: 'Backup of shop failed',
    facts: [
      ['Database', 'shop'],
      ['Error', 'bucket missing'],
    ] as Array<[string, string]>,
    action: 'create the bucket',
  };
  it('render as e-mail with aligned facts and what to do', () => {
    const { subject, text } = renderEmail(notice);
    expect(subject).toBe('[pgwarden] FAILED: Backup of shop failed');
    expect(text).toContain('Database: shop\nError:    bucket missing');
    expect(text).toContain('What to do: create the bucket');
  });
  it('render as Slack mrkdwn', () => {
    expect(renderSlack(notice).text).toBe(
      ':rotating_light: *Backup of shop failed*\n• *Database:* shop\n• *Error:* bucket missing\n*What to do:* create the bucket',
    );
  });
});
