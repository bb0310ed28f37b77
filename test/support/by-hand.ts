/**
 * What an operator does when recovering by hand (README, "Recovering by hand"): a config file
 * the postgres user reads with the bucket and the key alone, and a data directory set to
 * recover through `pgwarden wal fetch %f %p`, started and waited on until it promoted.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { repoRoot } from '../../devstack/paths';
import { ephemeralPort } from '../../src/infra/net/ports';
import { handOver, instanceUser, startInstance } from '../../src/infra/postgres/instance';
import { stackEnv } from './stack-env';

/** A folder for a test file's work, owned by the postgres user (restore_command runs as it), removed after the file's tests. */
export function instanceOwnedFolder(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    handOver(dir, instanceUser());
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));
  return () => dir!;
}

/** An env file at `path` with the stack's bucket and key settings (and `overrides`), owned by the postgres user. */
export function byHandConfig(path: string, overrides: Record<string, string> = {}): string {
  const env = stackEnv();
  const kept = Object.keys(env).filter(
    (k) => /^(S3_|AWS_|BACKUP_S3_BUCKET|BACKUP_ENCRYPTION_|ENCRYPTION_ALGORITHM)/.test(k) && env[k] !== undefined,
  );
  const all = { ...Object.fromEntries(kept.map((k) => [k, env[k]!])), ...overrides };
  writeFileSync(
    path,
    Object.entries(all)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  );
  handOver(path, instanceUser());
  return path;
}

/**
 * Starts the unpacked copy at `dataDir` recovering with `pgwarden wal fetch` from `server`'s
 * archive; returns its port (connections come once it is consistent: see promoted()).
 */
export async function recoverByHand(o: { dataDir: string; config: string; server: string; pgBinDir?: string }): Promise<number> {
  const { uid, gid } = instanceUser();
  if (uid !== undefined) execFileSync('chown', ['-R', `${uid}:${gid}`, o.dataDir]);
  writeFileSync(join(o.dataDir, 'recovery.signal'), '');
  const fetch = `'${process.execPath}' '${join(repoRoot, 'bin', 'pgwarden')}' --config '${o.config}' wal fetch %f %p --server ${o.server}`;
  appendFileSync(join(o.dataDir, 'postgresql.auto.conf'), `restore_command = '${fetch.replace(/'/g, "''")}'\n`);
  const port = await ephemeralPort();
  await startInstance({
    dataDir: o.dataDir,
    port,
    runAs: instanceUser(),
    pgBinDir: o.pgBinDir,
    settings: { max_wal_senders: '10', max_connections: '150' },
  });
  return port;
}

/** Waits until the copy the client connects to has replayed its WAL to the end and promoted. */
export async function promoted(copy: Client): Promise<void> {
  // Read-only connections come once the copy is consistent; the WAL replays on until its end, then it promotes.
  for (let i = 0; (await copy.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r; i++) {
    if (i > 600) throw new Error('the copy did not finish recovering within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Once the copy on `port` (of the database `url` names) has promoted, the `n` its `sql` returns. */
export async function askPromotedCopy(url: string, port: number, sql: string): Promise<string> {
  const copy = new Client({ connectionString: url.replace(/:\d+\//, `:${port}/`) });
  await copy.connect();
  try {
    await promoted(copy);
    return (await copy.query<{ n: string }>(sql)).rows[0].n;
  } finally {
    await copy.end();
  }
}
