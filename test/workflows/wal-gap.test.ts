/**
 * A gap in the archive and the way past it, on a scratch cluster that keeps at most 32 MB of
 * WAL for a slot: archiving stopped while the server wrote more, so the server gave up the
 * slot. Starting again stops at once with the gap named and what to do; `wal start
 * --accept-gap` goes on from what the server still has, and a base backup then starts a new
 * recoverable window.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { describeFailure } from '../../src/app/cli/failure';
import type { VerifyResult } from '../../workflows/verify';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { slotNameFor } from '../../src/operations/pitr/spool';
import { pitrFixture } from '../support/pitr-fixture';
import { uniqueSuffix } from '../support/temporal';

const fixture = pitrFixture({ settings: { max_slot_wal_keep_size: '32MB' } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('stops with the gap a given-up slot left, and goes on past it when told to', async () => {
  const { server, cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('walgap', ['CREATE TABLE filler (id serial, pad text)']);
  const slot = slotNameFor(db);
  const workers = await fixture.hostWorkers('walgap', settings);
  const { taskQueue, hostQueue } = workers;
  const archive = (extra: object = {}) =>
    server.client.workflow.start(WorkflowType.walArchive, {
      taskQueue,
      workflowId: `wal-archive-${db}-${uniqueSuffix()}`,
      args: [{ server: db, roundSeconds: 600, hostQueue, ...extra }],
    });
  await workers.runUntil(async () => {
    // A recoverable window, then archiving stopped.
    const first = await archive();
    await workers.run(WorkflowType.baseBackup, { server: db, reason: 'before the gap', hostQueue });
    await first.cancel();
    await first.result();

    // Archiving is stopped; the server writes more than the slot may keep, and gives it up at a checkpoint.
    let status = '';
    for (let i = 0; i < 20 && status !== 'lost'; i++) {
      await cluster.query(`INSERT INTO filler (pad) SELECT repeat('x', 1000) FROM generate_series(1, 5000)`, [], db);
      await cluster.query('SELECT pg_switch_wal()');
      await cluster.query('CHECKPOINT');
      [{ status }] = await cluster.query<{ status: string }>(
        'SELECT wal_status AS status FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
    }
    expect(status).toBe('lost');

    // Started again: it stops at once, naming the gap and the way on.
    const refused = await (await archive()).result().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    expect(describeFailure(refused).lines.join(' ')).toContain(
      `${db}: the server gave up the replication slot ${slot} and the WAL it held (more than max_slot_wal_keep_size was waiting), so the archive has a gap from where it ends; go on archiving past the gap (pgwarden wal start --accept-gap), then take a new base backup (pgwarden basebackup) to start a new recoverable window`,
    );

    // Told to accept the gap: a slot again, archiving goes on, and a base backup's WAL reaches the archive.
    const resumedAt = Date.now();
    fixture.track(await archive({ acceptGap: true }));
    await workers.run(WorkflowType.baseBackup, { server: db, reason: 'after the gap', hostQueue });
    const [after] = await cluster.query<{ status: string }>(
      'SELECT wal_status AS status FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    expect(after.status).toMatch(/^(reserved|extended)$/);
    // The archive check passes from the new base backup on, and says what the gap costs the older one.
    await sleep(2000); // the segment the base backup switched to is shipped
    const verified = await workers.run<VerifyResult>(WorkflowType.verify, { database: db });
    expect(verified.pitr).toMatchObject({ problems: [], baseBackups: 2 });
    expect(verified.pitr!.notes).toEqual([
      expect.stringMatching(new RegExp(`^the WAL archive of ${db} has a gap before base backup base_`)),
    ]);
    expect(verified.baseBackup).toMatchObject({ status: 'passed' });
    // Restore tests and the console choose points after the gap, where recovery can go.
    const window = await workers.activities.pitrWindow({ server: db });
    expect('from' in window && Date.parse(window.from)).toBeGreaterThan(resumedAt);
  });
}, 240_000);
