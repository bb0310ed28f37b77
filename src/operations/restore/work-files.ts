/**
 * Decrypted dumps on local disk (pg_restore needs a seekable file for the custom format) live
 * only in a private folder under PGWARDEN_WORK_DIR, named after the run that wrote them, so
 * that the janitor can remove what a dead run left: plaintext never outlives its run.
 */
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunRef } from '../../infra/temporal/run-state';

export const WORK_FOLDER = 'pgwarden-work';

export type { RunRef };

/** The private folder (mode 0700, made or tightened on every use). */
export async function privateWorkDir(base: string): Promise<string> {
  const dir = join(base, WORK_FOLDER);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
}

/** `<workflow id, URI-encoded>.<run id>.<what>`: ids never contain the separator once encoded. Pure. */
export function workFileName(run: RunRef, what: string): string {
  return `${encodeURIComponent(run.workflowId).replace(/\./g, '%2E')}.${run.runId}.${what}`;
}

/** The run a work file belongs to, or undefined for a name pgwarden did not make. Pure. */
export function workFileRun(name: string): RunRef | undefined {
  const m = /^([^.]+)\.([0-9a-f-]{36})\.[^/]+$/.exec(name);
  if (!m) return undefined;
  try {
    return { workflowId: decodeURIComponent(m[1]), runId: m[2] };
  } catch {
    return undefined;
  }
}

/** Removes the work files (and folders: a base backup's spool) of runs that died; returns their names. */
export async function removeDeadRunFiles(base: string, isDead: (run: RunRef) => Promise<boolean>): Promise<string[]> {
  const dir = join(base, WORK_FOLDER);
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const run = workFileRun(name);
    if (!run || !(await isDead(run))) continue;
    const found = await stat(join(dir, name)).catch(() => undefined);
    if (!found?.isFile() && !found?.isDirectory()) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
