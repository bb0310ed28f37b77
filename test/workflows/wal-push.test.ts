/**
 * `pgwarden wal push %p` as the archive_command of a real server, beside streaming: while the
 * worker runs both send the same segments (the server's files and pg_receivewal's are the same
 * bytes, so neither refuses the other); with the worker stopped, PostgreSQL's archiver alone
 * keeps WAL reaching the bucket, and a recovery by hand restores the rows written meanwhile;
 * streaming started again goes on past the segments pushed without it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { readArchiveBacklog } from '../../src/infra/postgres/archiver-stats';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { pgwarden } from '../support/cli';
import { askPromotedCopy, byHandConfig, instanceOwnedFolder, recoverByHand } from '../support/by-hand';
import { pitrFixture } from '../support/pitr-fixture';
import { archiverRow, pushCommand, setArchiveCommand, waitForArchiver, wrongKeyConfig } from '../support/archive-command';
import { capturedMail, waitForCaptured } from '../support/sinks';
import { waitFor } from '../support/wait';

// archive_mode needs a restart, archive_command a reload: it is set once the config file exists.
const fixture = pitrFixture({ settings: { archive_mode: 'on' } });
const workFolder = instanceOwnedFolder('pgwarden-wal-push-');
const FINGERPRINT = "SELECT count(*) || ':' || md5(string_agg(note, ',' ORDER BY id)) AS n FROM orders";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('keeps WAL reaching the bucket through archive_command while no worker runs', async () => {
  const work = workFolder();
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('walpush', [
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 5000) g',
  ]);
  const config = byHandConfig(join(work, 'pgwarden.env'));
  const command = pushCommand(config, db);
  const archiver = () => archiverRow(cluster);
  const backlog = async () => {
    const c = new Client({ connectionString: cluster.url() });
    await c.connect();
    return readArchiveBacklog(c).finally(() => c.end());
  };
  /** Switches to a new segment and waits until the archiver has pushed the one switched from. */
  const switchAndWait = async () => {
    const [{ f }] = await cluster.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f', [], db);
    await waitForArchiver(cluster, (a) => a.last === f, `${f} was not archived`, 60);
    return f;
  };

  const workers = await fixture.hostWorkers('walpush', settings);
  const base = await workers.runUntil(async () => {
    const taken = await workers.archiveAndBaseBackup(db);
    // archive_mode on and no command yet: PostgreSQL counts no failure, it keeps every WAL file.
    const { problems } = await workers.run<{ problems: string[] }>(WorkflowType.check, { database: db });
    expect(problems).toContainEqual(
      `archive_mode is on for ${db} but neither archive_command nor archive_library is set: the server keeps every WAL file on its disk; ` +
        `set archive_command (pgwarden wal push %p --server ${db}, see the README); where streaming alone archives the server, archive_mode = off (a restart) ends the keeping`,
    );
    // Both archive from here on: the archiver first catches up on every segment since initdb,
    // the ones streaming stored already among them.
    await setArchiveCommand(cluster, command);
    await cluster.query("INSERT INTO orders SELECT g, 'both archiving' FROM generate_series(5001, 5500) g", [], db);
    await switchAndWait();
    await sleep(3000); // streaming has stored the same segment by now (it ships completed segments at once)
    return taken;
  });
  expect(await archiver()).toMatchObject({ failed: 0 });

  // No worker from here on: only PostgreSQL's archiver sends WAL.
  await cluster.query("INSERT INTO orders SELECT g, 'no worker running' FROM generate_series(5501, 6500) g", [], db);
  const pushedAlone = await switchAndWait();
  expect(await archiver()).toMatchObject({ failed: 0, lastFailed: null });
  const [live] = await cluster.query<{ n: string }>(
    "SELECT count(*) || ':' || md5(string_agg(note, ',' ORDER BY id)) AS n FROM orders",
    [],
    db,
  );
  expect(live.n).toMatch(/^6500:/);

  const tar = join(work, 'base.tar');
  expect(await pgwarden({ PGWARDEN_CONFIG: config }, 'decrypt', base.data.key, '--out', tar)).toMatchObject({ code: 0 });
  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  execFileSync('tar', ['-xf', tar, '-C', dataDir]);
  const port = await recoverByHand({ dataDir, config, server: db });
  fixture.restored(dataDir);
  expect(await askPromotedCopy(cluster.url(db), port, FINGERPRINT)).toBe(live.n);

  // Streaming again: pg_receivewal starts where the slot stopped, before what was pushed, and
  // takes the segments it finds stored with the same bytes; its next base backup is taken.
  const again = await fixture.hostWorkers('walpush2', { ...settings, WAL_MAX_LAG_SECONDS: '5' });
  const archiverProblem = (f: string) =>
    expect.stringMatching(
      new RegExp(
        `^PostgreSQL's archive_command on ${db} failed on ${f} at \\S+ and has archived nothing since, ` +
          `with \\d+ WAL files? waiting, the oldest for \\d+ s \\(WAL_MAX_LAG_SECONDS=5\\); .+ the server's log says why$`,
      ),
    );
  await again.runUntil(async () => {
    const next = await again.archiveAndBaseBackup(db);
    expect(next.start.walFile > pushedAlone).toBe(true);
    expect(await archiver()).toMatchObject({ failed: 0 });
    const check = () => again.run<{ problems: string[] }>(WorkflowType.check, { database: db });
    expect((await check()).problems).not.toContainEqual(expect.stringContaining('archive_command'));

    // The base backup's last segment may still wait for the archiver: with the wrong key it would
    // fail first and be retried for ever, so the switched-to file below would never be tried.
    await waitFor('the archiver to push every waiting file', async () => (await backlog())?.files === 0, 60);
    // A push that fails (a wrong key under the key's id): PostgreSQL keeps the file and retries it.
    const wrong = wrongKeyConfig(join(work, 'wrong-key.env'), again.config.encryption);
    await setArchiveCommand(cluster, command.replace(config, wrong));
    await cluster.query("INSERT INTO orders SELECT g, 'push failing' FROM generate_series(6501, 6600) g", [], db);
    const [{ f }] = await cluster.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f', [], db);
    await waitForArchiver(cluster, (a) => a.lastFailed === f, `no failed push of ${f}`, 30);
    // Not yet WAL_MAX_LAG_SECONDS old, the failure is not the daily check's problem (PostgreSQL
    // may still mend it); judged by the backlog's age read after the check, so never older there.
    const early = await check();
    const waited = await backlog();
    expect(waited?.files).toBeGreaterThanOrEqual(1);
    if (waited!.oldestSeconds! <= 5) expect(early.problems).not.toContainEqual(expect.stringContaining('archive_command'));

    // The streaming round's watchdog alerts once it has lasted WAL_MAX_LAG_SECONDS; and once when it works again.
    const failing = `PostgreSQL's archive_command on ${db} is failing: the server's disk keeps all WAL from ${f} on`;
    const [alert] = await waitForCaptured(capturedMail, failing, 1, 30_000);
    expect(alert?.subject).toContain(`FAILED: ${failing}`);
    expect(alert?.text).toContain(`pgwarden wal push pg_wal/${f} --server ${db}`);
    // By then the daily check names it too, with how long the file has waited.
    expect((await check()).problems).toContainEqual(archiverProblem(f));
    await setArchiveCommand(cluster, command);
    const [clear] = await waitForCaptured(capturedMail, `PostgreSQL's archive_command on ${db} archives again`, 1, 90_000);
    expect(clear?.subject).toContain('OK:');
    expect(await archiver()).toMatchObject({ last: f });
    expect(await capturedMail(failing)).toHaveLength(1);
    expect((await check()).problems).not.toContainEqual(expect.stringContaining('archive_command'));
  });
});
