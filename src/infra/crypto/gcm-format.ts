/**
 * The pgwarden-gcm-v1 container's framing (docs/FORMAT.md, section 2): header layout and
 * per-chunk nonces. Pure: no streams, no keys.
 */
import { EncryptionError } from '../errors/errors';

export const GCM_MAGIC = Buffer.from('PGWENC', 'ascii');
export const GCM_CONTAINER_VERSION = 1;
export const GCM_ALGORITHM_AES_256 = 1;
export const GCM_TAG_BYTES = 16;
export const GCM_NONCE_PREFIX_BYTES = 7;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
/** Bytes before the key id; the full header is this plus the key id length. */
export const GCM_FIXED_HEADER_BYTES = 20;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface GcmHeader {
  chunkSize: number;
  noncePrefix: Buffer;
  keyId: string;
}

export function encodeHeader(h: GcmHeader): Buffer {
  if (!KEY_ID.test(h.keyId)) throw new EncryptionError(`key id "${h.keyId}" cannot be written: use 1-64 letters, digits, . _ -`);
  if (h.chunkSize < MIN_CHUNK_SIZE || h.chunkSize > MAX_CHUNK_SIZE)
    throw new RangeError(`chunk size ${h.chunkSize} out of range`);
  if (h.noncePrefix.length !== GCM_NONCE_PREFIX_BYTES) throw new RangeError('nonce prefix must be 7 bytes');
  const id = Buffer.from(h.keyId, 'ascii');
  const out = Buffer.alloc(GCM_FIXED_HEADER_BYTES + id.length);
  GCM_MAGIC.copy(out, 0);
  out.writeUInt8(GCM_CONTAINER_VERSION, 6);
  out.writeUInt8(GCM_ALGORITHM_AES_256, 7);
  out.writeUInt32BE(h.chunkSize, 8);
  h.noncePrefix.copy(out, 12);
  out.writeUInt8(id.length, 19);
  id.copy(out, 20);
  return out;
}

export function startsWithGcmMagic(bytes: Buffer): boolean {
  return bytes.length >= GCM_MAGIC.length && bytes.subarray(0, GCM_MAGIC.length).equals(GCM_MAGIC);
}

/**
 * Parses a header from the start of `bytes`. Returns undefined when more bytes are needed,
 * otherwise the header and its length in bytes.
 */
export function decodeHeader(bytes: Buffer): { header: GcmHeader; length: number } | undefined {
  if (bytes.length < GCM_FIXED_HEADER_BYTES) return undefined;
  if (!startsWithGcmMagic(bytes)) throw new EncryptionError('not a pgwarden-gcm-v1 object: the header magic is missing');
  const version = bytes.readUInt8(6);
  if (version !== GCM_CONTAINER_VERSION)
    throw new EncryptionError(`unsupported pgwarden container version ${version}; upgrade pgwarden to read it`);
  const algorithm = bytes.readUInt8(7);
  if (algorithm !== GCM_ALGORITHM_AES_256) throw new EncryptionError(`unknown algorithm id ${algorithm} in the container header`);
  const chunkSize = bytes.readUInt32BE(8);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE)
    throw new EncryptionError(`corrupt container header: chunk size ${chunkSize} is out of range`);
  const idLength = bytes.readUInt8(19);
  if (idLength < 1 || idLength > 64) throw new EncryptionError(`corrupt container header: key id length ${idLength}`);
  const length = GCM_FIXED_HEADER_BYTES + idLength;
  if (bytes.length < length) return undefined;
  const keyId = bytes.subarray(20, length).toString('ascii');
  if (!KEY_ID.test(keyId)) throw new EncryptionError('corrupt container header: malformed key id');
  return { header: { chunkSize, noncePrefix: Buffer.from(bytes.subarray(12, 19)), keyId }, length };
}

/** nonce_i = prefix (7) || i (uint32) || final flag (1). */
export function chunkNonce(prefix: Buffer, index: number, final: boolean): Buffer {
  if (index > 0xffffffff) throw new EncryptionError('object too large: more than 2^32 chunks');
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 7);
  nonce.writeUInt8(final ? 1 : 0, 11);
  return nonce;
}
