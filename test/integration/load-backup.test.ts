/**
 * loadBackup with a work file: the database to load into is made (the caller's `prepare`)
 * while the dump downloads, not before it; a failure of either ends both before the work file
 * is removed, and the one thrown is the one that explains it. Real bucket, real PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Keyring } from '../../src/infra/crypto/keyring';
import { encryptorFor } from '../../src/infra/crypto/encryptor';
import { libpqEnvironment } from '../../src/infra/postgres/client';
import { pgProgram } from '../../src/infra/postgres/binaries';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { loadBackup, LoadSpec } from '../../src/operations/restore/load-backup';
import { WORK_FOLDER } from '../../src/operations/restore/work-files';
import {
  createDatabase,
  dropDatabase,
  stackServer,
  tableFingerprints,
  uniqueDatabaseName,
  withClient,
} from '../support/databases';
import { stackConfig } from '../support/stack-env';

const config = stackConfig();
const keyring = Keyring.from(config.encryption);
const bucket = new Bucket(config.storage!, createS3Client(config.storage!));
const source = uniqueDatabaseName('loadsrc');
const targets: string[] = [];
const dataKey = `${config.storage!.prefix}/load-backup-test/${randomUUID()}.dump.enc`;
const workDir = join(config.verify.workDir, WORK_FOLDER);
let storedBytes = 0;

beforeAll(async () => {
  await createDatabase(source, 'awkward.sql');
  // About 20 MB of dump: the download takes long enough to be seen.
  await withClient(source, (c) =>
    c.query(
      `CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || repeat(md5((g * 7)::text), 5) AS note FROM generate_series(1, 100000) g`,
    ),
  );
  const dump = execFileSync(pgProgram('pg_dump'), ['-Fc', '-Z0', source], {
    env: libpqEnvironment(stackServer(), source),
    maxBuffer: 256 * 1024 * 1024,
  });
  const stored = await buffer(Readable.from([dump]).pipe(encryptorFor(keyring).create()));
  storedBytes = stored.length;
  await bucket.put(dataKey, stored);
});

afterAll(async () => {
  await dropDatabase(source);
  for (const t of targets) await dropDatabase(t);
});

const spec = (database: string, runId: string, prepare: () => Promise<void>, key = dataKey): LoadSpec => ({
  server: stackServer(),
  database,
  dataKey: key,
  keyId: keyring.active().id,
  format: 'custom',
  compression: 'none',
  noOwner: true,
  run: { workflowId: 'load-backup-test', runId },
  tools: { pgRestore: pgProgram('pg_restore'), psql: pgProgram('psql') },
  prepare,
  signal: new AbortController().signal,
});

/** This run's work files with some bytes in them. */
const workFiles = async (runId: string) => {
  const names = (await readdir(workDir).catch(() => [] as string[])).filter((n) => n.includes(runId));
  const sizes = await Promise.all(names.map((n) => stat(join(workDir, n)).then((s) => s.size)));
  return names.filter((_, i) => sizes[i] > 0);
};

async function untilWritten(runId: string): Promise<void> {
  for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 5)))
    if ((await workFiles(runId)).length) return;
  throw new Error('the download did not begin while the database was being made');
}

it('makes the database while the dump downloads, then loads it whole', async () => {
  const target = uniqueDatabaseName('loadto');
  targets.push(target);
  const runId = randomUUID();
  await loadBackup(
    bucket,
    keyring,
    config,
    spec(target, runId, async () => {
      await untilWritten(runId);
      await createDatabase(target);
    }),
  );
  expect(await tableFingerprints(target)).toEqual(await tableFingerprints(source));
  expect(await workFiles(runId)).toEqual([]);
});

it('stops the download when the database cannot be made, says why, and leaves no work file', async () => {
  const runId = randomUUID();
  const progress = { storedBytes: 0 };
  const load = loadBackup(
    bucket,
    keyring,
    config,
    spec('never_made', runId, async () => {
      await untilWritten(runId);
      throw new Error('permission denied to create database');
    }),
    progress,
  );
  await expect(load).rejects.toThrow('permission denied to create database');
  // Stopped, not read to its end first.
  expect(progress.storedBytes).toBeGreaterThan(0);
  expect(progress.storedBytes).toBeLessThan(storedBytes / 2);
  expect(await readdir(workDir).then((names) => names.filter((n) => n.includes(runId)))).toEqual([]);
});

it('a download that fails waits for the database being made, then says what failed', async () => {
  const target = uniqueDatabaseName('loadto');
  targets.push(target);
  let made = false;
  const load = loadBackup(
    bucket,
    keyring,
    config,
    spec(
      target,
      randomUUID(),
      async () => {
        await new Promise((r) => setTimeout(r, 300));
        await createDatabase(target);
        made = true;
      },
      `${dataKey}.missing`,
    ),
  );
  await expect(load).rejects.toThrow(/is missing \(NoSuchKey\)/);
  // The caller drops what it made: by the time it hears of the failure, the database is there.
  expect(made).toBe(true);
});
