/** Reads a stored backup object back: a missing one is a lost part of a backup, said so. */
import { Readable } from 'node:stream';
import { Decryption, openDecryption } from '../../infra/crypto/decrypt';
import type { Keyring } from '../../infra/crypto/keyring';
import { IntegrityError } from '../../infra/errors/errors';
import type { Bucket } from '../../infra/storage/bucket';

/** Opens an object for reading; a missing one is an IntegrityError naming it (a backup lost a part). */
export async function openStoredObject(bucket: Bucket, key: string): Promise<Readable> {
  const body = await bucket.open(key);
  if (body) return body;
  throw new IntegrityError(
    `${bucket.where(key)} is missing (NoSuchKey): the backup lost this object; restore another backup (pgwarden restore --list)`,
  );
}

/** An object's plaintext: download, recognise the container, decrypt. */
export async function openDecryptedObject(bucket: Bucket, key: string, keyring: Keyring, keyId?: string): Promise<Decryption> {
  return openDecryption(await openStoredObject(bucket, key), { keyring, keyId });
}
