/**
 * What a real pg_dumpall says when a tablespace is dropped while it reads the globals: the
 * catalog still lists it, its link in pg_tblspc is gone. Seen in CI, a DROP TABLESPACE of
 * another suite failing a backup; the backup now dumps the globals again (globals-dump.ts).
 * The link is removed by hand here, so every run fails: the words are PostgreSQL's own, on
 * Debian's 15 and the stack's 18, and a dump that keeps failing still fails, with them.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { handOver, instanceUser } from '../../src/infra/postgres/instance';
import { classifyDumpFailure } from '../../src/infra/postgres/dump-errors';
import {
  dumpGlobalsAgainIfTablespaceDropped,
  GLOBALS_DUMP_RUNS,
  isDroppedTablespace,
} from '../../src/operations/backup/globals-dump';
import { pg18Bin } from '../support/pg18';
import { startScratchCluster } from '../support/scratch-cluster';

describe.each([
  ['Debian PostgreSQL 15', undefined],
  ['PostgreSQL 18', pg18Bin],
])('pg_dumpall on %s, a tablespace dropped under it', (_, pgBinDir) => {
  it('is recognised from its own words, and given up on after a few runs', async () => {
    const server = await startScratchCluster({ pgBinDir });
    const location = mkdtempSync(join(tmpdir(), 'pgwarden-tblspc-'));
    try {
      handOver(location, instanceUser());
      await server.query(`CREATE TABLESPACE vanishing LOCATION '${location}'`);
      const [{ oid, dir }] = await server.query<{ oid: number; dir: string }>(
        `SELECT t.oid, current_setting('data_directory') AS dir FROM pg_tablespace t WHERE spcname = 'vanishing'`,
      );
      unlinkSync(join(dir, 'pg_tblspc', String(oid)));

      let runs = 0;
      const err = await dumpGlobalsAgainIfTablespaceDropped(async () => {
        runs++;
        const run = spawnSync(join(pgBinDir ?? '/usr/bin', 'pg_dumpall'), ['--globals-only', `--dbname=${server.url()}`], {
          encoding: 'utf8',
        });
        throw classifyDumpFailure('pg_dumpall', { code: run.status, signal: null, stderr: run.stderr });
      }).catch((e: Error) => e);
      expect(err.message).toMatch(/^pg_dumpall failed \(exit 1\): .*"pg_tblspc\/\d+"/);
      expect(isDroppedTablespace(err.message)).toBe(true);
      expect(runs).toBe(GLOBALS_DUMP_RUNS);
    } finally {
      await server.stop();
      rmSync(location, { recursive: true, force: true });
    }
  }, 60_000);
});
