/**
 * A PostgreSQL instance pgwarden runs itself, from a data directory on this host: a fresh
 * cluster (initdb) or a restored one. PostgreSQL refuses to run as root, so a worker running
 * as root runs it as the `postgres` user, which must exist (Debian's package creates it).
 * `pg_ctl` starts and stops it; its log goes to `<data>/pgwarden-instance.log`.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors/errors';
import { runCommand } from '../process/run-command';
import { pgProgram } from './binaries';

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** Who runs PostgreSQL: this process's user, or `postgres` when this process is root. */
export function instanceUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new UsageError(
      'PostgreSQL refuses to run as root and there is no postgres user: run the worker as another user, or create the postgres user',
    );
  }
}

/** Gives a file or folder to the instance's user (when this process is root). */
export function handOver(path: string, runAs: RunAs): void {
  if (runAs.uid !== undefined) chownSync(path, runAs.uid, runAs.gid!);
}

/** A new cluster: superuser with a password, scram over TCP, replication allowed from loopback (initdb's defaults). */
export async function initCluster(options: {
  dataDir: string;
  superuser: string;
  password: string;
  runAs: RunAs;
  pgBinDir?: string;
}): Promise<void> {
  const pwfile = `${options.dataDir}.pw`;
  writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
  handOver(pwfile, options.runAs);
  try {
    await runCommand(
      pgProgram('initdb', options.pgBinDir),
      [
        '-D',
        options.dataDir,
        '-U',
        options.superuser,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
      ],
      { env: { PATH: process.env.PATH, LANG: 'C.UTF-8' }, timeoutMs: 120_000, uid: options.runAs.uid, gid: options.runAs.gid },
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Starts the instance on 127.0.0.1:port and waits until it accepts connections (or recovery is under way). */
export async function startInstance(options: {
  dataDir: string;
  port: number;
  runAs: RunAs;
  pgBinDir?: string;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  timeoutSeconds?: number;
}): Promise<void> {
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(options.port),
    // TCP only: a socket path under a deep data directory would pass the 107-byte limit.
    unix_socket_directories: "''",
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  await runCommand(
    pgProgram('pg_ctl', options.pgBinDir, clusterFits(options.dataDir)),
    [
      'start',
      '-D',
      options.dataDir,
      '-w',
      '-t',
      String(options.timeoutSeconds ?? 120),
      '-l',
      instanceLogPath(options.dataDir),
      '-o',
      serverOptions,
    ],
    {
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
      timeoutMs: ((options.timeoutSeconds ?? 120) + 10) * 1000,
      uid: options.runAs.uid,
      gid: options.runAs.gid,
    },
  );
}

/** Stops the instance (fast: open sessions are rolled back); an instance already stopped is fine. */
export async function stopInstance(options: { dataDir: string; runAs: RunAs; pgBinDir?: string }): Promise<void> {
  await runCommand(
    pgProgram('pg_ctl', options.pgBinDir, clusterFits(options.dataDir)),
    ['stop', '-D', options.dataDir, '-m', 'fast', '-w'],
    {
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
      timeoutMs: 120_000,
      uid: options.runAs.uid,
      gid: options.runAs.gid,
    },
  ).catch((err: Error) => {
    if (!/no server running|PID file .* does not exist/i.test(err.message)) throw err;
  });
}

/** Where pg_ctl writes the instance's log. */
export const instanceLogPath = (dataDir: string) => join(dataDir, 'pgwarden-instance.log');

/**
 * Whether the instance's postmaster still runs: its postmaster.pid names a live process. A
 * clean stop removes the file; a killed postmaster leaves it, naming a process that is gone.
 */
export function postmasterRuns(dataDir: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as a user this worker may not signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A cluster runs only under its own major version's programs (its PG_VERSION file): with
 * versions side by side, pg_ctl and pg_controldata are chosen by it. No file yet: any fits.
 */
export function clusterFits(dataDir: string): (major: number) => boolean {
  let major: number;
  try {
    major = Number(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim());
  } catch {
    return () => true; // not made yet, or not readable by this user: the newest, as before
  }
  return (m) => m === major;
}
