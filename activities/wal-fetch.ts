/**
 * The WAL a point-in-time recovery reads, fetched from the archive in order beside everything
 * else: while the base backup is unpacked and while recovery replays. restore_command waits for
 * a segment not fetched yet (src/operations/pitr/target.ts, fetchedWalCommand) until the marker
 * file says all are there; no process of ours runs per segment. Timeline histories come first:
 * recovery reads them at once.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from '../src/infra/errors/errors';
import { handOver, RunAs } from '../src/infra/postgres/instance';
import type { Bucket } from '../src/infra/storage/bucket';
import type { Keyring } from '../src/infra/crypto/keyring';
import { formatBytes } from '../src/operations/backup/progress';
import { saveWalFile } from '../src/operations/pitr/wal-object';
import { parseHistoryFileName } from '../src/operations/pitr/wal-names';

/** Files fetched at once: enough to keep ahead of replay (each streams to disk, so memory stays small). */
const WIDTH = 4;

export interface WalFile {
  name: string;
  key: string;
}

export class WalFetch {
  /** Set once recovery has promoted: the segments after the target are not needed. */
  private readonly enough = { value: false };
  private segments?: Promise<void>;
  /** Why fetching failed, once it has: recovery must not end early at a file that will never come. */
  error: unknown;
  files = 0;
  bytes = 0;
  /** How long the fetch ran, from the histories to the last segment (or to the stop): set when it ends. */
  tookMs?: number;

  constructor(
    private readonly from: { bucket: Bucket; keyring: Keyring },
    private readonly needed: WalFile[],
    private readonly into: { walDir: string; runAs: RunAs; doneMarker: string },
    private readonly beat: (summary: string) => void,
    /** Run on each segment fetched before recovery may read it; a failure fails the fetch. */
    private readonly inspect?: (path: string, name: string) => Promise<void>,
  ) {}

  /** Fetches the histories, then starts on the segments in the background; `onFailure` runs if one fails. */
  async start(onFailure: (err: unknown) => Promise<void>): Promise<void> {
    const isHistory = (f: WalFile) => parseHistoryFileName(f.name) !== undefined;
    const started = Date.now();
    await inParallel(this.needed.filter(isHistory), WIDTH, (f) => this.fetchOne(f));
    this.segments = inParallel(
      this.needed.filter((f) => !isHistory(f)),
      WIDTH,
      (f) => this.fetchOne(f),
      this.enough,
    ).then(async () => {
      this.tookMs = Date.now() - started;
      await writeFile(join(this.into.walDir, this.into.doneMarker), '');
    });
    this.segments.catch(async (err: unknown) => {
      this.error = err;
      await onFailure(err);
    });
  }

  /** Waits until every segment is there (or the fetch failed: thrown). */
  async finished(): Promise<void> {
    await this.segments;
  }

  /** Waits for the fetches under way to end, whatever their outcome (before files are removed). */
  async settled(): Promise<void> {
    await this.segments?.catch(() => undefined);
  }

  /** Recovery has reached its target: no new fetch starts; those under way finish. */
  async stop(): Promise<void> {
    this.enough.value = true;
    await this.segments;
  }

  private async fetchOne({ name, key }: WalFile): Promise<void> {
    // Written aside and renamed: restore_command must never copy half a file.
    const file = join(this.into.walDir, name);
    const bytes = await saveWalFile(this.from.bucket, key, this.from.keyring, `${file}.part`).catch(async (err: unknown) => {
      await rm(`${file}.part`, { force: true }); // a damaged object fails midway: nothing half written stays
      throw err;
    });
    if (bytes === undefined) throw new BackupError(`WAL file ${name} disappeared from the archive while restoring`);
    if (this.inspect && parseHistoryFileName(name) === undefined)
      await this.inspect(`${file}.part`, name).catch(async (err: unknown) => {
        await rm(`${file}.part`, { force: true });
        throw err;
      });
    handOver(`${file}.part`, this.into.runAs);
    await rename(`${file}.part`, file);
    this.bytes += bytes;
    this.files++;
    if (this.files % 8 === 0) this.beat(`fetched ${this.files} of ${this.needed.length} WAL files (${formatBytes(this.bytes)})`);
  }
}

/**
 * Works through items in order, `width` at a time; takes no new item once `stop.value` is set or
 * one failed, and ends (with the first failure) only when the work under way has: the caller
 * removes the folder after a failure, and no fetch may still be writing into it.
 */
async function inParallel<T>(
  items: T[],
  width: number,
  work: (item: T) => Promise<void>,
  stop: { value: boolean } = { value: false },
): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length && !stop.value && !failed)
        await work(items[next++]).catch((error: unknown) => void (failed ??= { error }));
    }),
  );
  if (failed) throw failed.error;
}
