/**
 * Whether the first bytes a candidate CBC key decrypts are something pgwarden stores: CBC has no
 * key id and no authentication, so a key (and the old scripts' key derivation) is chosen by
 * what it turns the start of the object into. Every kind of object must be recognised, whatever
 * BACKUP_COMPRESSION is, or an object written with the right key could never be read. Pure.
 */

/** What a key check object holds (key-check.ts), encrypted with the key it stands for. */
export const KEY_CHECK_TEXT = 'pgwarden key check v1\n';

/** Compressed streams, pg_dump's custom format, SQL from pg_dump / pg_dumpall, a backup_manifest, a key check. */
const MAGICS = [
  Buffer.from([0x1f, 0x8b, 0x08]), // gzip
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
  Buffer.from([0x04, 0x22, 0x4d, 0x18]), // lz4 frame
  Buffer.from('PGDMP', 'ascii'),
  Buffer.from('--\n-- PostgreSQL', 'ascii'),
  Buffer.from('{ "PostgreSQL-Backup-Manifest-Version"', 'ascii'),
  Buffer.from(KEY_CHECK_TEXT, 'ascii'),
];

/** How many plaintext bytes the checks look at (a tar header's "ustar" ends at 262). */
export const KNOWN_PLAINTEXT_BYTES = 512;

export function isKnownPlaintext(plain: Buffer): boolean {
  if (MAGICS.some((m) => plain.length >= m.length && plain.subarray(0, m.length).equals(m))) return true;
  // An uncompressed tar (pg_basebackup with BACKUP_COMPRESSION=none): "ustar" in the first header.
  if (plain.length >= 262 && plain.subarray(257, 262).toString('latin1') === 'ustar') return true;
  // An uncompressed WAL segment: its first page header, XLOG_PAGE_MAGIC 0xD1xx, small info flags, a timeline.
  if (plain.length >= 8 && plain[1] === 0xd1 && plain[3] === 0 && plain[2] < 0x10) {
    const timeline = plain.readUInt32LE(4);
    if (timeline >= 1 && timeline < 0x10000) return true;
  }
  // An uncompressed timeline history file: "1<TAB>0/3000000<TAB>reason".
  return /^\d+\t[0-9A-F]+\/[0-9A-F]+\t/.test(plain.subarray(0, 64).toString('latin1'));
}
