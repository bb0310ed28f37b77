/**
 * Connections to the databases being backed up, and the libpq environment for the
 * pg_dump / pg_restore child processes. Connection failures become DatabaseConnectionError
 * with a message that names host, port, user and database, never the password.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { Client } from 'pg';
import { DatabaseTarget } from '../config/databases';
import { DatabaseConnectionError } from '../errors/errors';
import { serverMajor } from './versions';
import { probeSharedSessions, sharedSessionsProblem } from './shared-sessions';
import { CHANNEL_BINDING_REFUSAL, channelBinding } from './channel-binding';
import { poolerFullAdvice } from './pooler-limits';

export interface ConnectOptions {
  /** Connect to another database of the same server (e.g. postgres, or a restore target). */
  database?: string;
  connectTimeoutMs?: number;
  /** A physical replication connection (replication commands such as TIMELINE_HISTORY only). */
  replication?: boolean;
  /** The session's application_name ('pgwarden' unless set), by which a run's own sessions are found. */
  applicationName?: string;
}

export function describeTarget(target: DatabaseTarget, database = target.database): string {
  return `database "${database}" at ${target.host}:${target.port} as ${target.user}`;
}

export async function connectDatabase(target: DatabaseTarget, options: ConnectOptions = {}): Promise<Client> {
  const database = options.database ?? target.database;
  const client = await openSession(target, database, options);
  if (options.replication) return client;
  try {
    await refuseSharedSessions(target, database, client);
    await client.query(WITHOUT_TIMEOUTS);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err instanceof DatabaseConnectionError ? err : connectionError(target, database, err);
  }
  return client;
}

/**
 * Targets (server, database, user) checked: each client had a server session of its own, or the
 * check could not tell (no second connection to be had, or it waited on a full session pool),
 * which is not asked again at every connection. A pool's mode is set per database, and a
 * worker's settings do not change while it runs.
 */
const sessionsChecked = new Set<string>();

/** Refuses a target behind a pool in transaction or statement mode (see shared-sessions.ts), before any session setting. */
async function refuseSharedSessions(target: DatabaseTarget, database: string, client: Client): Promise<void> {
  const key = `${target.host}:${target.port}/${database}/${target.user}`;
  if (sessionsChecked.has(key)) return;
  const shared = await probeSharedSessions(client, () =>
    openSession(target, database, { applicationName: 'pgwarden pooler check' }),
  );
  if (shared) throw new DatabaseConnectionError(sharedSessionsProblem(describeTarget(target, database)), { retryable: false });
  sessionsChecked.add(key);
}

/** A connection as libpq would make it with the target's TLS settings, nothing set in its session. */
async function openSession(target: DatabaseTarget, database: string, options: ConnectOptions): Promise<Client> {
  const server = `${target.host}:${target.port}`;
  const attempts = preferredFirst(tlsAttempts(target, homedir(), readTlsFile(target)), tlsChosen.get(server));
  let client: Client | undefined;
  let plainRefusal: unknown;
  let serverWithoutTls = false;
  for (let i = 0; !client; i++) {
    const ssl = attempts[i];
    const binding = channelBinding(
      target.channelBinding,
      ssl !== false,
      target.password?.reveal(),
      () => new DatabaseConnectionError(`cannot connect to ${describeTarget(target, database)}: ${CHANNEL_BINDING_REFUSAL}`),
    );
    const c = new Client({
      host: target.host,
      port: target.port,
      user: target.user,
      database,
      ...binding.options,
      ssl,
      application_name: options.applicationName ?? 'pgwarden',
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      ...(options.replication ? { replication: 'true' } : {}),
    });
    binding.watch(c);
    try {
      await c.connect();
      binding.check();
      if (attempts.length > 1) tlsChosen.set(server, ssl !== false);
      client = c;
    } catch (err) {
      await c.end().catch(() => undefined);
      if (err instanceof DatabaseConnectionError) throw err;
      const message = (err as Error).message ?? '';
      if (ssl !== false && /does not support SSL/i.test(message)) serverWithoutTls = true;
      if (ssl === false) plainRefusal = err;
      // sslmode prefer (libpq's default) or allow: the other way, when the server refused this one for it.
      if (i + 1 < attempts.length && (ssl === false ? /no encryption/i : /does not support SSL/i).test(message)) continue;
      // A server without TLS that refused the plain attempt: that refusal is the one to fix, and no hostssl line's.
      if (serverWithoutTls && plainRefusal) throw connectionError(target, database, plainRefusal, { serverWithoutTls });
      throw connectionError(target, database, err);
    }
  }
  // An idle connection that errors (server restart) must not crash the worker process.
  client.on('error', () => undefined);
  return client;
}

/** With sslmode prefer or allow, whether TLS was what a server took last time: its next connection tries that first. */
const tlsChosen = new Map<string, boolean>();

function preferredFirst<T>(attempts: Array<T | false>, tls: boolean | undefined): Array<T | false> {
  return tls === undefined || (attempts[0] !== false) === tls ? attempts : [...attempts].reverse();
}

