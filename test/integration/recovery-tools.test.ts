/**
 * The recovery programs found as a worker would run them, with this machine's installations:
 * Debian's PostgreSQL 15 (server and client), the stack's 18, and a folder holding only the
 * client tools, as an image with postgresql-client alone has.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { findRecoveryTools, recoveryToolsProblem } from '../../src/infra/postgres/recovery-tools';
import { stackEnv } from '../support/stack-env';

const debian15 = dirname(pgProgram('pg_dump'));
const pg18 = stackEnv().PGWARDEN_TEST_PG18_BIN_DIR!;
/** Debian's postgresql-client-15 files: no pg_ctl, postgres, pg_controldata or pg_waldump. */
const CLIENT_ONLY = ['pg_dump', 'pg_dumpall', 'pg_restore', 'psql', 'pg_basebackup', 'pg_receivewal', 'pg_verifybackup'];
let clientOnly: string;
beforeAll(() => {
  clientOnly = mkdtempSync(join(tmpdir(), 'pgwarden-client-only-'));
  for (const name of CLIENT_ONLY) symlinkSync(join(debian15, name), join(clientOnly, name));
});
afterAll(() => rmSync(clientOnly, { recursive: true, force: true }));

it('finds every program of a full installation of the copy’s version', async () => {
  const found = await findRecoveryTools(15, debian15);
  expect(found.map((f) => f.major)).toEqual([15, 15, 15, 15, 15]);
  expect(recoveryToolsProblem(15, found)).toBeUndefined();
  expect(recoveryToolsProblem(18, await findRecoveryTools(18, pg18))).toBeUndefined();
});

it('names what the client tools alone lack', async () => {
  const found = await findRecoveryTools(15, clientOnly);
  expect(found.filter((f) => f.major === undefined).map((f) => f.name)).toEqual([
    'pg_ctl',
    'postgres',
    'pg_controldata',
    'pg_waldump',
  ]);
  expect(recoveryToolsProblem(15, found)).toContain('(pg_ctl, postgres, pg_controldata, pg_waldump not found)');
});

it('names another version’s programs as such', async () => {
  expect(recoveryToolsProblem(15, await findRecoveryTools(15, pg18))).toContain("pg_ctl is PostgreSQL 18's");
});
