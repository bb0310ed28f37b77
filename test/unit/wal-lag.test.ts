import { dailyLagProblems, LagWatch } from '../../src/operations/pitr/lag';
import { walWatchNotice } from '../../src/operations/pitr/notices';

const limits = { maxLagSeconds: 60, maxRetainedBytes: 1024 * 1048576 };
const s = (seconds: number) => seconds * 1000;

type Step =
  | { sample: [seconds: number, serverLsn: number, archived: number, retained?: number] }
  | { down: [seconds: number, reason: string] };

/** Runs the steps through one watch; returns each reading's lag, problem count and what was sent. */
function run(steps: Step[]): Array<[number, number, string | undefined]> {
  const watch = new LagWatch(limits);
  return steps.map((step) => {
    const r =
      'sample' in step
        ? watch.sample(s(step.sample[0]), BigInt(step.sample[1]), BigInt(step.sample[2]), step.sample[3] ?? 0)
        : watch.notRunning(s(step.down[0]), step.down[1]);
    return [Math.round(r.lagSeconds), r.problems.length, r.send];
  });
}

describe('LagWatch', () => {
  it.each<[string, Step[], Array<[number, number, string | undefined]>]>([
    [
      'an archive that keeps up has no lag',
      [{ sample: [0, 100, 100] }, { sample: [2, 200, 200] }, { sample: [4, 300, 300] }],
      [
        [0, 0, undefined],
        [0, 0, undefined],
        [0, 0, undefined],
      ],
    ],
    [
      'an idle server has no lag however old its last write',
      [{ sample: [0, 100, 100] }, { sample: [3600, 100, 100] }],
      [
        [0, 0, undefined],
        [0, 0, undefined],
      ],
    ],
    [
      'lag counts from the last moment the archive held everything sampled',
      [{ sample: [0, 100, 100] }, { sample: [2, 200, 100] }, { sample: [4, 300, 200] }, { sample: [6, 400, 400] }],
      [
        [0, 0, undefined],
        [2, 0, undefined],
        [2, 0, undefined],
        [0, 0, undefined],
      ],
    ],
    [
      'behind beyond the limit alerts once, and says once when it caught up',
      [
        { sample: [0, 100, 100] },
        { sample: [30, 200, 100] },
        { sample: [61, 300, 100] },
        { sample: [90, 400, 100] },
        { sample: [95, 400, 400] },
        { sample: [97, 500, 500] },
      ],
      [
        [0, 0, undefined],
        [30, 0, undefined],
        [61, 1, 'alert'],
        [90, 1, undefined],
        [0, 0, 'resolved'],
        [0, 0, undefined],
      ],
    ],
    [
      'a slot holding too much WAL alerts even without lag',
      [{ sample: [0, 100, 100, 2048 * 1048576] }, { sample: [2, 100, 100, 10] }],
      [
        [0, 1, 'alert'],
        [0, 0, 'resolved'],
      ],
    ],
    [
      'not running alerts once it has lasted beyond the limit, and a good sample ends it',
      [
        { sample: [0, 100, 100] },
        { down: [30, 'S3 unreachable'] },
        { down: [61, 'S3 unreachable'] },
        { down: [120, 'S3 unreachable'] },
        { sample: [130, 200, 200] },
      ],
      [
        [0, 0, undefined],
        [30, 0, undefined],
        [61, 1, 'alert'],
        [120, 1, undefined],
        [0, 0, 'resolved'],
      ],
    ],
    [
      'a short outage neither alerts nor ends an alert',
      [{ sample: [0, 100, 100] }, { down: [10, 'blip'] }, { sample: [12, 100, 100] }],
      [
        [0, 0, undefined],
        [10, 0, undefined],
        [0, 0, undefined],
      ],
    ],
  ])('%s', (_name, steps, expected) => {
    expect(run(steps)).toEqual(expected);
  });

  it('carries its state into the next round: an outage is measured from its start', () => {
    const first = new LagWatch(limits);
    first.sample(s(0), 100n, 100n, 0);
    first.notRunning(s(50), 'worker died');
    const next = new LagWatch(limits, JSON.parse(JSON.stringify(first.snapshot)));
    const r = next.notRunning(s(70), 'worker died');
    expect(r.send).toBe('alert');
    expect(r.problems[0]).toBe('archiving has been failing for 70 s (WAL_MAX_LAG_SECONDS=60): worker died');
    const caughtUp = new LagWatch(limits, next.snapshot).sample(s(80), 150n, 150n, 0);
    expect(caughtUp.send).toBe('resolved');
  });

  it("carries the archive_command's watch with its own: an alert is not sent again in the next round", () => {
    const stats = { archiveMode: 'on', configured: true, lastFailedWal: 'F', lastFailedAt: 5, lastArchivedAt: 1 };
    const first = new LagWatch(limits);
    expect(first.snapshot).not.toHaveProperty('archiver');
    first.archiver.sample(s(0), stats, 'shop');
    expect(first.archiver.sample(s(61), stats, 'shop').send).toBe('alert');
    const next = new LagWatch(limits, JSON.parse(JSON.stringify(first.snapshot)));
    expect(next.archiver.sample(s(90), stats, 'shop').send).toBeUndefined();
    expect(next.archiver.sample(s(95), { ...stats, lastArchivedAt: 6 }, 'shop').send).toBe('resolved');
    expect(next.snapshot).not.toHaveProperty('archiver');
  });

  it('keeps a bounded number of samples through a long lag, and the lag stays an upper bound', () => {
    const watch = new LagWatch(limits);
    watch.sample(0, 0n, 0n, 0);
    for (let i = 1; i <= 5000; i++) watch.sample(s(i), BigInt(i), 0n, 0);
    expect(watch.snapshot.pending.length).toBeLessThanOrEqual(201);
    // The archive reaches what the server had at 4000 s: the lag is at least 1000 s and not far above.
    const r = watch.sample(s(5001), 5001n, 4000n, 0);
    expect(r.lagSeconds).toBeGreaterThanOrEqual(1001);
    expect(r.lagSeconds).toBeLessThan(1100);
  });
});

