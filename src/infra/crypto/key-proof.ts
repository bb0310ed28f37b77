/**
 * Key proofs against the bucket's key checks (key-check.ts), before work that would be wasted
 * or harmful with the wrong key: writing backups or WAL nobody could decrypt with the original
 * key, or unpacking a base backup that cannot be read.
 */
import type { Bucket } from '../storage/bucket';
import { keyCheckKey } from '../storage/layout';
import { makeKeyCheck, verifyKeyCheck } from './key-check';
import type { Keyring } from './keyring';

/**
 * Proves the active key is the one its id stands for in this bucket, recording the check for
 * a new id ('recorded'; 'proven' when one was there).
 */
export async function proveActiveKey(bucket: Bucket, keyring: Keyring): Promise<'proven' | 'recorded'> {
  const key = keyCheckKey(bucket.prefix, keyring.activeKeyId);
  const stored = await bucket.getBytes(key);
  if (stored) {
    await verifyKeyCheck(stored, keyring, bucket.where(key));
    return 'proven';
  }
  const written = await bucket.putIfAbsent(key, await makeKeyCheck(keyring));
  // Another process may have written it first: then check against theirs.
  if (written === 'written') return 'recorded';
  await verifyKeyCheck(written.existing, keyring, bucket.where(key));
  return 'proven';
}

/**
 * Proves this process holds the key an object was written with: the id is configured, and its
 * key decrypts the id's check when the bucket has one. Never writes: a reader with a wrong
 * key must not record it.
 */
export async function proveReadKey(bucket: Bucket, keyring: Keyring, keyId: string): Promise<void> {
  keyring.get(keyId);
  const key = keyCheckKey(bucket.prefix, keyId);
  const stored = await bucket.getBytes(key);
  if (stored) await verifyKeyCheck(stored, keyring, bucket.where(key), keyId);
}
