/**
 * Decompression straight into where the bytes go (a file, another program's stdin). An
 * external decompressor (zstd, lz4) is handed the destination itself, so the raw bytes never
 * pass through this process: only the compressed stream does, which is several times smaller.
 * gzip and none stay in Node's streams.
 */
import { spawn } from 'node:child_process';
import { WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { childExit } from '../process/spawn-stream';
import { CompressionAlgorithm, decompressCommand } from './compression';
import { decompressor } from './streams';

/**
 * Resolves when all of `source` is decompressed into `into` (an fs write stream or a child's
 * stdin pipe) and `into` is closed on this side; rejects with the source's error (a damaged
 * object, a wrong key) or the decompressor's.
 */
export async function decompressInto(source: Readable, algorithm: CompressionAlgorithm, into: Writable): Promise<void> {
  const command = decompressCommand(algorithm);
  if (!command) {
    await pipeline([source, ...decompressor(algorithm), into]);
    return;
  }
  if (into instanceof WriteStream && into.pending) await once(into, 'ready');
  const unzip = spawn(command.program, command.args, { stdio: ['pipe', into, 'pipe'] });
  into.destroy(); // the decompressor holds its own copy of the destination; it alone writes there
  const unzipped = childExit(unzip, command.program);
  unzip.stdin.on('error', () => undefined); // a decompressor that fails says why by its exit
  await Promise.all([
    pipeline(source, unzip.stdin).catch((err: Error) => {
      unzip.kill();
      throw err;
    }),
    unzipped,
  ]);
}
