import type { ArchiveBacklog, ArchiverStats } from '../../src/infra/postgres/archiver-stats';
import { archiverProblems, ArchiverWatch, archiveTimeoutNote } from '../../src/operations/pitr/archiver';
import { walWatchNotice } from '../../src/operations/pitr/notices';

const at = (iso: string) => Date.parse(iso);
const stats = (given: Partial<ArchiverStats>): ArchiverStats => ({
  archiveMode: 'on',
  configured: true,
  lastFailedWal: '000000010000000000000007',
  lastFailedAt: null,
  lastArchivedAt: null,
  ...given,
});
const UNCONFIGURED =
  'archive_mode is on for shop but neither archive_command nor archive_library is set: the server keeps every WAL file on its disk; ' +
  'set archive_command (pgwarden wal push %p --server shop, see the README); where streaming alone archives the server, archive_mode = off (a restart) ends the keeping';

describe('archiverProblems', () => {
  const FAILED =
    "PostgreSQL's archive_command on shop failed on 000000010000000000000007 at 2026-12-03T10:00:00.000Z and has archived nothing since";
  const KEEPS = 'the server keeps that WAL and all after it on its disk until the command succeeds';
  const failing = [
    `${FAILED}; ${KEEPS}: the server's log says why (grant pg_monitor to the backup user and this check names only failures that last past WAL_MAX_LAG_SECONDS)`,
  ];
  const failedAt = at('2026-12-03T10:00:00Z');
  const failedLast = { lastFailedAt: failedAt, lastArchivedAt: at('2026-12-03T09:00:00Z') };
  type Row = [string, Partial<ArchiverStats>, ArchiveBacklog | undefined, string[]];
  it.each<Row>([
    ['archive_mode off: no archiver to judge', { archiveMode: 'off', lastFailedAt: failedAt }, undefined, []],
    ['archive_mode off and no command: nothing kept', { archiveMode: 'off', configured: false }, undefined, []],
    ['never failed', { lastFailedAt: null, lastArchivedAt: failedAt }, undefined, []],
    ['never failed, never archived (a new server)', { lastFailedAt: null, lastArchivedAt: null }, undefined, []],
    [
      'failed once, archived since',
      { lastFailedAt: at('2026-12-03T09:00:00Z'), lastArchivedAt: at('2026-12-03T09:01:00Z') },
      undefined,
      [],
    ],
    ['failed after its last success, backlog unreadable: named, with the grant', failedLast, undefined, failing],
    ['failed and never archived anything', { lastFailedAt: failedAt, lastArchivedAt: null }, undefined, failing],
    ['archive_mode always fails alike', { archiveMode: 'always', lastFailedAt: failedAt }, undefined, failing],
    // PostgreSQL retries a failed file within a minute: a failure it may still mend is not named.
    ['failed, the oldest file waiting for 10 s', failedLast, { files: 1, oldestSeconds: 10 }, []],
    ['failed, the oldest file waiting exactly the limit', failedLast, { files: 2, oldestSeconds: 60 }, []],
    [
      'failed, the oldest file waiting past the limit',
      failedLast,
      { files: 3, oldestSeconds: 61.4 },
      [`${FAILED}, with 3 WAL files waiting, the oldest for 61 s (WAL_MAX_LAG_SECONDS=60); ${KEEPS}: the server's log says why`],
    ],
    [
      'one file waiting for an hour',
      failedLast,
      { files: 1, oldestSeconds: 3600 },
      [`${FAILED}, with 1 WAL file waiting, the oldest for 3600 s (WAL_MAX_LAG_SECONDS=60); ${KEEPS}: the server's log says why`],
    ],
    // The counters say failed, but nothing waits: the server keeps nothing for the archiver.
    ['failed, nothing waiting', failedLast, { files: 0, oldestSeconds: null }, []],
    // PostgreSQL counts no failure then, it only logs a warning and keeps every file.
    ['archive_mode on, no command or library set', { configured: false }, undefined, [UNCONFIGURED]],
    ['no command set, whatever the backlog', { configured: false }, { files: 0, oldestSeconds: null }, [UNCONFIGURED]],
    ['the settings could not be read: judged by the counters alone', { configured: null }, undefined, []],
  ])('%s', (_what, given, backlog, expected) => {
    expect(archiverProblems({ server: 'shop', ...stats(given), backlog, limitSeconds: 60 })).toEqual(expected);
  });
});

