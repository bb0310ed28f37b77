/**
 * Encryption settings: the algorithm (the strategy's AES-256-CBC, or authenticated
 * AES-256-GCM, the default for new setups) and a key ring for rotation. The active key
 * encrypts new backups; previous keys stay available so older backups still decrypt.
 *
 *   BACKUP_ENCRYPTION_KEY            the active key: 32 bytes as 64 hex chars or base64
 *                                    (AES-256-CBC also accepts the old scripts' passphrase)
 *   BACKUP_ENCRYPTION_KEY_ID         its id (default: derived from the key, not reversible)
 *   BACKUP_ENCRYPTION_PREVIOUS_KEYS  id:key,id:key  retired keys, for decryption only (passphrases of
 *                                    the old scripts too, whatever the algorithm)
 */
import { createHash } from 'node:crypto';
import { EnvReader } from './env-reader';
import { Secret } from './secret';

export const ENCRYPTION_ALGORITHMS = ['AES-256-GCM', 'AES-256-CBC'] as const;
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];

export interface EncryptionKey {
  id: string;
  /** 32 raw bytes when given as hex/base64; undefined for a CBC passphrase. */
  bytes?: Buffer;
  /** The key as configured, for the OpenSSL-compatible passphrase mode. */
  material: Secret;
}

export interface EncryptionConfig {
  algorithm: EncryptionAlgorithm;
  activeKeyId: string;
  keys: ReadonlyMap<string, EncryptionKey>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_HINT = 'expected 32 random bytes as 64 hex characters or base64 (make one with: openssl rand -hex 32)';

/** 32 bytes from hex or base64, or undefined when the text is neither. */
export function decodeKeyBytes(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t, 'base64');
    if (b.length === 32) return b;
  }
  return undefined;
}

/** A stable, non-reversible id for a key, so backups record which key wrote them. */
export function deriveKeyId(material: string): string {
  return 'k-' + createHash('sha256').update('pgwarden key id\0').update(material).digest('hex').slice(0, 12);
}

function readKey(
  r: EnvReader,
  variable: string,
  material: Secret,
  algorithm: EncryptionAlgorithm,
  id?: string,
  options: { passphrase?: boolean } = {},
): EncryptionKey | undefined {
  const bytes = decodeKeyBytes(material.reveal());
  if (!bytes && algorithm === 'AES-256-GCM' && !options.passphrase) {
    r.problem(
      variable,
      `${id ? `key "${id}": ` : ''}${KEY_HINT}; passphrases are only accepted with ENCRYPTION_ALGORITHM=AES-256-CBC`,
    );
    return undefined;
  }
  return { id: id ?? deriveKeyId(material.reveal()), bytes, material };
}

export function readEncryption(r: EnvReader, required: boolean): EncryptionConfig | undefined {
  const algorithm = r.oneOf('ENCRYPTION_ALGORITHM', ENCRYPTION_ALGORITHMS, 'AES-256-GCM');
  const material = r.secret('BACKUP_ENCRYPTION_KEY');
  if (!material) {
    if (required) r.problem('BACKUP_ENCRYPTION_KEY', `missing; ${KEY_HINT}`);
    return undefined;
  }
  const explicitId = r.string('BACKUP_ENCRYPTION_KEY_ID');
  if (explicitId !== undefined && !KEY_ID.test(explicitId)) {
    r.problem('BACKUP_ENCRYPTION_KEY_ID', 'expected 1-64 letters, digits, dots, dashes or underscores');
  }
  const active = readKey(r, 'BACKUP_ENCRYPTION_KEY', material, algorithm, explicitId);
  const keys = new Map<string, EncryptionKey>();
  if (active) keys.set(active.id, active);
  const previous = r.secret('BACKUP_ENCRYPTION_PREVIOUS_KEYS');
  for (const entry of (previous?.reveal() ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) {
      r.problem(
        'BACKUP_ENCRYPTION_PREVIOUS_KEYS',
        'expected id:key pairs separated by commas, each id 1-64 letters, digits, dots, dashes or underscores',
      );
      continue;
    }
    // Retired keys only decrypt: an old script's passphrase is welcome whatever encrypts new backups.
    const key = readKey(r, 'BACKUP_ENCRYPTION_PREVIOUS_KEYS', new Secret(entry.slice(colon + 1)), algorithm, id, {
      passphrase: true,
    });
    if (!key) continue;
    if (keys.has(id)) r.problem('BACKUP_ENCRYPTION_PREVIOUS_KEYS', `key id "${id}" is used twice; every key needs its own id`);
    else keys.set(id, key);
  }
  return active ? { algorithm, activeKeyId: active.id, keys } : undefined;
}
