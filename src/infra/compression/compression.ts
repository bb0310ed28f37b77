/**
 * The compressions a backup may use, and how each is undone. zstd (the default) and lz4 run
 * as Debian's command-line tools outside pg_dump, zstd with two threads so compression uses
 * the core the database server and pg_dump leave; gzip keeps the earlier behaviour (inside
 * pg_dump for the custom format, Node's zlib for plain SQL and the globals); none stores the
 * dump as it is. Pure: what runs where, in which words.
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

/**
 * Where a backup's compression happens. The custom format with gzip compresses inside
 * pg_dump (`--compress=N`, as pgwarden always did); everything else runs pg_dump with
 * `--compress=0` (custom) and compresses the stream after it.
 */
export function compressedByPgDump(format: 'custom' | 'plain', c: CompressionPolicy): boolean {
  return format === 'custom' && c.algorithm === 'gzip';
}

/** What must be undone after decryption to get pg_dump's output back: the compression applied to the stream. */
export function streamCompression(format: 'custom' | 'plain', c: CompressionPolicy): CompressionAlgorithm {
  return compressedByPgDump(format, c) ? 'none' : c.algorithm;
}