describe('ArchiverWatch', () => {
  const s = (seconds: number) => seconds * 1000;
  const ok = stats({ lastArchivedAt: at('2026-12-03T09:00:00Z') });
  const failed = stats({ lastArchivedAt: at('2026-12-03T09:00:00Z'), lastFailedAt: at('2026-12-03T09:05:00Z') });
  /** The same file failing again later, nothing archived between. */
  const failedAgain = { ...failed, lastFailedAt: at('2026-12-03T09:06:00Z') };
  /** It archived the file, then failed on the next one. */
  const nextFailed = stats({ lastArchivedAt: at('2026-12-03T09:07:00Z'), lastFailedAt: at('2026-12-03T09:07:30Z') });
  const unconfigured = stats({ configured: false });

  it.each<[string, Array<[seconds: number, ArchiverStats]>, Array<[troubleSeconds: number, problem: boolean, send?: string]>]>([
    [
      'a working archiver says nothing',
      [
        [0, ok],
        [120, ok],
      ],
      [
        [0, false],
        [0, false],
      ],
    ],
    [
      'a failure the retries mend within the limit says nothing',
      [
        [0, ok],
        [10, failed],
        [50, failedAgain],
        [60, nextFailed],
        [65, { ...nextFailed, lastArchivedAt: at('2026-12-03T09:08:00Z') }],
      ],
      [
        [0, false],
        [0, false],
        [40, false],
        [0, false],
        [0, false],
      ],
    ],
    [
      'failing beyond the limit alerts once, and says once when it archives again',
      [
        [0, failed],
        [60, failedAgain],
        [61, failedAgain],
        [200, failedAgain],
        [202, { ...failedAgain, lastArchivedAt: at('2026-12-03T09:10:00Z') }],
        [204, { ...failedAgain, lastArchivedAt: at('2026-12-03T09:10:00Z') }],
      ],
      [
        [0, false],
        [60, false],
        [61, true, 'alert'],
        [200, true],
        [0, false, 'resolved'],
        [0, false],
      ],
    ],
    [
      // The server's clock is never set against the worker's: only "archived since?" is read from it.
      'time is the worker’s: a server clock far off changes nothing',
      [
        [0, stats({ lastArchivedAt: at('2030-01-01T00:00:00Z'), lastFailedAt: at('2030-01-01T00:01:00Z') })],
        [30, stats({ lastArchivedAt: at('2030-01-01T00:00:00Z'), lastFailedAt: at('2030-01-01T00:02:00Z') })],
      ],
      [
        [0, false],
        [30, false],
      ],
    ],
    [
      'an alert stands while the next file fails too (archived one, failing again)',
      [
        [0, failed],
        [70, failedAgain],
        [80, nextFailed],
        [150, { ...nextFailed, lastFailedAt: at('2026-12-03T09:09:00Z') }],
      ],
      [
        [0, false],
        [70, true, 'alert'],
        [0, false],
        [70, true],
      ],
    ],
    [
      'archive_mode on without a command alerts after the limit too',
      [
        [0, unconfigured],
        [61, unconfigured],
        [70, { ...unconfigured, archiveMode: 'off' }],
      ],
      [
        [0, false],
        [61, true, 'alert'],
        [0, false, 'resolved'],
      ],
    ],
  ])('%s', (_what, samples, expected) => {
    const watch = new ArchiverWatch(60);
    expect(
      samples.map(([seconds, given]) => {
        const r = watch.sample(s(seconds), given, 'shop');
        return r.send ? [Math.round(r.troubleSeconds), !!r.problem, r.send] : [Math.round(r.troubleSeconds), !!r.problem];
      }),
    ).toEqual(expected);
  });

  it('names the file, how long, the limit and what is kept', () => {
    const watch = new ArchiverWatch(60);
    watch.sample(s(0), failed, 'shop');
    const r = watch.sample(s(95), failedAgain, 'shop');
    expect(r).toMatchObject({ wal: '000000010000000000000007', send: 'alert' });
    expect(r.problem).toBe(
      "PostgreSQL's archive_command on shop has been failing on 000000010000000000000007 for 95 s (WAL_MAX_LAG_SECONDS=60); " +
        'the server keeps that WAL and all after it on its disk until the command succeeds',
    );
    const none = new ArchiverWatch(60);
    none.sample(s(0), unconfigured, 'shop');
    expect(none.sample(s(61), unconfigured, 'shop')).toMatchObject({ problem: UNCONFIGURED, wal: undefined });
  });
});