/**
 * Timeouts a database or role may set for its applications (ALTER DATABASE ... SET
 * statement_timeout = '30s') would cancel pgwarden's counts and checks, end the session holding
 * a backup's snapshot while pg_dump runs, or drop an admin connection idle through a long load:
 * off for pgwarden's own sessions, as pg_dump and pg_restore turn them off for theirs. Only the
 * settings this server has (transaction_timeout is 17+, idle_session_timeout 14+).
 */
export const SESSION_TIMEOUTS = [
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'idle_session_timeout',
  'transaction_timeout',
] as const;
const WITHOUT_TIMEOUTS = `SELECT set_config(name, '0', false) FROM pg_settings WHERE name IN (${SESSION_TIMEOUTS.map((n) => `'${n}'`).join(', ')})`;

type TlsOptions = {
  rejectUnauthorized: boolean;
  checkServerIdentity?: () => undefined;
  ca?: string;
  cert?: string;
  key?: string;
};

/**
 * The driver's TLS settings for a target, in the order to try them, as libpq reads the same
 * settings for pg_dump: disable plain only; allow plain, then TLS if the server asks for it;
 * prefer (libpq's default, and with no sslmode) TLS unverified, then plain if the server has
 * none; require and stronger TLS only. The CA file comes from sslrootcert (else
 * ~/.postgresql/root.crt when there is one; 'system': the system's CAs), a client certificate
 * from sslcert/sslkey (else ~/.postgresql/postgresql.crt and .key); the host name is checked
 * only under verify-full, and require with a CA file acts as verify-ca. `read` gives a file's
 * text, or undefined when the file is absent. Pure but for `read`.
 */
export function tlsAttempts(
  target: Pick<DatabaseTarget, 'sslMode' | 'sslRootCert' | 'sslCert' | 'sslKey'>,
  home: string,
  read: (path: string, setting: string) => string | undefined,
): Array<false | TlsOptions> {
  const mode = target.sslMode ?? 'prefer';
  if (mode === 'disable') return [false];
  const file = (given: string | undefined, setting: string, fallback: string) =>
    given ? read(given, setting) : (read(`${home}/.postgresql/${fallback}`, '') ?? undefined);
  const cert = file(target.sslCert, 'sslcert', 'postgresql.crt');
  const key = cert === undefined ? undefined : file(target.sslKey, 'sslkey', 'postgresql.key');
  const client = { ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
  if (mode === 'allow') return [false, { rejectUnauthorized: false, ...client }];
  if (mode === 'prefer') return [{ rejectUnauthorized: false, ...client }, false];
  const ca = target.sslRootCert === 'system' ? undefined : file(target.sslRootCert, 'sslrootcert', 'root.crt');
  const verify = mode === 'verify-ca' || mode === 'verify-full' || (mode === 'require' && ca !== undefined);
  return [
    {
      rejectUnauthorized: verify,
      ...(verify && mode !== 'verify-full' ? { checkServerIdentity: () => undefined } : {}),
      ...(ca === undefined ? {} : { ca }),
      ...client,
    },
  ];
}

/** A TLS file named in the settings, read; one given but unreadable is the operator's to fix, not retried. */
function readTlsFile(target: DatabaseTarget): (path: string, setting: string) => string | undefined {
  return (path, setting) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if (!setting) return undefined; // libpq's default file, absent: nothing to use
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new DatabaseConnectionError(
        `cannot connect to ${describeTarget(target)}: cannot read the ${setting} file ${path} (${code}); set ${setting} in the URL (or PG${setting.toUpperCase()}) to a file the worker can read`,
        { retryable: false },
      );
    }
  };
}

