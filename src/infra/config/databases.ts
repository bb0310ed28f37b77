/**
 * Which databases pgwarden backs up, and how to reach them.
 *
 * - `DATABASE_URL` (postgres://user:password@host:port/db) or the libpq PG* variables name one
 *   server; `BACKUP_DATABASES=app,billing` backs up several databases of that server.
 * - `DATABASE_URL_<ALIAS>` adds a database on another server, known to pgwarden as <alias>.
 *
 * A target's `id` is what workflows, S3 keys and the CLI use; the password stays here and is
 * resolved inside activities, never passed through Temporal.
 */
import { EnvReader } from './env-reader';
import { Secret } from './secret';

export interface DatabaseTarget {
  /** Stable name used in S3 keys, workflow ids and `--database`. */
  id: string;
  host: string;
  port: number;
  user: string;
  database: string;
  password?: Secret;
  /** libpq sslmode, e.g. require / verify-full; undefined leaves libpq's default. */
  sslMode?: string;
  /** libpq sslrootcert: the CA certificate file that verify-ca / verify-full check the server against ('system': the system's CAs). */
  sslRootCert?: string;
  /** libpq sslcert / sslkey: a client certificate and its key, for servers that ask for one. */
  sslCert?: string;
  sslKey?: string;
  /** libpq channel_binding: prefer binds SCRAM to the TLS channel when the server offers it, require refuses a login without; undefined leaves libpq's default. */
  channelBinding?: 'disable' | 'prefer' | 'require';
}

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const URL_SHAPE = 'expected postgres://user:password@host:5432/database (value not shown: it may hold a password)';

interface Server {
  host: string;
  port: number;
  user: string;
  database?: string;
  password?: Secret;
  sslMode?: string;
  sslRootCert?: string;
  sslCert?: string;
  sslKey?: string;
  channelBinding?: 'disable' | 'prefer' | 'require';
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const CHANNEL_BINDINGS = ['disable', 'prefer', 'require'] as const;

/**
 * libpq's connection parameters a URL may carry that pgwarden takes: those it passes to its own
 * connections and to pg_dump, pg_restore and psql alike, and those that change nothing of where
 * or how they connect (pgwarden sets its own application name and timeouts). Any other (host,
 * options, target_session_attrs, service, sslcrl, ...) would reach one side and not the other,
 * or neither: it is refused by name, never silently dropped.
 */
const URL_PARAMETERS = new Set([
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'channel_binding',
  'application_name',
  'fallback_application_name',
  'connect_timeout',
  'client_encoding',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'sslsni',
  'sslcompression',
]);

/** The URL's query parameters that pgwarden cannot honour, by name (values never shown: one may be a password). Pure. */
export function unusableUrlParameters(params: URLSearchParams): string[] {
  return [...new Set([...params.keys()])].filter((k) => !URL_PARAMETERS.has(k));
}

function parseUrl(r: EnvReader, name: string): Server | undefined {
  let url: URL;
  try {
    url = new URL(r.env[name]!.trim());
  } catch {
    r.problem(name, URL_SHAPE);
    return undefined;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    r.problem(name, URL_SHAPE);
    return undefined;
  }
  const unusable = unusableUrlParameters(url.searchParams);
  if (unusable.length)
    r.problem(
      name,
      `${unusable.join(', ')}: ${unusable.length === 1 ? 'a parameter' : 'parameters'} pgwarden does not pass to its own connections and to pg_dump alike; remove ${unusable.length === 1 ? 'it' : 'them'} (a server's address and port belong in host:port, settings for the backup user in ALTER ROLE ... SET)`,
    );
  const port = url.port ? Number(url.port) : 5432;
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined;
  return {
    host: decodeURIComponent(url.hostname) || 'localhost',
    port,
    user: decodeURIComponent(url.username) || 'postgres',
    database,
    password: url.password ? new Secret(decodeURIComponent(url.password)) : undefined,
    ...tlsFiles(r, url.searchParams),
    sslMode: sslMode(r, name, url.searchParams.get('sslmode') ?? r.string('PGSSLMODE')),
    channelBinding: channelBinding(r, name, url.searchParams.get('channel_binding') ?? r.string('PGCHANNELBINDING')),
  };
}

/** libpq refuses a value it does not know; pgwarden too, rather than read a typo as some mode. */
function sslMode(r: EnvReader, name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !SSL_MODES.includes(value))
    r.problem(name, `sslmode "${value}" is not one of ${SSL_MODES.join(', ')}`);
  return value;
}