describe('walWatchNotice', () => {
  it('names the server, the problem and what to do; the all-clear and the stop say what they are', () => {
    const behind = walWatchNotice({
      kind: 'behind',
      server: 'shop',
      problems: ['the archive is 95 s behind the server (WAL_MAX_LAG_SECONDS=60)'],
      archivedLsn: '0/3000000',
      lagSeconds: 95,
    });
    expect(behind).toMatchObject({ event: 'wal.behind', severity: 'critical' });
    expect(behind.title).toBe('WAL archive of shop is behind: a point-in-time recovery now would lose about 95 s of commits');
    expect(behind.facts).toContainEqual(['Problem', 'the archive is 95 s behind the server (WAL_MAX_LAG_SECONDS=60)']);
    expect(behind.action).toMatch(/max_slot_wal_keep_size/);
    expect(walWatchNotice({ kind: 'caught-up', server: 'shop', lagSeconds: 1 })).toMatchObject({
      event: 'wal.caught-up',
      severity: 'info',
      title: 'WAL archive of shop caught up',
    });
    // Archiving before the base backup, which refuses while archiving is stopped.
    expect(walWatchNotice({ kind: 'stopped', server: 'shop', reason: 'gap' }).action).toMatch(
      /start archiving again \(pgwarden wal start; after a gap, pgwarden wal start --accept-gap\), then take a new base backup \(pgwarden basebackup\)$/,
    );
  });
});

describe('dailyLagProblems', () => {
  const MB = 1048576;
  const now = s(10_000);
  it.each<[string, Partial<Parameters<typeof dailyLagProblems>[0]>, string[]]>([
    [
      'an archive holding all the server wrote is fine, however old',
      { serverLsn: 5n * 16n * BigInt(MB), newestStoredAt: s(1) },
      [],
    ],
    ['behind but stored to seconds ago: archiving is at work', { serverLsn: 81n * BigInt(MB), newestStoredAt: now - s(5) }, []],
    [
      'behind and unchanged past the limit',
      { serverLsn: 81n * BigInt(MB), newestStoredAt: now - s(600) },
      [
        'the WAL archive of shop is 1.0 MiB behind the server and has not grown for 600 s (WAL_MAX_LAG_SECONDS=60): is archiving running? (pgwarden wal status; pgwarden wal start)',
      ],
    ],
    [
      'nothing archived at all',
      { archivedLsn: null, newestStoredAt: null },
      [
        'the WAL archive of shop is empty (WAL_MAX_LAG_SECONDS=60): is archiving running? (pgwarden wal status; pgwarden wal start)',
      ],
    ],
    ['a standby (no position) is not judged', { serverLsn: null, newestStoredAt: now - s(600) }, []],
    [
      'behind where the archive_command alone archives: that is where to look',
      { serverLsn: 81n * BigInt(MB), newestStoredAt: now - s(600), archiveCommandOnly: true },
      [
        "the WAL archive of shop is 1.0 MiB behind the server and has not grown for 600 s (WAL_MAX_LAG_SECONDS=60): is the server's archive_command archiving? (pg_stat_archiver and the server's log; on a quiet server, archive_timeout)",
      ],
    ],
    [
      'the slot holding more than the limit',
      { retainedBytes: 2048 * MB },
      [
        "the replication slot of shop holds 2.0 GiB of WAL on the server's disk (WAL_MAX_RETAINED_MB=1024): the archive is not taking it",
      ],
    ],
  ])('%s', (_what, over, expected) => {
    const input = {
      server: 'shop',
      serverLsn: 80n * BigInt(MB),
      archivedLsn: 80n * BigInt(MB),
      newestStoredAt: now - s(30),
      retainedBytes: 16 * MB,
      now,
      limits,
      ...over,
    };
    expect(dailyLagProblems(input)).toEqual(expected);
  });
});
