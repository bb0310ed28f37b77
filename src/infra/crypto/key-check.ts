/**
 * Key checks: a small object per key id, stored beside the backups, holding a known text
 * encrypted with that key. A worker whose key of the same id cannot decrypt it has the wrong
 * key, and is stopped before it writes backups nobody could restore with the original key.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { EncryptionError } from '../errors/errors';
import { openDecryption } from './decrypt';
import { encryptorFor } from './encryptor';
import { Keyring } from './keyring';
import { KEY_CHECK_TEXT as KNOWN_TEXT } from './known-plaintext';

/** The key check for the active key, encrypted as backups are. */
export async function makeKeyCheck(keyring: Keyring): Promise<Buffer> {
  return buffer(Readable.from([Buffer.from(KNOWN_TEXT)]).pipe(encryptorFor(keyring).create()));
}

/** Throws unless the key configured for `keyId` (default the active one) decrypts its stored check. */
export async function verifyKeyCheck(
  stored: Buffer,
  keyring: Keyring,
  location: string,
  keyId = keyring.activeKeyId,
): Promise<void> {
  let plain: Buffer;
  try {
    plain = await buffer((await openDecryption(Readable.from([stored]), { keyring, keyId })).plaintext);
  } catch {
    plain = Buffer.alloc(0);
  }
  if (plain.toString('utf8') !== KNOWN_TEXT) {
    const setting =
      keyId === keyring.activeKeyId ? 'BACKUP_ENCRYPTION_KEY' : `the key given for "${keyId}" in BACKUP_ENCRYPTION_PREVIOUS_KEYS`;
    throw new EncryptionError(
      `wrong key: ${setting} is not the key that id "${keyId}" stands for in this bucket (${location}); ` +
        'restore the original key, or give a new key a new BACKUP_ENCRYPTION_KEY_ID',
    );
  }
}