function channelBinding(r: EnvReader, name: string, value: string | undefined): Server['channelBinding'] {
  if (value === undefined) return undefined;
  if (!(CHANNEL_BINDINGS as readonly string[]).includes(value)) {
    r.problem(name, `channel_binding "${value}" is not one of ${CHANNEL_BINDINGS.join(', ')}`);
    return undefined;
  }
  return value as Server['channelBinding'];
}

/** sslrootcert, sslcert and sslkey as libpq takes them: from the URL, else from its PGSSL* variables. */
function tlsFiles(r: EnvReader, params?: URLSearchParams): Pick<Server, 'sslRootCert' | 'sslCert' | 'sslKey'> {
  return {
    sslRootCert: params?.get('sslrootcert') ?? r.string('PGSSLROOTCERT'),
    sslCert: params?.get('sslcert') ?? r.string('PGSSLCERT'),
    sslKey: params?.get('sslkey') ?? r.string('PGSSLKEY'),
  };
}

function fromPgVariables(r: EnvReader): Server | undefined {
  if (!['PGHOST', 'PGDATABASE', 'PGUSER', 'PGPORT'].some((n) => r.has(n))) return undefined;
  return {
    host: r.string('PGHOST', 'localhost'),
    port: r.integer('PGPORT', 5432, { min: 1, max: 65535 }),
    user: r.string('PGUSER', 'postgres'),
    database: r.string('PGDATABASE'),
    password: r.secret('PGPASSWORD'),
    sslMode: sslMode(r, 'PGSSLMODE', r.string('PGSSLMODE')),
    channelBinding: channelBinding(r, 'PGCHANNELBINDING', r.string('PGCHANNELBINDING')),
    ...tlsFiles(r),
  };
}

function toId(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
}

export function readDatabases(r: EnvReader, required: boolean): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [];
  const main = r.has('DATABASE_URL') ? parseUrl(r, 'DATABASE_URL') : fromPgVariables(r);
  if (main) {
    const names = r.list('BACKUP_DATABASES');
    if (names.length === 0 && main.database) names.push(main.database);
    if (names.length === 0) {
      r.problem('BACKUP_DATABASES', 'no database named; set it (app,billing) or put the database in DATABASE_URL or PGDATABASE');
    }
    for (const database of names) targets.push({ ...main, id: toId(database), database });
  }
  for (const name of Object.keys(r.env)
    .filter((k) => /^DATABASE_URL_[A-Za-z0-9_]+$/.test(k))
    .sort()) {
    if (!r.has(name)) continue;
    const server = parseUrl(r, name);
    if (!server) continue;
    if (!server.database) {
      r.problem(name, 'the URL names no database; add /database to its path');
      continue;
    }
    targets.push({ ...server, database: server.database, id: toId(name.slice('DATABASE_URL_'.length)) });
  }
  if (required && targets.length === 0 && !r.problems.some((p) => p.startsWith('DATABASE_URL'))) {
    r.problem('DATABASE_URL', `missing; set DATABASE_URL or PGHOST/PGUSER/PGDATABASE (${URL_SHAPE})`);
  }
  const seen = new Set<string>();
  for (const t of targets) {
    if (!ID_PATTERN.test(t.id)) r.problem('BACKUP_DATABASES', `"${t.id}" is not a usable name; use letters, digits, - and _`);
    if (seen.has(t.id))
      r.problem('BACKUP_DATABASES', `database "${t.id}" is configured twice; give one of them another DATABASE_URL_<ALIAS>`);
    seen.add(t.id);
  }
  return targets;
}

/** VERIFY_DATABASE_URL: a scratch server for test restores, so verification does not load production. */
export function readVerifyServer(r: EnvReader): DatabaseTarget | undefined {
  if (!r.has('VERIFY_DATABASE_URL')) return undefined;
  const server = parseUrl(r, 'VERIFY_DATABASE_URL');
  if (!server) return undefined;
  const database = server.database ?? 'postgres';
  return { ...server, database, id: 'verify' };
}
