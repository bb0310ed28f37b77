/**
 * Key proofs against the bucket's key checks (src/infra/crypto/key-check.ts), before work
 * that would be wasted or harmful with the wrong key: writing backups or WAL nobody could
 * decrypt with the original key, or unpacking a base backup that cannot be read.
 */
import { log } from '@temporalio/activity';
import { makeKeyCheck, verifyKeyCheck } from '../src/infra/crypto/key-check';
import type { Keyring } from '../src/infra/crypto/keyring';
import type { Bucket } from '../src/infra/storage/bucket';
import { keyCheckKey } from '../src/infra/storage/layout';

/** Proves the active key is the one its id stands for in this bucket, recording the check for a new id. */
export async function proveActiveKey(bucket: Bucket, keyring: Keyring): Promise<void> {
  const key = keyCheckKey(bucket.prefix, keyring.activeKeyId);
  const stored = await bucket.getBytes(key);
  if (stored) return verifyKeyCheck(stored, keyring, bucket.where(key));
  const written = await bucket.putIfAbsent(key, await makeKeyCheck(keyring));
  // Another worker may have written it first: then check against theirs.
  if (written !== 'written') return verifyKeyCheck(written.existing, keyring, bucket.where(key));
  log.info('recorded a key check for a new key id', { keyId: keyring.activeKeyId, key });
}

/**
 * Proves this worker holds the key an object was written with: the id is configured, and its
 * key decrypts the id's check when the bucket has one. Never writes: a reader with a wrong
 * key must not record it.
 */
export async function proveReadKey(bucket: Bucket, keyring: Keyring, keyId: string): Promise<void> {
  keyring.get(keyId);
  const key = keyCheckKey(bucket.prefix, keyId);
  const stored = await bucket.getBytes(key);
  if (stored) await verifyKeyCheck(stored, keyring, bucket.where(key), keyId);
}
