/** TLS for pgwarden's own connections, as libpq reads the same settings for pg_dump. */
import { loadConfig } from '../../src/infra/config/config';
import { tlsAttempts, tlsProblem } from '../../src/infra/postgres/client';

describe('tlsAttempts', () => {
  const files: Record<string, string> = {
    '/etc/ca.crt': 'CA',
    '/home/w/.postgresql/root.crt': 'HOME-CA',
    '/etc/client.crt': 'CERT',
    '/etc/client.key': 'KEY',
  };
  const read = (path: string) => files[path];
  const noHomeCa = (path: string) => (path.startsWith('/home/w/') ? undefined : files[path]);
  const unverified = { rejectUnauthorized: false };
  it.each([
    ["no sslmode: libpq's prefer, TLS unverified then plain", {}, read, [unverified, false]],
    ['prefer: the same', { sslMode: 'prefer' }, read, [unverified, false]],
    ['allow: plain, then TLS', { sslMode: 'allow' }, read, [false, unverified]],
    ['disable: plain only', { sslMode: 'disable' }, read, [false]],
    ['require without a CA file: encrypted, not verified', { sslMode: 'require' }, noHomeCa, [unverified]],
    [
      'require with a CA file acts as verify-ca',
      { sslMode: 'require', sslRootCert: '/etc/ca.crt' },
      read,
      [{ rejectUnauthorized: true, checkServerIdentity: expect.any(Function), ca: 'CA' }],
    ],
    [
      'verify-full with sslrootcert',
      { sslMode: 'verify-full', sslRootCert: '/etc/ca.crt' },
      read,
      [{ rejectUnauthorized: true, ca: 'CA' }],
    ],
    [
      "verify-full: libpq's default ~/.postgresql/root.crt",
      { sslMode: 'verify-full' },
      read,
      [{ rejectUnauthorized: true, ca: 'HOME-CA' }],
    ],
    [
      "verify-full, sslrootcert=system: the system's CAs",
      { sslMode: 'verify-full', sslRootCert: 'system' },
      read,
      [{ rejectUnauthorized: true }],
    ],
    [
      'verify-ca: the certificate checked, not the host name',
      { sslMode: 'verify-ca', sslRootCert: '/etc/ca.crt' },
      read,
      [{ rejectUnauthorized: true, checkServerIdentity: expect.any(Function), ca: 'CA' }],
    ],
    [
      'a client certificate and its key',
      { sslMode: 'verify-full', sslRootCert: '/etc/ca.crt', sslCert: '/etc/client.crt', sslKey: '/etc/client.key' },
      read,
      [{ rejectUnauthorized: true, ca: 'CA', cert: 'CERT', key: 'KEY' }],
    ],
  ])('%s', (_, target, reader, expected) => {
    expect(tlsAttempts(target, '/home/w', reader)).toEqual(expected);
  });

  it('checks no host name under verify-ca', () => {
    const [s] = tlsAttempts({ sslMode: 'verify-ca', sslRootCert: '/etc/ca.crt' }, '/home/w', read);
    expect(s && s.checkServerIdentity?.()).toBeUndefined();
  });
});

describe('tlsProblem', () => {
  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', '', /not signed by a CA this worker trusts; set sslrootcert/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', '', /not signed by a CA this worker trusts/],
    ['CERT_HAS_EXPIRED', '', /has expired/],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
      /does not name the host connected to; .*verify-ca/,
    ],
    [undefined, 'The server does not support SSL connections', /does not accept SSL connections/],
    [
      '28000',
      'no pg_hba.conf entry for host "10.0.0.5", user "u", database "d", no encryption',
      /accepts only SSL connections from here/,
    ],
    ['28000', 'no pg_hba.conf entry for host "10.0.0.5", user "u", database "d", SSL encryption', undefined],
    ['28000', 'connection requires a valid client certificate', /asks for a client certificate; set sslcert and sslkey/],
    ['28000', 'certificate authentication failed for user "app"', /refused the client certificate for this user/],
    ['ECONNREFUSED', 'connect ECONNREFUSED', undefined],
  ])('%s %s', (code, message, expected) => {
    const said = tlsProblem(code, message);
    if (expected) expect(said).toMatch(expected);
    else expect(said).toBeUndefined();
  });
});

describe('reading the TLS settings', () => {
  const targetOf = (env: Record<string, string>) =>
    loadConfig({ BACKUP_S3_BUCKET: 'bucket', BACKUP_ENCRYPTION_KEY: 'a'.repeat(64), ...env }).databases[0];
  it('takes them from the URL, as libpq does', () => {
    expect(
      targetOf({
        DATABASE_URL: 'postgres://u:p@db/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.crt&sslcert=/c.crt&sslkey=/c.key',
      }),
    ).toMatchObject({ sslMode: 'verify-full', sslRootCert: '/etc/ca.crt', sslCert: '/c.crt', sslKey: '/c.key' });
  });
  it("else from libpq's variables, which the URL's own win over", () => {
    const env = { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: '/env/ca.crt' };
    expect(targetOf({ DATABASE_URL: 'postgres://u:p@db/app', ...env })).toMatchObject({
      sslMode: 'verify-ca',
      sslRootCert: '/env/ca.crt',
    });
    expect(targetOf({ DATABASE_URL: 'postgres://u:p@db/app?sslmode=require&sslrootcert=/url/ca.crt', ...env })).toMatchObject({
      sslMode: 'require',
      sslRootCert: '/url/ca.crt',
    });
    expect(targetOf({ PGHOST: 'db', PGDATABASE: 'app', ...env })).toMatchObject({
      sslMode: 'verify-ca',
      sslRootCert: '/env/ca.crt',
    });
  });
});
