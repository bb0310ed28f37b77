/**
 * verify reads back the WAL archived since its last run: every segment decrypted and checked
 * against its archived SHA-256, every record's CRC read by pg_waldump. A segment damaged in the
 * bucket fails the run naming it while the read-back goes on past it; every later run reads it
 * again until it is mended, and then it leaves the list. Every VERIFY_WAL_REREAD_DAYS a pass
 * reads the whole archive again, over as many runs as the budget needs: rot in a segment that
 * passed long ago is found by it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VerifyResult } from '../../workflows/verify';
import type { PitrArchiveListing } from '../../activities/pitr-archive';
import type { FreshnessReport } from '../../src/operations/backup/freshness';
import { formatVerifyResult } from '../../src/app/cli/commands/verify';
import { Keyring } from '../../src/infra/crypto/keyring';
import { encryptorFor } from '../../src/infra/crypto/encryptor';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { walFileOf, walFolder, walVerificationKey } from '../../src/infra/storage/layout';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { openWalFile, sealWalFile, WAL_PLAIN_SHA256 } from '../../src/operations/pitr/wal-object';
import type { WalVerification } from '../../src/operations/pitr/wal-verification';
import { capturedMail, capturedPages, waitForCaptured } from '../support/sinks';
import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import { createActivityDeps } from '../../activities/deps';
import { walVerificationActivities } from '../../activities/wal-verification';
import { activityEnvironment } from '../support/temporal';
import { waitFor } from '../support/wait';
import { pitrFixture } from '../support/pitr-fixture';

const fixture = pitrFixture();
const SEGMENT = 16 * 1024 * 1024;

it('reads back what was archived since the last run, names a damaged segment, goes on once it is mended, and reads the whole archive again when a pass is due', async () => {
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('walv', ['CREATE TABLE filler (id serial, body text)']);
  const workers = await fixture.hostWorkers('walv', settings);
  const { config } = workers;
  const s3 = createS3Client(config.storage!);
  const bucket = new Bucket(config.storage!, s3);
  const keyring = Keyring.from(config.encryption!);
  const segmentsStored = async () =>
    new Map(
      (await bucket.list(walFolder(config.storage!.prefix, db)))
        .map((o) => [walFileOf(o.key)?.fileName ?? '', o.key] as const)
        .filter(([n]) => /^[0-9A-F]{24}$/.test(n)),
    );
  /** About 40 MiB of WAL (whole segments full of records), then a switch; the segments archived for it. */
  const writeWal = async () => {
    const before = new Set((await segmentsStored()).keys());
    await cluster.query('INSERT INTO filler (body) SELECT repeat(md5(g::text), 32) FROM generate_series(1, 36000) g', [], db);
    const [{ f }] = await cluster.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f', [], db);
    await waitFor(`${f} archived`, async () => (await segmentsStored()).has(f), 60);
    return [...(await segmentsStored()).keys()].filter((n) => !before.has(n)).sort();
  };
  const verify = () => workers.run<VerifyResult>(WorkflowType.verify, { database: db, hostQueue: workers.hostQueue });
  /** Plain segment bytes sealed as the archiver seals them (compression, encryption). */
  const seal = async (name: string, plain: Buffer) => {
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-walv-'));
    try {
      writeFileSync(join(dir, name), plain);
      return await sealWalFile(join(dir, name), config.backup.compression, encryptorFor(keyring).create, SEGMENT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  await workers.runUntil(async () => {
    await workers.archiveAndBaseBackup(db);
    await writeWal();

    // A first run reads everything archived, up to the newest completed segment.
    const first = await verify();
    const newest = [...(await segmentsStored()).keys()].sort().at(-1)!;
    expect(first.walContents).toMatchObject({ status: 'passed', failures: [], deferred: 0, upTo: newest });
    expect(first.walContents!.segments).toBeGreaterThanOrEqual(3);
    expect(formatVerifyResult(first)).toContain(
      `WAL contents: PASSED (${first.walContents!.segments} segment(s) archived since the last check read back up to ${newest}`,
    );

    // The next reads only what came since; pitr list says how far the read-back got and what is left.
    const listed = () => workers.run<PitrArchiveListing>(WorkflowType.pitrList, { server: db });
    expect((await listed()).walReadBack).toMatchObject({ upTo: newest, pending: 0 });
    const written = await writeWal();
    expect((await listed()).walReadBack).toMatchObject({ upTo: newest, pending: written.length });
    const second = await verify();
    expect(second.walContents).toMatchObject({ status: 'passed', upTo: written.at(-1) });
    expect(second.walContents!.segments).toBe(written.length);

    // A segment whose records were damaged, stored as a whole, well-formed object with its own
    // checksum: only reading its records finds it.
    const more = await writeWal();
    const damaged = more[1]; // full of records: the switch is in the last one
    const key = (await segmentsStored()).get(damaged)!;
    const original = (await openWalFile(bucket, key, keyring))!;
    const originalHead = (await bucket.head(key))!;
    const broken = Buffer.from(original);
    for (let i = 0; i < 4; i++) broken[8 * 1024 * 1024 + 123 + i] ^= 0xff;
    const resealed = await seal(damaged, broken);
    await bucket.replace(key, resealed.body, { metadata: { [WAL_PLAIN_SHA256]: resealed.plainSha256 } });
    const failed = await verify();
    // The read-back goes on past it: the segments after it are read too.
    expect(failed.walContents).toMatchObject({ status: 'failed', segments: more.length, upTo: more.at(-1) });
    expect(failed.walContents!.failures).toEqual([
      expect.stringMatching(new RegExp(`^${damaged}: error in WAL record at [0-9A-F]+/[0-9A-F]+: `)),
    ]);
    expect(formatVerifyResult(failed)).toContain(`  failed:  ${damaged}: error in WAL record`);
    const [alert] = await waitForCaptured(capturedMail, `Archived WAL of ${db} FAILED its read-back`);
    expect(alert?.text).toContain(damaged);

    expect((await listed()).walReadBack).toMatchObject({ pending: 0, failed: [damaged] });
    // The daily check says so every day until it is mended.
    const checked = () => workers.run<FreshnessReport>(WorkflowType.check, { database: db });
    expect((await checked()).pitr!.problems).toContainEqual(
      expect.stringContaining(`1 archived WAL segment(s) of ${db} failed their read-back (${damaged})`),
    );

    // Every run reads it again first. Bytes that differ from those archived are found before any record is read.
    const intact = await seal(damaged, original);
    await bucket.replace(key, intact.body, { metadata: { [WAL_PLAIN_SHA256]: '0'.repeat(64) } });
    const mismatch = await verify();
    expect(mismatch.walContents!.failures).toEqual([
      `${damaged}: its bytes differ from those archived (SHA-256 recorded at archiving does not match)`,
    ]);

    expect(mismatch.walContents).toMatchObject({ status: 'failed', segments: 0 });

    // Mended: it passes, and leaves the list.
    await bucket.replace(key, intact.body, { metadata: originalHead.Metadata ?? {} });
    const mended = await verify();
    expect(mended.walContents).toMatchObject({ status: 'passed', failures: [], segments: 0 });
    expect((await listed()).walReadBack).toMatchObject({ failed: [] });
    expect((await checked()).pitr!.problems.filter((p) => p.includes('read-back'))).toEqual([]);
    // The pager: the failed read-backs triggered its alert, the mended one ends it (told to nobody else).
    const walAlert = `pgwarden:wal-verify:${db}`;
    const paged = async () =>
      (await capturedPages(walAlert)).filter((p) => p.body.dedup_key === walAlert).map((p) => p.body.event_action);
    await waitFor('the mended read-back to end the alert', async () => (await paged()).at(-1) === 'resolve');
    expect((await paged()).slice(-3)).toEqual(['trigger', 'trigger', 'resolve']);
    expect(await capturedMail(`Archived WAL of ${db} read back sound`)).toEqual([]);

    // Bit rot in a segment that passed long ago: only a pass reading the archive again finds it.
    const stateKey = walVerificationKey(config.storage!.prefix, db);
    const rotten = written[1];
    const rottenKey = (await segmentsStored()).get(rotten)!;
    const rotted = Buffer.from((await openWalFile(bucket, rottenKey, keyring))!);
    for (let i = 0; i < 4; i++) rotted[4 * 1024 * 1024 + 77 + i] ^= 0xff;
    const resealedRot = await seal(rotten, rotted);
    await bucket.replace(rottenKey, resealedRot.body, { metadata: { [WAL_PLAIN_SHA256]: resealedRot.plainSha256 } });
    // The first read-back counted as a complete pass, so none is due yet and the rot goes unseen.
    const notDue = await verify();
    expect(notDue.walContents).toMatchObject({ status: 'passed', segments: 0 });
    expect(notDue.walContents!.reread).toBeUndefined();
    const state = JSON.parse((await bucket.getText(stateKey))!) as { lastFullPassAt: string; reread?: unknown };
    expect(state.reread).toBeUndefined();
    expect(Date.parse(state.lastFullPassAt)).toBeLessThan(Date.now());
    // VERIFY_WAL_REREAD_DAYS (30) later a pass begins, oldest first, within the run's budget.
    await bucket.putJson(stateKey, { ...state, lastFullPassAt: new Date(Date.now() - 31 * 86_400_000).toISOString() });
    const stored = [...(await segmentsStored()).keys()].sort();
    const deps = createActivityDeps(config);
    const smallBudget: WalVerification | null = await activityEnvironment().run(
      walVerificationActivities({ ...deps, config: { ...deps.config, verify: { ...deps.config.verify, walSegments: 2 } } })
        .verifyArchivedWal,
      { server: db, workflowId: `wal-reread-${db}`, runId: randomUUID() },
    );
    expect(smallBudget).toMatchObject({ status: 'passed', segments: 0, reread: { segments: 2, left: stored.length - 2 } });
    const passBegun = smallBudget!.reread!.startedAt;
    expect((await listed()).walReadBack?.reread).toEqual({ startedAt: passBegun, left: stored.length - 2 });
    // The next run goes on with it to the end, and finds the rot.
    const pass = await verify();
    expect(pass.walContents).toMatchObject({
      status: 'failed',
      segments: 0,
      reread: { startedAt: passBegun, segments: stored.length - 2, left: 0 },
    });
    expect(pass.walContents!.failures).toEqual([
      expect.stringMatching(new RegExp(`^${rotten}: error in WAL record at [0-9A-F]+/[0-9A-F]+: `)),
    ]);
    expect(formatVerifyResult(pass)).toContain(`archived earlier read again by the pass begun`);
    expect((await listed()).walReadBack).toMatchObject({ lastFullPassAt: passBegun, reread: null, failed: [rotten] });
  });

  // S3 failing while segments are fetched ahead: the run fails with its error, and none of the
  // other fetches is left an unhandled rejection (which would stop the worker).
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await bucket.delete(walVerificationKey(config.storage!.prefix, db)); // everything is read again
    const deps = createActivityDeps(config);
    const away: Bucket = Object.create(deps.bucket);
    // HEAD fails once a segment's GET has answered, so fetches are streaming when the run fails:
    // each must have finished before the failure goes on (one still writing raced the clearing
    // of the work folder, failing the run with ENOTEMPTY instead of its error).
    let answered!: () => void;
    const firstAnswer = new Promise<void>((r) => (answered = r));
    let streaming = 0;
    away.open = async (key: string) => {
      const body = await deps.bucket.open(key);
      answered();
      if (!body) return body;
      // Slowed (2 ms a chunk), so a fetch is still streaming well after the failure.
      streaming++;
      const slow = new Transform({
        transform: (chunk: Buffer, _e, done) => void setTimeout(() => done(null, chunk), 2),
      });
      slow.once('close', () => streaming--);
      return body.pipe(slow);
    };
    away.head = () => firstAnswer.then(() => Promise.reject(new Error('S3 away')));
    const err = await activityEnvironment()
      .run(walVerificationActivities({ ...deps, bucket: away }).verifyArchivedWal, {
        server: db,
        workflowId: `wal-away-${db}`,
        runId: randomUUID(),
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('S3 away');
    expect(streaming).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  s3.destroy();
}, 300_000);
