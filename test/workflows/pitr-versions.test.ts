/**
 * Point-in-time work on a PostgreSQL 15 server with versions 15 and 18 installed side by side
 * (PG_BIN_DIR at a folder of them, as Debian and PGDG lay them out): the newest WAL and base
 * backup tools serve the older server, the recovered copy runs under its own 15, and a table
 * recovered as of a moment is dumped by a pg_dump whose output 15 can load (pg_dump 18's sets
 * transaction_timeout, which 15 rejects).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { describeFailure } from '../../src/app/cli/failure';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { stackEnv } from '../support/stack-env';
import type { VerifyResult } from '../../workflows/verify';
import type { PitrArchiveListing } from '../../activities/pitr-archive';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { pitrFixture } from '../support/pitr-fixture';
import { versionsFolder } from '../support/versions-folder';

const fixture = pitrFixture();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let versions: ReturnType<typeof versionsFolder>;
beforeAll(() => void (versions = versionsFolder()));
afterAll(() => versions.remove());

it('archives, backs up, verifies and recovers a table of a PostgreSQL 15 server with 18 installed beside it', async () => {
  const { cluster } = fixture;
  const { db, settings } = await fixture.archivedDatabase('pitrv', [
    'CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)',
    'INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 300) g',
  ]);
  // Incrementals asked for of a server that has none: full base backups, and pitr list says why.
  const workers = await fixture.hostWorkers('pitrv', { ...settings, PG_BIN_DIR: versions.dir, BASEBACKUP_INCREMENTALS: '3' });
  await workers.runUntil(async () => {
    const base = await workers.archiveAndBaseBackup(db);
    expect(base.fullBecause).toBe('PostgreSQL 15 has no incremental base backups (17 and newer have)');
    expect(base.backupManifest).toBeUndefined();

    // The moment to recover to, then the mistake.
    const writer = new Client({ connectionString: cluster.url(db) });
    await writer.connect();
    const target = (await writer.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t.toISOString();
    await sleep(50);
    await writer.query('DELETE FROM orders WHERE id > 30');
    await writer.query('SELECT pg_switch_wal()');
    await writer.end();
    await sleep(3000); // the archive catches up: segments at once, the open one every second

    const verified = await workers.run<VerifyResult>(WorkflowType.verify, { database: db });
    expect(verified.baseBackup).toMatchObject({
      status: 'passed',
      verifyBackup: { ok: true, detail: 'backup successfully verified' },
      recovery: { ok: true },
      rowCounts: { compared: true, differences: [] },
    });

    const recovered = await workers.recoverTableAsOf(db, 'orders', target);
    expect(recovered.tables).toMatchObject([{ table: 'public.orders', as: 'public.orders_recovered', rows: 300 }]);
    const [live] = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM orders', [], db);
    expect(live.n).toBe('30');

    // A host with 15's client tools alone (as an image with postgresql-client-15 has) and 18
    // beside them: a restore is refused before it fetches or writes anything, naming the package.
    const clientOnly = clientOnlyFifteen();
    try {
      const runFolders = () => readdirSync(join(settings.PGWARDEN_WORK_DIR, 'pgwarden-pitr')).sort();
      const before = runFolders();
      const lacking = await fixture.hostWorkers('pitrv-client', { ...settings, PG_BIN_DIR: clientOnly.dir });
      const [restoring, verifying] = await lacking.runUntil(() =>
        Promise.all([
          lacking
            .run(WorkflowType.pitrRestore, { server: db, target: { kind: 'time', time: target }, hostQueue: lacking.hostQueue })
            .catch((e: unknown) => e),
          // Verification fails the run, not the base backup: nothing is recorded against it.
          lacking
            .run(WorkflowType.verify, { database: db, baseBackupId: verified.baseBackup!.backupId, hostQueue: lacking.hostQueue })
            .catch((e: unknown) => e),
        ]),
      );
      for (const failure of [describeFailure(restoring), describeFailure(verifying)]) {
        expect(failure.lines).toEqual([
          `${db}: recovering a PostgreSQL 15 copy needs PostgreSQL 15's server programs on this worker's host (pg_ctl is PostgreSQL 18's; postgres is PostgreSQL 18's; pg_controldata is PostgreSQL 18's; pg_waldump is PostgreSQL 18's): install them (Debian, Ubuntu: postgresql-15, from apt.postgresql.org where the release lacks it; the client tools alone cannot run a copy) or point PG_BIN_DIR at them`,
        ]);
        expect(failure.exitCode).toBe(78);
      }
      expect(runFolders()).toEqual(before);
      const listed = await workers.run<PitrArchiveListing>(WorkflowType.pitrList, { server: db });
      expect(listed.baseBackups[0].verification).toMatchObject({ status: 'passed', failures: [] });
      expect(listed.notes).toEqual([
        `the newest base backup of ${db} (${base.backupId}) is full though BASEBACKUP_INCREMENTALS=3 asks for incrementals: PostgreSQL 15 has no incremental base backups (17 and newer have)`,
      ]);
    } finally {
      clientOnly.remove();
    }
  });
}, 240_000);

/** Versions side by side: 15 with Debian's postgresql-client-15 files only, 18 whole. */
function clientOnlyFifteen(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-client-only-'));
  chmodSync(dir, 0o755);
  const bin = join(dir, '15', 'bin');
  mkdirSync(bin, { recursive: true });
  const debian15 = dirname(pgProgram('pg_dump'));
  for (const name of ['pg_dump', 'pg_dumpall', 'pg_restore', 'psql', 'pg_basebackup', 'pg_receivewal', 'pg_verifybackup'])
    symlinkSync(join(debian15, name), join(bin, name));
  symlinkSync(dirname(stackEnv().PGWARDEN_TEST_PG18_BIN_DIR!), join(dir, '18'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
