import { dumpGlobalsAgainIfTablespaceDropped, isDroppedTablespace } from '../../src/operations/backup/globals-dump';

describe('the globals dumped again when a tablespace was dropped under pg_dumpall', () => {
  it.each([
    // Seen in CI, PostgreSQL 18.
    ['pg_dumpall failed (exit 1): query failed: ERROR:  could not stat file "pg_tblspc/19282": No such file or directory', true],
    // PostgreSQL 15 reads the link without looking first.
    [
      'pg_dumpall failed (exit 1): query failed: ERROR:  could not read symbolic link "pg_tblspc/16385": No such file or directory',
      true,
    ],
    ['pg_dumpall failed (exit 1): could not stat file "base/5/1259": No such file or directory', false],
    ['pg_dumpall failed (exit 1): permission denied for table pg_authid', false],
  ])('%s: %s', (message, dropped) => {
    expect(isDroppedTablespace(message)).toBe(dropped);
  });

  it.each<[string, Array<string | 'ok'>, string, number]>([
    ['first run works', ['ok'], 'ok', 1],
    ['a tablespace dropped once, the next run works', ['could not stat file "pg_tblspc/1"', 'ok'], 'ok', 2],
    [
      'dropped on every run: given up after three',
      Array(5).fill('could not stat file "pg_tblspc/1"'),
      'could not stat file "pg_tblspc/1"',
      3,
    ],
    ['another failure: not run again', ['permission denied', 'ok'], 'permission denied', 1],
  ])('%s', async (_, outcomes, result, runs) => {
    let run = 0;
    const got = await dumpGlobalsAgainIfTablespaceDropped(async () => {
      const outcome = outcomes[run++];
      if (outcome !== 'ok') throw new Error(outcome);
      return 'ok';
    }).catch((e: Error) => e.message);
    expect(got).toBe(result);
    expect(run).toBe(runs);
  });
});
