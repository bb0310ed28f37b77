/** A key ring with one fresh random key, for tests that seal and open objects without a stack. */
import { randomBytes } from 'node:crypto';
import { loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { Keyring } from '../../src/infra/crypto/keyring';

export function randomKeyring(): Keyring {
  return Keyring.from(
    loadConfig(
      {
        DATABASE_URL: 'postgres://u:p@h/db',
        BACKUP_S3_BUCKET: 'bucket',
        BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        BACKUP_ENCRYPTION_KEY_ID: 'k',
      },
      { require: WORKER_NEEDS },
    ).encryption,
  );
}
