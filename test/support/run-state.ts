/** State shared between global setup and teardown (same process) and the bundle location. */
import { join } from 'node:path';
import { repoRoot } from '../../devstack/paths';

export const bundlePath = join(repoRoot, '.state', 'test', 'workflow-bundle.js');

interface Shared {
  refs: number;
  started: string[];
  /** When this run began: its workflows are the ones swept for secrets after it. */
  since?: Date;
}

export function sharedState(): Shared {
  const g = globalThis as { __pgwardenTestRun?: Shared };
  g.__pgwardenTestRun ??= { refs: 0, started: [] };
  return g.__pgwardenTestRun;
}
