/** Reads a stored backup object back as plaintext: download, recognise the container, decrypt. */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { StorageConfig } from '../../infra/config/storage';
import { Decryption, openDecryption } from '../../infra/crypto/decrypt';
import { Keyring } from '../../infra/crypto/keyring';
import { IntegrityError } from '../../infra/errors/errors';
import { isNotFound, storageError } from '../../infra/storage/s3-errors';

/** Opens an object for reading; a missing one is an IntegrityError naming it (a backup lost a part). */
export async function openStoredObject(s3: S3Client, storage: StorageConfig, key: string): Promise<Readable> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    return res.Body as Readable;
  } catch (err) {
    if (isNotFound(err))
      throw new IntegrityError(
        `s3://${storage.bucket}/${key} is missing (NoSuchKey): the backup lost this object; restore another backup (pgwarden restore --list)`,
      );
    throw storageError(err, { bucket: storage.bucket, endpoint: storage.endpoint, operation: `GetObject ${key}` });
  }
}

export async function openDecryptedObject(
  s3: S3Client,
  storage: StorageConfig,
  key: string,
  keyring: Keyring,
  keyId?: string,
): Promise<Decryption> {
  return openDecryption(await openStoredObject(s3, storage, key), { keyring, keyId });
}
