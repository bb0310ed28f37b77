/**
 * The decisions of a base backup copied through the spool (a server with tablespaces, which
 * pg_basebackup writes only to a folder, one tar per tablespace), as plain code: which tar is
 * complete, and when pg_basebackup must wait for the upload to catch up.
 *
 * pg_basebackup (15+) closes each tar before it creates the next, and the server sends the main
 * tablespace (base) last; pg_basebackup finishes that one only after the backup_manifest, as it
 * exits. So a tar is complete once a later one exists, or once pg_basebackup has exited.
 */

/** The tars in the order they were created (the folder's creation events). */
export class TarArrivals {
  private readonly order: string[] = [];
  private ended = false;

  /** `suffix`: `.tar` and the compression's (`.tar.zst`). */
  constructor(private readonly suffix: string) {}

  /** A file appeared in the folder; anything but a tar (backup_manifest.tmp) is not one. */
  created(name: string): void {
    if (name.endsWith(this.suffix) && !this.order.includes(name)) this.order.push(name);
  }

  /** pg_basebackup exited: every tar is as complete as it will be. */
  exited(): void {
    this.ended = true;
  }

  get hasExited(): boolean {
    return this.ended;
  }

  /** The n-th tar created (from 0), if it exists yet. */
  at(n: number): string | undefined {
    return this.order[n];
  }

  /** Closed by pg_basebackup: a later tar exists, or it exited. */
  complete(name: string): boolean {
    return this.ended || this.completeBefore(name);
  }

  /** Closed before a later tar was created: whole whatever pg_basebackup's exit. */
  completeBefore(name: string): boolean {
    const i = this.order.indexOf(name);
    return i >= 0 && i < this.order.length - 1;
  }
}

/**
 * Whether pg_basebackup should be stopped (SIGSTOP) now, with the spool's tars taking
 * `diskBytes` (what is written but not read and released yet) against `limitBytes`; it goes on
 * once the upload has brought that down to half, so it is not stopped and started every moment.
 */
export function spoolWriterPaused(diskBytes: number, paused: boolean, limitBytes: number): boolean {
  return paused ? diskBytes > limitBytes / 2 : diskBytes > limitBytes;
}

/** How often the reader gives read bytes back to the disk: a quarter of the limit, at most 32 MiB. */
export const releaseEvery = (limitBytes: number) => Math.max(64 * 1024, Math.min(32 * 1024 * 1024, Math.floor(limitBytes / 4)));
