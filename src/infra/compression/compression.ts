/**
 * The compressions a backup may use, and how each is undone. zstd (the default) and lz4 run
 * inside pg_dump 16+ for the custom format, else as Debian's command-line tools after it, zstd
 * with two threads so compression uses the core the database server and pg_dump leave; gzip
 * keeps the earlier behaviour (inside pg_dump for the custom format, Node's zlib for plain SQL
 * and the globals); none stores the dump as it is. Pure: what runs where, in which words.
 */
import type { FilterCommand } from '../process/filter-process';

export const COMPRESSIONS = ['zstd', 'gzip', 'lz4', 'none'] as const;
export type CompressionAlgorithm = (typeof COMPRESSIONS)[number];

export interface CompressionPolicy {
  algorithm: CompressionAlgorithm;
  level: number;
}

/** Levels each tool accepts, and the default: the fastest level that keeps most of the ratio. */
export const LEVELS: Record<CompressionAlgorithm, { min: number; max: number; default: number }> = {
  zstd: { min: 1, max: 19, default: 1 },
  gzip: { min: 1, max: 9, default: 6 },
  lz4: { min: 1, max: 12, default: 1 },
  none: { min: 0, max: 0, default: 0 },
};

/** The threads zstd compresses with: one per core the worker has, two at most (the dump and the server need the rest). */
export const ZSTD_THREADS = 2;

export function compressCommand(c: CompressionPolicy): FilterCommand | null {
  switch (c.algorithm) {
    case 'zstd':
      return { program: 'zstd', args: ['-q', '-c', `-T${ZSTD_THREADS}`, `-${c.level}`] };
    case 'lz4':
      return { program: 'lz4', args: ['-q', '-c', `-${c.level}`] };
    default:
      return null;
  }
}

/**
 * pg_basebackup's own client-side compression for a policy (`--compress=client-zstd:level=1,workers=2`),
 * or null for none: the copy goes from pg_basebackup to S3 already compressed, so the worker never
 * handles the cluster's raw bytes (measured: passing them through Node costs ~1.5 s per 777 MiB on
 * two cores). PostgreSQL 15's pg_basebackup or newer.
 */
export function pgBasebackupCompressArg(c: CompressionPolicy): string | null {
  switch (c.algorithm) {
    case 'zstd':
      return `--compress=client-zstd:level=${c.level},workers=${ZSTD_THREADS}`;
    case 'gzip':
    case 'lz4':
      return `--compress=client-${c.algorithm}:level=${c.level}`;
    default:
      return null;
  }
}

export function decompressCommand(algorithm: CompressionAlgorithm): FilterCommand | null {
  switch (algorithm) {
    case 'zstd':
      return { program: 'zstd', args: ['-q', '-d', '-c'] };
    case 'lz4':
      return { program: 'lz4', args: ['-q', '-d', '-c'] };
    default:
      return null;
  }
}

/** The file-name suffix of a stream compressed this way: `.zst`, `.gz`, `.lz4` or nothing. */
export function compressionSuffix(algorithm: CompressionAlgorithm): string {
  return { zstd: '.zst', gzip: '.gz', lz4: '.lz4', none: '' }[algorithm];
}

/** The first pg_dump whose custom format compresses with zstd and lz4 itself, not only gzip. */
export const PG_DUMP_COMPRESSES_ZSTD = 16;

/**
 * Where a backup's compression happens. The custom format compresses inside pg_dump with gzip
 * (`--compress=N`, as pgwarden always did), and with zstd or lz4 too from pg_dump 16 on: each
 * table's data in its own frames, so the stored dump is what a parallel `pg_restore` reads as
 * it is, with no decompression before it (measured at 400k orders with pg_dump 18: 2.4-2.5 s
 * and 110 MB against 2.8-2.9 s and 114 MB for `-Z0 | zstd -T2 -1`). Everything else runs
 * pg_dump with `--compress=0` (custom) and compresses the stream after it. `pgDumpMajor` is the
 * major version of the pg_dump that runs (undefined: one older than 16).
 */
export function compressedByPgDump(format: 'custom' | 'plain', c: CompressionPolicy, pgDumpMajor?: number): boolean {
  if (format !== 'custom' || c.algorithm === 'none') return false;
  return c.algorithm === 'gzip' || (pgDumpMajor ?? 0) >= PG_DUMP_COMPRESSES_ZSTD;
}

/** What must be undone after decryption to get pg_dump's output back: the compression applied to the stream. */
export function streamCompression(format: 'custom' | 'plain', c: CompressionPolicy, pgDumpMajor?: number): CompressionAlgorithm {
  return compressedByPgDump(format, c, pgDumpMajor) ? 'none' : c.algorithm;
}

/** pg_dump's `--compress` for the custom format: `6` (gzip), `zstd:1`, `lz4:1`, or `0` when the stream is compressed after it. */
export function pgDumpCompressArg(c: CompressionPolicy, pgDumpMajor?: number): string {
  if (!compressedByPgDump('custom', c, pgDumpMajor)) return '--compress=0';
  return c.algorithm === 'gzip' ? `--compress=${c.level}` : `--compress=${c.algorithm}:${c.level}`;
}
