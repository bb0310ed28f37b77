/**
 * What pg_basebackup says on stderr while it copies (with `--verbose --progress`, in the C
 * locale): the WAL range the copy needs and how far it has got. Read line by line as it comes,
 * because a long copy's progress lines push the start point out of any tail kept for errors.
 * Pure: lines in, figures out.
 */
import { WalPoint, walPoint } from './base-backup';

const START = /write-ahead log start point: ([0-9A-F]+\/[0-9A-F]+) on timeline (\d+)/i;
const END = /write-ahead log end point: ([0-9A-F]+\/[0-9A-F]+)/i;
/** `  123456/777000 kB (15%), 0/1 tablespace (...)`; the total is the server's estimate until the end. */
const PROGRESS = /^\s*(\d+)\/(\d+) kB \((\d+)%\)/;

export class BasebackupOutput {
  private start?: { lsn: string; timeline: number };
  private end?: string;
  /** Bytes of the tar stream the server sent so far, to the kB (uncompressed). */
  doneBytes = 0;
  /** The server's estimate of the whole copy. */
  totalBytes = 0;
  percent = 0;

  line(text: string): void {
    const progress = PROGRESS.exec(text);
    if (progress) {
      this.doneBytes = Number(progress[1]) * 1024;
      this.totalBytes = Number(progress[2]) * 1024;
      this.percent = Number(progress[3]);
      return;
    }
    const start = START.exec(text);
    if (start) this.start = { lsn: start[1], timeline: Number(start[2]) };
    const end = END.exec(text);
    if (end) this.end = end[1];
  }

  /** Start and stop of the backup; fails when pg_basebackup did not say them. */
  points(segmentBytes: number): { start: WalPoint; stop: WalPoint } {
    if (!this.start || !this.end)
      throw new Error(
        `pg_basebackup did not report its WAL ${this.start ? 'end' : 'start'} point (is it run with --verbose and --wal-method=fetch?)`,
      );
    return {
      start: walPoint(this.start.lsn, this.start.timeline, segmentBytes),
      stop: walPoint(this.end, this.start.timeline, segmentBytes),
    };
  }
}
