import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateWorkDir, removeDeadRunFiles, workFileName, workFileRun } from '../../src/operations/restore/work-files';

const runId = '01a2271f-f915-7a43-939d-9a9ee53cb183';

describe('decrypted work files, named after their run', () => {
  it.each([
    ['restore-shop-2026-11-29T02:00:00Z', 'shop_restore_01a2.dump'],
    ['verify-a.b.c', 'pgwarden_verify_x.dump'],
    ['with space/and%percent', 'x.dump'],
  ])('%s round-trips through the file name', (workflowId, what) => {
    const name = workFileName({ workflowId, runId }, what);
    expect(name).not.toContain('/');
    expect(workFileRun(name)).toEqual({ workflowId, runId });
  });

  it.each(['notes.txt', 'x.not-a-run-id.dump', `%E0%A4%A.${runId}.dump`])("%s is not pgwarden's", (name) =>
    expect(workFileRun(name)).toBeUndefined(),
  );

  it("keeps the folder private and removes only dead runs' files", async () => {
    const base = await mkdtemp(join(tmpdir(), 'pgwarden-test-'));
    const dir = await privateWorkDir(base);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const dead = workFileName({ workflowId: 'restore-dead', runId }, 'a.dump');
    const alive = workFileName({ workflowId: 'restore-alive', runId }, 'b.dump');
    for (const name of [dead, alive, 'someone-elses.txt']) await writeFile(join(dir, name), 'PGDMP');
    // A base backup's spool is a folder of tars.
    const deadSpool = workFileName({ workflowId: 'base-backup-dead', runId }, 'basebackup-spool');
    const aliveSpool = workFileName({ workflowId: 'base-backup-alive', runId }, 'basebackup-spool');
    for (const name of [deadSpool, aliveSpool]) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'base.tar.zst'), 'tar');
    }
    const isDead = async (run: { workflowId: string }) => /-dead$/.test(run.workflowId);
    expect((await removeDeadRunFiles(base, isDead)).sort()).toEqual([dead, deadSpool].sort());
    expect((await readdir(dir)).sort()).toEqual([alive, aliveSpool, 'someone-elses.txt'].sort());
  });
});
