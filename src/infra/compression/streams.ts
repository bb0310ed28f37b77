/** Compression as streams: a compressor for a policy, a decompressor for an algorithm (none: nothing). */
import { Duplex } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { FilterProcess } from '../process/filter-process';
import { CompressionAlgorithm, CompressionPolicy, compressCommand, decompressCommand } from './compression';

export function compressor(c: CompressionPolicy): Duplex[] {
  if (c.algorithm === 'gzip') return [createGzip({ level: c.level })];
  const command = compressCommand(c);
  return command ? [new FilterProcess(command)] : [];
}

export function decompressor(algorithm: CompressionAlgorithm): Duplex[] {
  if (algorithm === 'gzip') return [createGunzip()];
  const command = decompressCommand(algorithm);
  return command ? [new FilterProcess(command)] : [];
}
