/**
 * A folder of PostgreSQL versions side by side, laid out as Debian and PGDG install them
 * (<folder>/<major>/bin): Debian's 15 and the stack's 18. For PG_BIN_DIR in tests of the
 * tools each server is given.
 */
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { stackEnv } from './stack-env';

export function versionsFolder(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-versions-'));
  chmodSync(dir, 0o755); // a recovered copy's pg_ctl runs as the postgres user when the worker is root
  symlinkSync(dirname(dirname(pgProgram('pg_dump'))), join(dir, '15'));
  symlinkSync(dirname(stackEnv().PGWARDEN_TEST_PG18_BIN_DIR!), join(dir, '18'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
