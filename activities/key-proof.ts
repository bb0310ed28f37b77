/**
 * Key proofs (src/infra/crypto/key-proof.ts) as activities use them: a new key id's check
 * recorded is worth a line in the worker's log.
 */
import { log } from '@temporalio/activity';
import type { Keyring } from '../src/infra/crypto/keyring';
import { proveActiveKey as prove } from '../src/infra/crypto/key-proof';
import type { Bucket } from '../src/infra/storage/bucket';
import { keyCheckKey } from '../src/infra/storage/layout';

export { proveReadKey } from '../src/infra/crypto/key-proof';

/** Proves the active key is the one its id stands for in this bucket, recording the check for a new id. */
export async function proveActiveKey(bucket: Bucket, keyring: Keyring): Promise<void> {
  if ((await prove(bucket, keyring)) === 'recorded')
    log.info('recorded a key check for a new key id', {
      keyId: keyring.activeKeyId,
      key: keyCheckKey(bucket.prefix, keyring.activeKeyId),
    });
}
