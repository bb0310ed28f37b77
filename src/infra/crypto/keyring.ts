/**
 * The keys a worker holds: the active one encrypts, any of them decrypts. Lookups by id fail
 * with an EncryptionError that names the id and says how to provide it; key material is
 * never part of a message.
 */
import { EncryptionAlgorithm, EncryptionConfig, EncryptionKey } from '../config/encryption';
import { EncryptionError } from '../errors/errors';

export class Keyring {
  constructor(
    readonly algorithm: EncryptionAlgorithm,
    readonly activeKeyId: string,
    private readonly keys: ReadonlyMap<string, EncryptionKey>,
  ) {}

  static from(config: EncryptionConfig | undefined): Keyring {
    if (!config) throw new EncryptionError('no encryption key is configured on this worker; set BACKUP_ENCRYPTION_KEY');
    return new Keyring(config.algorithm, config.activeKeyId, config.keys);
  }

  active(): EncryptionKey {
    return this.get(this.activeKeyId);
  }

  get(id: string): EncryptionKey {
    const key = this.keys.get(id);
    if (!key) {
      const known = [...this.keys.keys()].join(', ') || 'none';
      throw new EncryptionError(
        `key "${id}" is not configured on this worker (configured: ${known}); add it to BACKUP_ENCRYPTION_PREVIOUS_KEYS as ${id}:<key>`,
      );
    }
    return key;
  }

  /** 32 raw bytes of a key, for AES-256-GCM. */
  bytes(id: string): Buffer {
    const key = this.get(id);
    if (!key.bytes) throw new EncryptionError(`key "${id}" is a passphrase; AES-256-GCM needs 32 bytes as hex or base64`);
    return key.bytes;
  }

  all(): EncryptionKey[] {
    return [...this.keys.values()];
  }
}
