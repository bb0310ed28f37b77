/**
 * A server that accepts only TLS connections, its certificate signed by a private CA (as a
 * managed PostgreSQL's is): with sslmode=verify-full and sslrootcert in DATABASE_URL, pgwarden's
 * own connections and pg_dump, pg_dumpall and pg_restore all verify it, and a backup is taken,
 * verified and restored, and with no sslmode at all as libpq's prefer. Without the CA, with TLS
 * off, or with a CA file the worker cannot read, preflight says which in one line. Before,
 * sslrootcert reached only the libpq tools (pgwarden's own connections checked the server
 * against the system's CAs) and without sslmode pgwarden's own connections tried no TLS.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { Client } from 'pg';
import type { PreflightReport } from '../../activities';
import { handOver, instanceUser } from '../../src/infra/postgres/instance';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import { innermostFailure } from '../../src/infra/temporal/root-cause';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

/**
 * A CA, a server certificate for localhost (not for 127.0.0.1) and a client certificate for the
 * user pgwarden_cert, made with openssl; the server's key readable by the server alone.
 */
function certificates(): { dir: string; ca: string; cert: string; key: string; clientCert: string; clientKey: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-tls-'));
  chmodSync(dir, 0o755);
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=pgwarden test CA',
  );
  const signed = (name: string, cn: string, extensions: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(f(`${name}.ext`), extensions);
    const ca = ['-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial'];
    openssl('x509', '-req', '-in', f(`${name}.csr`), ...ca, '-out', f(`${name}.crt`), '-days', '2', '-extfile', f(`${name}.ext`));
    chmodSync(f(`${name}.key`), 0o600);
  };
  signed('server', 'localhost', 'subjectAltName=DNS:localhost\n');
  signed('client', 'pgwarden_cert', 'extendedKeyUsage=clientAuth\n');
  handOver(f('server.key'), instanceUser());
  return {
    dir,
    ca: f('ca.crt'),
    cert: f('server.crt'),
    key: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
  };
}

