/**
 * A file another program is still writing, read as it grows: pg_basebackup writes a server with
 * tablespaces only to a folder, and its tars are stored while it writes them instead of after.
 * The reader is told when the writer has closed the file; it asks before each read, so an empty
 * read after that is the end and never a pause in the writing. What has been read can be given
 * back to the disk (`release`): the file then takes room only for what the writer is ahead.
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface GrowingFileOptions {
  /** Whether the writer has closed the file. */
  closed(): boolean;
  /** Resolves when there may be more to read: a short poll, or news from the writer. */
  more(): Promise<void>;
  /** Gives the first `upTo` bytes back to the disk (they have been read); called every `releaseEvery` bytes and at each wait. */
  release?(upTo: number): Promise<void>;
  releaseEvery?: number;
  chunkBytes?: number;
}

export function readGrowingFile(path: string, options: GrowingFileOptions): Readable {
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  const releaseEvery = options.releaseEvery ?? 32 * 1024 * 1024;
  async function* chunks(): AsyncGenerator<Buffer> {
    const file = await open(path, 'r');
    let offset = 0;
    let released = 0;
    const release = async () => {
      if (!options.release || offset === released) return;
      await options.release(offset);
      released = offset;
    };
    try {
      for (;;) {
        // Asked before the read: closed before an empty read means nothing more will come.
        const closed = options.closed();
        const buffer = Buffer.allocUnsafe(chunkBytes);
        const { bytesRead } = await file.read(buffer, 0, chunkBytes, offset);
        if (bytesRead > 0) {
          offset += bytesRead;
          yield bytesRead === chunkBytes ? buffer : buffer.subarray(0, bytesRead);
          if (offset - released >= releaseEvery) await release();
          continue;
        }
        await release();
        if (closed) return;
        await options.more();
      }
    } finally {
      await file.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: chunkBytes });
}
