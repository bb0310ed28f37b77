/**
 * The WAL a point-in-time recovery reads, fetched from the archive in order beside everything
 * else: while the base backup is unpacked and while recovery replays. restore_command waits for
 * a segment not fetched yet (src/operations/pitr/target.ts, fetchedWalCommand) until the marker
 * file says all are there; no process of ours runs per segment. Timeline histories come first:
 * recovery reads them at once. An inspector, when given, looks at each segment before recovery
 * may read it, in order, and may end the WAL there (see tablespace-guard.ts).
 */
import { renameSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
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

/**
 * Looks at a fetched segment (at `path`) before recovery may read it, with the segment before
 * it when that one was looked at just before (a record may cross from it into this one).
 * 'end': the WAL ends in this segment (the inspector cut it); nothing after it is served.
 */
export type WalInspector = (
  segment: { path: string; name: string },
  previous: { path: string; name: string } | undefined,
) => Promise<'end' | undefined>;

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
  /** The inspections, one after another in the archive's order: each waits for the one before. */
  private lastInspection: Promise<{ path: string; name: string } | 'end' | undefined> = Promise.resolve(undefined);

  constructor(
    private readonly from: { bucket: Bucket; keyring: Keyring },
    private readonly needed: WalFile[],
    private readonly into: { walDir: string; runAs: RunAs; doneMarker: string },
    private readonly beat: (summary: string) => void,
    /** Run on each segment fetched before recovery may read it; a failure fails the fetch. */
    private readonly inspect?: WalInspector,
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
    // Taken in order (before any await), so each inspection waits for the one of the file before.
    const segment = this.inspect && parseHistoryFileName(name) === undefined;
    const before = this.lastInspection;
    let inspected!: (r: { path: string; name: string } | 'end' | undefined) => void;
    if (segment) this.lastInspection = new Promise((resolve) => (inspected = resolve));
    // Written aside and renamed: restore_command must never copy half a file.
    const file = join(this.into.walDir, name);
    try {
      const bytes = await saveWalFile(this.from.bucket, key, this.from.keyring, `${file}.part`).catch(async (err: unknown) => {
        await rm(`${file}.part`, { force: true }); // a damaged object fails midway: nothing half written stays
        throw err;
      });
      if (bytes === undefined) throw new BackupError(`WAL file ${name} disappeared from the archive while restoring`);
      if (segment) {
        const previous = await before;
        // The WAL ended before this segment: it is not served.
        if (previous === 'end') {
          await rm(`${file}.part`, { force: true });
          inspected('end');
          return;
        }
        const said = await this.inspect!({ path: `${file}.part`, name }, previous).catch(async (err: unknown) => {
          await rm(`${file}.part`, { force: true });
          throw err;
        });
        if (said === 'end') this.enough.value = true;
        this.served(file, name, bytes);
        inspected(said === 'end' ? 'end' : { path: file, name });
        return;
      }
      this.served(file, name, bytes);
    } finally {
      inspected?.(undefined); // a failure: the next looks without this one (the fetch fails anyway)
    }
  }

  /** Renamed into place: from now on recovery may read it. */
  private served(file: string, name: string, bytes: number): void {
    handOver(`${file}.part`, this.into.runAs);
    renameSync(`${file}.part`, file);
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
