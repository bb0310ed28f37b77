/**
 * A stored object back to what PostgreSQL's tools wrote, with the keys and nothing else: no
 * Temporal, no worker, no database. The way in when the orchestration is down (README,
 * "Recovering by hand"): a dump for pg_restore, a base backup's tar, a WAL file.
 */
import { pipeline as chain, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompressionAlgorithm } from '../../infra/compression/compression';
import { decompressor } from '../../infra/compression/streams';
import { Decryption, openDecryption } from '../../infra/crypto/decrypt';
import type { Keyring } from '../../infra/crypto/keyring';
import { Measure } from '../../infra/streams/measure';

/** What to undo after decryption, from the object's name (`….dump.zst.enc`, `….tar.gz.enc`); pure. */
export function compressionOfName(name: string): CompressionAlgorithm {
  const m = /\.(zst|gz|lz4)\.enc$/.exec(name);
  return m ? ({ zst: 'zstd', gz: 'gzip', lz4: 'lz4' } as const)[m[1] as 'zst' | 'gz' | 'lz4'] : 'none';
}

export interface DecryptedObject {
  container: Decryption['container'];
  /** The compression undone (none when kept or when there was none). */
  decompressed: CompressionAlgorithm;
  storedBytes: number;
  /** Of the stored bytes: what the manifest's `sha256` of the object is compared with. */
  storedSha256: string;
  plainBytes: number;
}

/**
 * Decrypts `source` (the object named `name`) into `into`, undoing its compression unless
 * `keepCompression`. `end: false` leaves `into` open (stdout).
 */
export async function decryptObject(
  source: Readable,
  name: string,
  keyring: Keyring,
  into: Writable,
  options: { keepCompression?: boolean; end?: boolean } = {},
): Promise<DecryptedObject> {
  const stored = new Measure({ hash: true, md5: false });
  const plain = new Measure();
  // Hashed as it is read; a failing source fails the decryption reading from it.
  const decryption = await openDecryption(
    chain(source, stored, () => undefined),
    { keyring },
  );
  const decompressed = options.keepCompression ? 'none' : compressionOfName(name);
  await pipeline([decryption.plaintext, ...decompressor(decompressed), plain, into], { end: options.end !== false });
  return {
    container: decryption.container,
    decompressed,
    storedBytes: stored.bytes,
    storedSha256: stored.sha256Digest(),
    plainBytes: plain.bytes,
  };
}

/**
 * Where the record naming a stored object's SHA-256 is: a dump's (or a part's, or the globals')
 * manifest, or a base backup's (its tar, tablespaces, backup_manifest). Undefined for other
 * objects (WAL carries its own in its metadata; an old script's file has none). Pure.
 */
export function manifestKeyOf(objectKey: string): string | undefined {
  const dump = /^(.*\/)data\/(backup_\d{8}_\d{6})\.[^/]+\.enc$/.exec(objectKey);
  if (dump) return `${dump[1]}manifests/${dump[2]}.json`;
  const base = /^(.*\/basebackups\/)(base_\d{8}_\d{6})\.[^/]+\.enc$/.exec(objectKey);
  if (base) return `${base[1]}${base[2]}.json`;
  return undefined;
}

/** The SHA-256 a manifest records for the stored object `key`, wherever in it the object is listed. Pure. */
export function recordedSha256(manifest: unknown, key: string): string | undefined {
  if (Array.isArray(manifest)) {
    for (const item of manifest) {
      const found = recordedSha256(item, key);
      if (found) return found;
    }
    return undefined;
  }
  if (manifest === null || typeof manifest !== 'object') return undefined;
  const o = manifest as Record<string, unknown>;
  if (o.key === key && typeof o.sha256 === 'string') return o.sha256;
  for (const value of Object.values(o)) {
    const found = recordedSha256(value, key);
    if (found) return found;
  }
  return undefined;
}
