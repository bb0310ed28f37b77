/** Reads a stored backup object back as plaintext: download, recognise the container, decrypt. */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { StorageConfig } from '../config/storage';
import { Decryption, openDecryption } from '../crypto/decrypt';
import { Keyring } from '../crypto/keyring';
import { storageError } from '../storage/s3-errors';

export async function openStoredObject(s3: S3Client, storage: StorageConfig, key: string): Promise<Readable> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    return res.Body as Readable;
  } catch (err) {
    throw storageError(err, { bucket: storage.bucket, endpoint: storage.endpoint, operation: `GetObject ${key}` });
  }
}

export async function openDecryptedObject(s3: S3Client, storage: StorageConfig, key: string, keyring: Keyring, keyId?: string): Promise<Decryption> {
  return openDecryption(await openStoredObject(s3, storage, key), { keyring, keyId });
}
