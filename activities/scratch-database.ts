/** Drops one of pgwarden's own temporary databases (src/operations/restore/scratch-databases.ts), and nothing else. */
import { connectDatabase } from '../src/infra/postgres/client';
import { dropDatabase } from '../src/infra/postgres/drop-database';
import { serverOf } from '../src/infra/config/config';
import type { DatabaseTarget } from '../src/infra/config/databases';
import { UsageError } from '../src/infra/errors/errors';
import { notScratch, type ScratchUse } from '../src/operations/restore/scratch-databases';
import type { ActivityDeps } from './deps';

/** `server`: a configured database's id (its server), or a server itself (the test-restore server). */
export async function dropScratchDatabase(
  deps: ActivityDeps,
  server: string | DatabaseTarget,
  name: string,
  use: ScratchUse,
): Promise<void> {
  const problem = notScratch(name, use);
  if (problem) throw new UsageError(problem);
  const target = typeof server === 'string' ? serverOf(deps.config, server) : server;
  const admin = await connectDatabase(target);
  try {
    await dropDatabase(admin, target, name);
  } finally {
    await admin.end().catch(() => undefined);
  }
}
