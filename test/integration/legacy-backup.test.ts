/**
 * Backups of the strategy's old shell script (`pg_dump | gzip | openssl enc -aes-256-cbc
 * -salt`), stored in S3 as backup_YYYYMMDD_HHMMSS.sql.gz.enc, decrypt and restore.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { envFile, repoRoot } from '../../devstack/paths';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { openDecryptedObject } from '../../src/operations/restore/read-object';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { libpqEnvironment } from '../../src/infra/postgres/client';
import { Keyring } from '../../src/infra/crypto/keyring';
import { pgProgram } from '../../src/infra/postgres/binaries';
import {
  createDatabase,
  dropDatabase,
  restoreInto,
  stackServer,
  tableFingerprints,
  uniqueDatabaseName,
} from '../support/databases';
import { stackConfig } from '../support/stack-env';
import { Bucket } from '../../src/infra/storage/bucket';

const passphrase = 'pasargad-prints old key';

describe.each([
  ['openssl enc -aes-256-cbc -salt', ''],
  ['openssl enc -aes-256-cbc -salt -pbkdf2', '-pbkdf2'],
])('a backup of `pg_dump | gzip | %s`', (_name, extra) => {
  const source = uniqueDatabaseName('legacy');
  const restored = uniqueDatabaseName('legacyrest');
  afterAll(async () => {
    await dropDatabase(source);
    await dropDatabase(restored);
  });

  it('decrypts with the configured passphrase and restores', async () => {
    await createDatabase(source, 'awkward.sql');
    const config = stackConfig({
      ENCRYPTION_ALGORITHM: 'AES-256-CBC',
      BACKUP_ENCRYPTION_KEY: passphrase,
      BACKUP_ENCRYPTION_KEY_ID: 'legacy',
    });
    // The strategy's backup_database.sh pipeline, as it ran from cron.
    const script = `set -o pipefail; "${pgProgram('pg_dump')}" "$PGDATABASE" | gzip | openssl enc -aes-256-cbc -salt ${extra} -k "$BACKUP_ENCRYPTION_KEY"`;
    const encrypted = execFileSync('bash', ['-c', script], {
      env: { ...libpqEnvironment(stackServer(), source), BACKUP_ENCRYPTION_KEY: passphrase },
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'], // OpenSSL's notice about -salt's old key derivation stays out of the test output
    });
    const storage = config.storage!;
    const key = `${storage.prefix}/backup_20240101_120000-${source}.sql.gz.enc`;
    const s3 = createS3Client(storage);
    await s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: key, Body: encrypted }));

    const decrypted = await openDecryptedObject(new Bucket(storage, s3), key, Keyring.from(config.encryption));
    expect(decrypted.container).toBe('openssl-cbc');
    await createDatabase(restored);
    await restoreInto(decrypted.plaintext, restored, 'plain-gz');
    expect(await tableFingerprints(restored)).toEqual(await tableFingerprints(source));

    // By hand, as in a disaster without the worker: `pgwarden decrypt` of the key as the bucket
    // lists it, S3_PREFIX left out, gives what OpenSSL and gunzip give.
    const byHand = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'pgwarden'), 'decrypt', key.slice(storage.prefix.length + 1)],
      {
        env: {
          PATH: process.env.PATH,
          PGWARDEN_CONFIG: envFile,
          ENCRYPTION_ALGORITHM: 'AES-256-CBC',
          BACKUP_ENCRYPTION_KEY: passphrase,
          BACKUP_ENCRYPTION_KEY_ID: 'legacy',
        },
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    expect(byHand.stderr.toString()).toMatch(/^decrypted s3:\/\/.+ \(openssl-cbc, gzip undone\): /);
    expect(byHand.status).toBe(0);
    const oracle = execFileSync('bash', ['-c', `openssl enc -d -aes-256-cbc ${extra} -k "$K" | gunzip`], {
      input: encrypted,
      env: { PATH: process.env.PATH, K: passphrase },
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(byHand.stdout.equals(oracle)).toBe(true);
    s3.destroy();
  });
});
