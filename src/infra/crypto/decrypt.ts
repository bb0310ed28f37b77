/**
 * One way to decrypt anything pgwarden may be asked to restore: its own AES-256-GCM and
 * AES-256-CBC objects, and the strategy's old `openssl enc -aes-256-cbc` backups. The kind
 * is recognised from the first bytes; a wrong key is an EncryptionError naming the key id,
 * never garbage passed on to a restore.
 */
import { Readable, Transform, pipeline } from 'node:stream';
import { EncryptionError } from '../errors/errors';
import { startsWithGcmMagic } from './gcm-format';
import { isKnownPlaintext, KNOWN_PLAINTEXT_BYTES } from './known-plaintext';
import { GcmDecryptStream } from './gcm-stream';
import { Keyring } from './keyring';
import {
  CBC_HEADER_BYTES,
  CbcDecryptStream,
  CbcKdf,
  decryptLeadingBlocks,
  deriveCbcKey,
  LEGACY_KDFS,
  startsWithSalted,
} from './openssl-cbc';

export interface DecryptOptions {
  keyring: Keyring;
  /** The key id recorded in the manifest; absent for objects of the old scripts. */
  keyId?: string;
}

export interface Decryption {
  plaintext: Readable;
  container: 'pgwarden-gcm-v1' | 'openssl-cbc';
  /** For CBC: the key id and derivation that matched; for GCM: known once the header is read. */
  keyId?: string;
  kdf?: CbcKdf;
}

const HEAD_BYTES = CBC_HEADER_BYTES + KNOWN_PLAINTEXT_BYTES;

/** Drops the first n bytes of a stream. */
class SkipBytes extends Transform {
  constructor(private remaining: number) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: (e?: Error | null, d?: Buffer) => void): void {
    const skip = Math.min(this.remaining, chunk.length);
    this.remaining -= skip;
    done(null, chunk.subarray(skip));
  }
}

function chooseCbcKey(head: Buffer, opts: DecryptOptions): { keyId: string; kdf: CbcKdf; key: ReturnType<typeof deriveCbcKey> } {
  const salt = head.subarray(8, 16);
  const leading = head.subarray(CBC_HEADER_BYTES);
  const keys = opts.keyId ? [opts.keyring.get(opts.keyId)] : opts.keyring.all();
  for (const k of keys) {
    for (const kdf of LEGACY_KDFS) {
      const derived = deriveCbcKey(k.material.reveal(), salt, kdf);
      if (isKnownPlaintext(decryptLeadingBlocks(leading, derived))) return { keyId: k.id, kdf, key: derived };
    }
  }
  if (opts.keyId)
    throw new EncryptionError(
      `key "${opts.keyId}" does not decrypt this object: wrong key for this id, or the object is corrupt`,
    );
  throw new EncryptionError(
    `none of the configured keys (${keys.map((k) => k.id).join(', ')}) decrypts this object; add the key it was written with to BACKUP_ENCRYPTION_PREVIOUS_KEYS`,
  );
}

/** Reads the first bytes of `source` to recognise the container, then decrypts the stream. */
export async function openDecryption(source: Readable, opts: DecryptOptions): Promise<Decryption> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const headParts: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < HEAD_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    headParts.push(next.value);
    headLength += next.value.length;
  }
  const head = Buffer.concat(headParts);
  const rest = Readable.from(
    (async function* () {
      try {
        yield head;
        if (ended) return;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        // A consumer that stops early releases the source (and its download) too.
        if (!ended) await iterator.return?.();
      }
    })(),
  );

  let decryptor: Transform;
  let result: Omit<Decryption, 'plaintext'>;
  if (startsWithGcmMagic(head)) {
    const gcm = new GcmDecryptStream((id) => {
      if (opts.keyId && id !== opts.keyId)
        throw new EncryptionError(`the object was written with key "${id}" but its manifest names key "${opts.keyId}"`);
      return opts.keyring.bytes(id);
    });
    decryptor = gcm;
    result = { container: 'pgwarden-gcm-v1', keyId: opts.keyId };
  } else if (startsWithSalted(head)) {
    if (head.length < CBC_HEADER_BYTES + 16)
      throw new EncryptionError('the object is truncated: shorter than one encrypted block');
    const chosen = chooseCbcKey(head, opts);
    decryptor = new CbcDecryptStream(
      chosen.key,
      () => new EncryptionError('the object is corrupt or truncated: its final block has invalid padding'),
    );
    // The Salted__ header is not ciphertext.
    const stripHeader = new SkipBytes(CBC_HEADER_BYTES);
    const plaintext = pipeline(rest, stripHeader, decryptor, () => undefined);
    return { plaintext, container: 'openssl-cbc', keyId: chosen.keyId, kdf: chosen.kdf };
  } else {
    source.destroy();
    throw new EncryptionError('not an encrypted backup: neither a pgwarden-gcm-v1 header nor an OpenSSL "Salted__" header');
  }
  const plaintext = pipeline(rest, decryptor, () => undefined);
  return { plaintext, ...result };
}
