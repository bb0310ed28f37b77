/**
 * Giving the start of a file back to the disk while it keeps its size and the rest of its bytes
 * (fallocate --punch-hole, util-linux): a file still being written has no other way to shrink
 * from the front. Node has no fallocate of its own; one short run per call is cheap next to the
 * megabytes it frees. Linux filesystems of servers (ext4, xfs, btrfs, tmpfs) can; others cannot,
 * which `canPunchHoles` finds out first.
 */
import { execFile } from 'node:child_process';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Frees the disk under the first `length` bytes of the file (they read as zeros afterwards). */
export async function punchHole(path: string, length: number): Promise<void> {
  if (length <= 0) return;
  await run('fallocate', ['--punch-hole', '--offset', '0', '--length', String(length), path]);
}

/** Whether files in `dir` can have holes punched in them, tried on a file of its own. */
export async function canPunchHoles(dir: string): Promise<boolean> {
  const probe = join(dir, `.punch-probe-${process.pid}`);
  try {
    await writeFile(probe, Buffer.alloc(1024 * 1024, 1));
    const before = (await stat(probe)).blocks;
    await punchHole(probe, 1024 * 1024);
    return (await stat(probe)).blocks < before;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}
