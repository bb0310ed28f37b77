/** The encrypting stage for new backups, per the configured algorithm and active key. */
import { Transform } from 'node:stream';
import { DEFAULT_CHUNK_SIZE } from './gcm-format';
import { GcmEncryptStream } from './gcm-stream';
import { Keyring } from './keyring';
import { CbcEncryptStream } from './openssl-cbc';

export interface EncryptionFacts {
  algorithm: 'AES-256-GCM' | 'AES-256-CBC';
  keyId: string;
  container: 'pgwarden-gcm-v1' | 'openssl-pbkdf2-v1';
  chunkSize?: number;
}

export function encryptorFor(keyring: Keyring): { facts: EncryptionFacts; create: () => Transform } {
  const key = keyring.active();
  if (keyring.algorithm === 'AES-256-GCM') {
    const bytes = keyring.bytes(key.id);
    return {
      facts: { algorithm: 'AES-256-GCM', keyId: key.id, container: 'pgwarden-gcm-v1', chunkSize: DEFAULT_CHUNK_SIZE },
      create: () => new GcmEncryptStream({ key: bytes, keyId: key.id, chunkSize: DEFAULT_CHUNK_SIZE }),
    };
  }
  return {
    facts: { algorithm: 'AES-256-CBC', keyId: key.id, container: 'openssl-pbkdf2-v1' },
    create: () => new CbcEncryptStream(key.material.reveal()),
  };
}