describe("the archive_command's notices", () => {
  it('the alert names the file, the way to see its reason and what the disk is at; the all-clear says it archives again', () => {
    const alert = walWatchNotice({
      kind: 'archive-command-failing',
      server: 'shop',
      problem: 'P',
      wal: '000000010000000000000007',
    });
    expect(alert).toMatchObject({ event: 'wal.archive-command-failing', severity: 'critical' });
    expect(alert.title).toBe(
      "PostgreSQL's archive_command on shop is failing: the server's disk keeps all WAL from 000000010000000000000007 on",
    );
    expect(alert.facts).toEqual([
      ['Server', 'shop'],
      ['Problem', 'P'],
      ['Failing on', '000000010000000000000007'],
    ]);
    expect(alert.action).toContain('pgwarden wal push pg_wal/000000010000000000000007 --server shop');
    expect(alert.action).toContain("archive_command = 'true'");
    // Where the command alone archives, that shortcut would be a gap in the archive: never offered.
    const alone = walWatchNotice({
      kind: 'archive-command-failing',
      server: 'shop',
      problem: 'P',
      wal: 'F',
      archiveCommandOnly: true,
    });
    expect(alone.action).not.toContain("'true'");
    expect(alone.action).toMatch(/Nothing else archives this server: mend the command/);
    // Behind where the server's archive_command sends the WAL: no worker or slot to look at.
    const behind = walWatchNotice({ kind: 'behind', server: 'shop', problems: ['P'], lagSeconds: 90, archiveCommandOnly: true });
    expect(behind.action).toMatch(
      /^the server's archive_command sends this WAL: pg_stat_archiver and the server's log say whether it fails/,
    );
    expect(behind.action).not.toContain('slot');
    expect(walWatchNotice({ kind: 'archive-command-recovered', server: 'shop' })).toMatchObject({
      event: 'wal.archive-command-recovered',
      severity: 'info',
      title: "PostgreSQL's archive_command on shop archives again",
    });
  });
});

describe('archiveTimeoutNote', () => {
  const advice =
    'set archive_timeout to at most half of WAL_MAX_LAG_SECONDS=60 (each forced switch stores one more segment, mostly empty and compressed), or raise both';
  it.each<[number, number, string | undefined]>([
    [
      0,
      60,
      `archive_timeout is off: on a quiet server the newest WAL waits in pg_wal until its segment fills, and the watchdog alerts after WAL_MAX_LAG_SECONDS; ${advice}`,
    ],
    [
      60,
      60,
      `archive_timeout (60 s) leaves a quiet server's archive up to that far behind, close to or past WAL_MAX_LAG_SECONDS, where the watchdog alerts; ${advice}`,
    ],
    [
      31,
      60,
      `archive_timeout (31 s) leaves a quiet server's archive up to that far behind, close to or past WAL_MAX_LAG_SECONDS, where the watchdog alerts; ${advice}`,
    ],
    [30, 60, undefined],
    [60, 300, undefined],
    [1, 60, undefined],
  ])('archive_timeout %i s, WAL_MAX_LAG_SECONDS %i', (timeout, maxLag, expected) => {
    expect(archiveTimeoutNote(timeout, maxLag)).toBe(expected);
  });
});