describe('a server that accepts only TLS, with a private CA (real PostgreSQL, dev server, S3)', () => {
  const suite = workflowSuite('tls');
  const db = `tls_${uniqueSuffix()}`;
  let certs: ReturnType<typeof certificates>;
  let server: ScratchCluster;
  /** By the name in the certificate. */
  const url = (query: string) => server.url(db).replace('@127.0.0.1:', '@localhost:') + query;

  beforeAll(async () => {
    certs = certificates();
    server = await startScratchCluster({
      settings: { ssl: 'on', ssl_cert_file: certs.cert, ssl_key_file: certs.key, ssl_ca_file: certs.ca },
    });
    await server.query('CREATE ROLE pgwarden_cert LOGIN SUPERUSER');
    await server.query(`CREATE DATABASE ${db}`);
    await server.query(
      'CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 500) g',
      [],
      db,
    );
    // From now on, TLS or nothing.
    const [{ hba_file: hba }] = await server.query<{ hba_file: string }>('SHOW hba_file');
    // pgwarden_cert logs in by its client certificate alone (the first matching line wins).
    const lines = readFileSync(hba, 'utf8').replace(/^host(\s)/gm, 'hostssl$1');
    writeFileSync(hba, `hostssl all pgwarden_cert 127.0.0.1/32 cert\n${lines}`);
    await server.query('SELECT pg_reload_conf()');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  const preflight = async (databaseUrl: string): Promise<PreflightReport> => {
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: databaseUrl });
    return suite.server.client.workflow.execute(WorkflowType.preflight, {
      taskQueue,
      workflowId: `preflight-${db}-${uniqueSuffix()}`,
      args: [{ database: db }],
    });
  };
  const refusal = async (databaseUrl: string) => {
    const err = await preflight(databaseUrl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return innermostFailure(err as WorkflowFailedError) as ApplicationFailure;
  };

  it('backs up, verifies and restores over verify-full, every connection checking the certificate against sslrootcert', async () => {
    const plain = new Client({ connectionString: server.url(db) });
    await expect(plain.connect()).rejects.toThrow(/no encryption/);

    const verified = `?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`;
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: url(verified) });
    const backup = await suite.backup(db, taskQueue);
    expect(backup.rows).toBe(500);
    const verification = await suite.verify(db, taskQueue, backup.backupId);
    expect(verification.verified[0]).toMatchObject({ status: 'passed', failures: [] });
    const copy = `${db}_copy`;
    expect((await suite.restoreNew(db, taskQueue, backup.backupId, copy)).restoredInto).toBe(copy);
    const c = new Client({
      connectionString: server.url(copy).replace('@127.0.0.1:', '@localhost:'),
      ssl: { ca: readFileSync(certs.ca, 'utf8') },
    });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 500 }]);
    } finally {
      await c.end();
    }
  });

  it.each([
    [
      'verify-full without the CA',
      '?sslmode=verify-full',
      "the server's certificate is not signed by a CA this worker trusts; set sslrootcert=/path/to/ca.crt in the URL (or PGSSLROOTCERT) to its CA's certificate",
    ],
    [
      'TLS turned off',
      '?sslmode=disable',
      'the server accepts only SSL connections from here (pg_hba.conf hostssl); add sslmode=require, or verify-full with sslrootcert, to the URL (or PGSSLMODE)',
    ],
    [
      'a CA file the worker cannot read',
      '?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt',
      'cannot read the sslrootcert file /nonexistent/ca.crt (ENOENT); set sslrootcert in the URL (or PGSSLROOTCERT) to a file the worker can read',
    ],
  ])('%s: preflight says what to set, in one line', async (_, query, says) => {
    const failure = await refusal(url(query));
    expect(failure.type).toBe('DatabaseConnectionError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`cannot connect to database "${db}" at localhost:${server.port} as pgwarden: ${says}`);
  });

  it("reaches it with no sslmode at all, as pg_dump does (libpq's default, prefer: TLS when the server has it)", async () => {
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: url('') });
    expect((await suite.backup(db, taskQueue)).rows).toBe(500);
  });

  it('logs in by a client certificate (sslcert, sslkey) with no password, for pgwarden and pg_dump alike', async () => {
    const byCertificate = (query: string) => url(query).replace(/\/\/pgwarden:[^@]*@/, '//pgwarden_cert@');
    const ca = `sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`;
    const { taskQueue } = await suite.workerFor(db, {
      DATABASE_URL: byCertificate(
        `?${ca}&sslcert=${encodeURIComponent(certs.clientCert)}&sslkey=${encodeURIComponent(certs.clientKey)}`,
      ),
    });
    const backup = await suite.backup(db, taskQueue);
    expect(backup.rows).toBe(500);
    expect((await suite.verify(db, taskQueue, backup.backupId)).verified[0].status).toBe('passed');
    // Without it, the server's refusal says what to set, in one line.
    const failure = await refusal(byCertificate(`?${ca}`));
    expect(failure.message).toBe(
      `cannot connect to database "${db}" at localhost:${server.port} as pgwarden_cert: the server asks for a client certificate; set sslcert and sslkey in the URL (or PGSSLCERT and PGSSLKEY) to the certificate for this user and its key`,
    );
  });

  it('channel_binding=require: backs up, verifies and restores over a SCRAM login bound to TLS, and refuses logins without one', async () => {
    const ca = `sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`;
    const { taskQueue } = await suite.workerFor(db, { DATABASE_URL: url(`?${ca}&channel_binding=require`) });
    const backup = await suite.backup(db, taskQueue);
    expect(backup.rows).toBe(500);
    expect((await suite.verify(db, taskQueue, backup.backupId)).verified[0].status).toBe('passed');
    const copy = `${db}_bound`;
    expect((await suite.restoreNew(db, taskQueue, backup.backupId, copy)).restoredInto).toBe(copy);

    // A user whose password is an md5 hash, which pg_hba.conf lets log in by md5: no SCRAM, so the password is never sent.
    const admin = new Client({
      connectionString: server.url(db).replace('@127.0.0.1:', '@localhost:'),
      ssl: { ca: readFileSync(certs.ca, 'utf8') },
    });
    await admin.connect();
    try {
      const hba = (await admin.query<{ hba_file: string }>('SHOW hba_file')).rows[0].hba_file;
      await admin.query("SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN SUPERUSER PASSWORD 'md5-pw'");
      writeFileSync(hba, `hostssl all md5_user 127.0.0.1/32 md5\n${readFileSync(hba, 'utf8')}`);
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    const as = (user: string, password: string | undefined, query: string) =>
      url(query).replace(/\/\/pgwarden:[^@]*@/, `//${user}${password ? `:${password}` : ''}@`);
    const refused = (user: string) =>
      `cannot connect to database "${db}" at localhost:${server.port} as ${user}: channel_binding=require, but the server did not offer a login bound to the TLS channel (SCRAM-SHA-256-PLUS over TLS), so no password was sent; give this user a scram-sha-256 password and connect with TLS, or set channel_binding=prefer`;
    const md5 = await refusal(as('md5_user', 'md5-pw', `?${ca}&channel_binding=require`));
    expect(md5).toMatchObject({ type: 'DatabaseConnectionError', nonRetryable: true, message: refused('md5_user') });
    // prefer: the same user logs in (no binding to be had).
    expect((await preflight(as('md5_user', 'md5-pw', `?${ca}&channel_binding=prefer`))).database).toBe(db);
    // A certificate login asks for no password: refused once it is made.
    const cert = `&sslcert=${encodeURIComponent(certs.clientCert)}&sslkey=${encodeURIComponent(certs.clientKey)}`;
    expect((await refusal(as('pgwarden_cert', undefined, `?${ca}${cert}&channel_binding=require`))).message).toBe(
      refused('pgwarden_cert'),
    );
  });

  it('takes the host name unchecked under verify-ca, and require with a CA file checks the certificate (as libpq does)', async () => {
    const ca = encodeURIComponent(certs.ca);
    // The certificate names localhost, not the address 127.0.0.1: verify-ca alone takes it there.
    const other = (q: string) => url(q).replace('@localhost:', '@127.0.0.1:');
    expect((await preflight(other(`?sslmode=verify-ca&sslrootcert=${ca}`))).database).toBe(db);
    expect((await refusal(other(`?sslmode=verify-full&sslrootcert=${ca}`))).message).toMatch(
      /does not name the host connected to/,
    );
    expect((await preflight(url(`?sslmode=require&sslrootcert=${ca}`))).database).toBe(db);
  });
});