/** Classifies a connect failure: what went wrong, how to fix it, and whether a retry may help. */
export function connectionError(
  target: DatabaseTarget,
  database: string,
  err: unknown,
  /** The server refused TLS too: a pg_hba.conf refusal of the plain attempt means no line at all for it, not a hostssl one. */
  seen: { serverWithoutTls?: boolean } = {},
): DatabaseConnectionError {
  const e = err as { code?: string; message?: string };
  const where = describeTarget(target, database);
  const fixes: Record<string, [string, boolean]> = {
    ECONNREFUSED: ['connection refused; check the server is running and the host/port in DATABASE_URL or PGHOST/PGPORT', true],
    ENOTFOUND: ['host not found; check the host name in DATABASE_URL or PGHOST', false],
    EAI_AGAIN: ['host name lookup failed; check DNS and the host name in DATABASE_URL or PGHOST', true],
    ETIMEDOUT: ['connection timed out; check network access and firewalls to the server', true],
    ECONNRESET: ['connection reset by the server; check the server log', true],
    '28P01': ['password authentication failed; check the password in DATABASE_URL or PGPASSWORD', false],
    '28000': ['the server rejected the login (pg_hba.conf); allow this host and user, or fix the user name', false],
    '3D000': ['the database does not exist; check the database name in DATABASE_URL, PGDATABASE or BACKUP_DATABASES', false],
    '57P03': ['the server is starting up or shutting down; retry shortly', true],
    '53300': ['too many connections; raise max_connections or free connections', true],
  };
  // Before the TLS reading: PostgreSQL ends this refusal with the encryption tried ("no encryption").
  if (/no pg_hba\.conf entry for replication connection/i.test(e.message ?? ''))
    return new DatabaseConnectionError(
      `cannot connect to ${where} for replication: pg_hba.conf has no replication line for this host and user; add "host replication ${target.user} <this worker's address>/32 scram-sha-256" (hostssl for TLS only) to pg_hba.conf and reload it (SELECT pg_reload_conf())`,
      { retryable: false },
    );
  // PostgreSQL takes any startup parameter; a pooler (PgBouncer before 1.22: replication) refuses those it does not know.
  const unsupported = /unsupported startup parameter: (\w+)/i.exec(e.message ?? '')?.[1];
  if (unsupported)
    return new DatabaseConnectionError(
      unsupported === 'replication'
        ? `cannot connect to ${where} for replication: this port is a connection pooler (PgBouncer) that does not pass replication connections, which pg_receivewal and pg_basebackup need; point DATABASE_URL (or PGHOST/PGPORT) at PostgreSQL's own port`
        : `cannot connect to ${where}: a connection pooler (PgBouncer) at this port refuses the startup parameter "${unsupported}"; point DATABASE_URL (or PGHOST/PGPORT) at PostgreSQL's own port, or add ${unsupported} to the pooler's ignore_startup_parameters`,
      { retryable: false },
    );
  // Before the timeout reading below: PgBouncer's query_wait_timeout is no network timeout.
  const poolerFull = poolerFullAdvice(e.message ?? '');
  if (poolerFull) return new DatabaseConnectionError(`cannot connect to ${where}: ${poolerFull}`, { retryable: true });
  const tls = seen.serverWithoutTls ? undefined : tlsProblem(e.code, e.message ?? '');
  if (tls) return new DatabaseConnectionError(`cannot connect to ${where}: ${tls}`, { retryable: false });
  const known = e.code ? fixes[e.code] : undefined;
  if (known) return new DatabaseConnectionError(`cannot connect to ${where}: ${known[0]}`, { retryable: known[1] });
  const detail = /timeout/i.test(e.message ?? '')
    ? 'connection timed out; check network access to the server'
    : redactPassword(e.message ?? String(err), target);
  return new DatabaseConnectionError(`cannot connect to ${where}: ${detail}`, { retryable: true });
}

/** What a TLS failure of a connection means and what to set; undefined: not one. Pure. */
export function tlsProblem(code: string | undefined, message: string): string | undefined {
  const untrusted = [
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  ];
  if (code && untrusted.includes(code))
    return "the server's certificate is not signed by a CA this worker trusts; set sslrootcert=/path/to/ca.crt in the URL (or PGSSLROOTCERT) to its CA's certificate";
  if (code === 'CERT_HAS_EXPIRED') return "the server's certificate has expired; renew it on the server";
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return "the server's certificate does not name the host connected to; use the host name in its certificate, or sslmode=verify-ca";
  if (/does not support SSL/i.test(message))
    return 'the server does not accept SSL connections; turn ssl on at the server, or set sslmode=prefer (or disable)';
  if (/requires a valid client certificate/i.test(message))
    return 'the server asks for a client certificate; set sslcert and sslkey in the URL (or PGSSLCERT and PGSSLKEY) to the certificate for this user and its key';
  if (/certificate authentication failed/i.test(message))
    return "the server refused the client certificate for this user (its CN names another, or pg_ident.conf maps it elsewhere); use the user's own certificate";
  if (/no encryption/i.test(message))
    return 'the server accepts only SSL connections from here (pg_hba.conf hostssl); add sslmode=require, or verify-full with sslrootcert, to the URL (or PGSSLMODE)';
  return undefined;
}

function redactPassword(text: string, target: DatabaseTarget): string {
  const password = target.password?.reveal();
  return password ? text.split(password).join('[redacted]') : text;
}

/** The connected server's major version (server_version_num 150018 -> 15). */
export async function readServerMajor(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
  return serverMajor(Number(rows[0].n));
}

/**
 * Environment for libpq child processes (pg_dump, pg_restore, psql): the password travels in
 * PGPASSWORD, never on a command line where `ps` would show it.
 */

export function libpqEnvironment(target: DatabaseTarget, database = target.database): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: target.user,
    PGDATABASE: database,
    PGAPPNAME: 'pgwarden',
    PGCONNECT_TIMEOUT: '10',
  };
  if (target.password) env.PGPASSWORD = target.password.reveal();
  if (target.sslMode) env.PGSSLMODE = target.sslMode;
  if (target.channelBinding) env.PGCHANNELBINDING = target.channelBinding;
  if (target.sslRootCert) env.PGSSLROOTCERT = target.sslRootCert;
  if (target.sslCert) env.PGSSLCERT = target.sslCert;
  if (target.sslKey) env.PGSSLKEY = target.sslKey;
  return env;
}
