/**
 * A server archived by its archive_command alone (WAL_ARCHIVE_COMMAND_ONLY): no streaming and
 * no replication slot. The archiving workflow's rounds only watch; until the server archives
 * at all, or on a standby, the round refuses with one line; then base backups are taken, a table is recovered as
 * of a second from the WAL `pgwarden wal push` sent, and a push that keeps failing is alerted
 * by the round's watchdog.
 */
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { Client } from 'pg';
import { rootCauseMessage } from '../../src/infra/temporal/root-cause';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { DatabaseSA } from '../../src/infra/temporal/search-attributes';
import { lastWalNeeded } from '../../src/operations/pitr/base-backup';
import { slotNameFor } from '../../src/operations/pitr/spool';
import { byHandConfig, instanceOwnedFolder } from '../support/by-hand';
import { pitrFixture } from '../support/pitr-fixture';
import { archiverRow, pushCommand, setArchiveCommand, waitForArchiver, wrongKeyConfig } from '../support/archive-command';
import { capturedMail, capturedPages, waitForCaptured } from '../support/sinks';
import { waitFor } from '../support/wait';

const fixture = pitrFixture({ settings: { archive_mode: 'on' } });
const workFolder = instanceOwnedFolder('pgwarden-push-only-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('archives, backs up and recovers a table as of a second with only archive_command sending the WAL', async () => {
  const work = workFolder();
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('pushonly', [
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 2000) g',
  ]);
  const config = byHandConfig(join(work, 'pgwarden.env'));
  const command = pushCommand(config, db);
  const setCommand = (c: string) => setArchiveCommand(cluster, c);
  const lastArchived = async () => (await archiverRow(cluster)).last;
  const workers = await fixture.hostWorkers('pushonly', {
    ...settings,
    WAL_ARCHIVE_COMMAND_ONLY: db,
    WAL_MAX_LAG_SECONDS: '5',
  });
  await workers.runUntil(async () => {
    // archive_mode on, no command yet: nothing would reach the bucket, and the round says so at once.
    const refused = await workers
      .run(WorkflowType.walArchive, { server: db, roundSeconds: 600, hostQueue: workers.hostQueue })
      .then(() => 'ran', rootCauseMessage);
    expect(refused).toBe(
      `${db}: archive_command is not set, and WAL_ARCHIVE_COMMAND_ONLY names ${db}, so its archive_command is all that archives it: ` +
        `set archive_command = 'pgwarden --config FILE wal push %p --server ${db}' and reload (see the README)`,
    );

    await setCommand(command);
    // A standby is refused as well: the primary's archive_command is what sends the WAL.
    const standby = await cluster.standby();
    try {
      const onStandby = await fixture.hostWorkers('pushonly-standby', {
        ...settings,
        DATABASE_URL: standby.url(db),
        WAL_ARCHIVE_COMMAND_ONLY: db,
      });
      const refusedOnStandby = await onStandby.runUntil(() =>
        onStandby
          .run(WorkflowType.walArchive, { server: db, roundSeconds: 600, hostQueue: onStandby.hostQueue })
          .then(() => 'ran', rootCauseMessage),
      );
      expect(refusedOnStandby).toBe(
        `${db}: the server is a standby; archive the primary, whose archive_command sends the WAL (a standby's archive_mode = always is not watched)`,
      );
    } finally {
      await standby.stop();
    }

    const base = await workers.archiveAndBaseBackup(db);
    // The pager: each refused run above stopped archiving (an alert), and the run whose checks
    // passed and that watches ends it.
    const stoppedAlert = `pgwarden:wal-stopped:${db}`;
    const paged = async () =>
      (await capturedPages(stoppedAlert)).filter((p) => p.body.dedup_key === stoppedAlert).map((p) => p.body.event_action);
    await waitFor('the pager to hear that archiving runs', async () => (await paged()).at(-1) === 'resolve');
    expect(await paged()).toEqual(['trigger', 'trigger', 'resolve']);
    // The base backup's WAL came through the archiver; nothing streamed and no slot holds WAL.
    expect((await lastArchived())! >= lastWalNeeded(base)).toBe(true);
    expect(await cluster.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slotNameFor(db)])).toEqual([]);
    // What `wal status` shows: the round's heartbeat (Temporal records one every few seconds at most).
    const heartbeat = async () => {
      const query = `WorkflowType = '${WorkflowType.walArchive}' AND ExecutionStatus = 'Running' AND ${DatabaseSA.name} = '${db}'`;
      for await (const run of fixture.server.client.workflow.list({ query })) {
        const { raw } = await fixture.server.client.workflow.getHandle(run.workflowId).describe();
        const payload = raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
        return payload && defaultPayloadConverter.fromPayload<{ summary: string }>(payload).summary;
      }
    };
    // archive_timeout is left off here, and the round says what that costs.
    const watching =
      /^watching the server's archive_command: the archive holds WAL up to [0-9A-F]+\/[0-9A-F]+ \([0-9A-F]{24}\); archive_timeout is off: on a quiet server the newest WAL waits in pg_wal until its segment fills, .+WAL_MAX_LAG_SECONDS=5 .+$/;
    await waitFor('the round saying where the archive stands', async () => watching.test((await heartbeat()) ?? ''), 60);

    // The moment to recover to, then the mistake; the segment holding both is pushed on a switch.
    const writer = new Client({ connectionString: cluster.url(db) });
    await writer.connect();
    await writer.query("INSERT INTO orders SELECT g, 'before' FROM generate_series(2001, 2500) g");
    // The target has milliseconds: taken in the commit's own millisecond it would fall before it.
    await sleep(50);
    const target = (await writer.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t.toISOString();
    await sleep(50);
    await writer.query('DELETE FROM orders WHERE id > 100');
    const [{ f }] = (await writer.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f')).rows;
    await writer.end();
    await waitForArchiver(cluster, (a) => a.last === f, `${f} was not archived`, 30);
    const recovered = await workers.recoverTableAsOf(db, 'orders', target);
    expect(recovered.tables).toMatchObject([{ table: 'public.orders', as: 'public.orders_recovered', rows: 2500 }]);

    // Written and not switched: the open segment waits on the server (archive_timeout is off), and past
    // WAL_MAX_LAG_SECONDS the watching round says the archive is behind, then that it caught up.
    await cluster.query("INSERT INTO orders SELECT g, 'waits in pg_wal' FROM generate_series(3001, 3100) g", [], db);
    const [late] = await waitForCaptured(capturedMail, `WAL archive of ${db} is behind`, 1, 30_000);
    expect(late?.text).toContain("the server's archive_command sends this WAL: pg_stat_archiver and the server's log say");
    // The daily check, reading the bucket, points the same way.
    const behindCheck = await workers.run<{ problems: string[] }>(WorkflowType.check, { database: db });
    expect(behindCheck.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^the WAL archive of ${db} is .+ behind the server and has not grown for \\d+ s \\(WAL_MAX_LAG_SECONDS=5\\): is the server's archive_command archiving\\?`,
        ),
      ),
    );
    await cluster.query('SELECT pg_switch_wal()', [], db);
    await waitForCaptured(capturedMail, `WAL archive of ${db} caught up`, 1, 30_000);

    // A push that keeps failing (a wrong key under the key's id): the watching round alerts once, and once when mended.
    const wrong = wrongKeyConfig(join(work, 'wrong-key.env'), workers.config.encryption);
    await setCommand(command.replace(config, wrong));
    await cluster.query("INSERT INTO orders SELECT g, 'push failing' FROM generate_series(101, 200) g", [], db);
    const [{ failed }] = await cluster.query<{ failed: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS failed', [], db);
    const failing = `PostgreSQL's archive_command on ${db} is failing: the server's disk keeps all WAL from ${failed} on`;
    const [alert] = await waitForCaptured(capturedMail, failing, 1, 30_000);
    // Nothing streams beside it: skipping the file is never offered as a way out.
    expect(alert?.text).toContain('Nothing else archives this server: mend the command');
    expect(alert?.text).not.toContain("archive_command = 'true'");
    await setCommand(command);
    await waitForCaptured(capturedMail, `PostgreSQL's archive_command on ${db} archives again`, 1, 90_000);
    expect((await lastArchived())! >= failed).toBe(true);
    expect(await capturedMail(failing)).toHaveLength(1);
    // The round lists only past the newest segment it knew, and finds the ones pushed since.
    await waitFor(
      `the round seeing ${failed} in the bucket`,
      async () => (/\(([0-9A-F]{24})\)/.exec((await heartbeat()) ?? '')?.[1] ?? '') >= failed,
      60,
    );
    const { problems } = await workers.run<{ problems: string[] }>(WorkflowType.check, { database: db });
    expect(problems.filter((p) => /WAL|slot|archive_command/.test(p))).toEqual([]);
  });
}, 240_000);
