/**
 * A backup's globals (`pg_dumpall --globals-only`) as text, checked against the manifest as it
 * downloads: small (roles and tablespaces), read whole for a restore that creates roles.
 */
import { pipeline as streamPipeline, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { globalsCompressionOf, type BackupManifest } from '../backup/manifest';
import { decompressor } from '../../infra/compression/streams';
import { chain } from '../../infra/streams/chain';
import { openDecryption } from '../../infra/crypto/decrypt';
import type { Keyring } from '../../infra/crypto/keyring';
import type { Bucket } from '../../infra/storage/bucket';
import { IntegrityCheck } from '../verify/object-integrity';
import { openStoredObject } from './read-object';

export async function readGlobals(
  bucket: Bucket,
  keyring: Keyring,
  manifest: Pick<BackupManifest, 'globals' | 'encryption' | 'compression'>,
): Promise<string> {
  const body = await openStoredObject(bucket, manifest.globals.key);
  try {
    const checked: Readable = streamPipeline(
      body,
      new IntegrityCheck(manifest.globals, `globals object ${bucket.where(manifest.globals.key)}`),
      () => undefined,
    );
    const { plaintext } = await openDecryption(checked, { keyring, keyId: manifest.encryption.keyId });
    return await text(chain(plaintext, decompressor(globalsCompressionOf(manifest))));
  } finally {
    body.destroy();
  }
}
