/**
 * Reads the WAL range of a base backup out of the tar stream pg_basebackup writes, on the way
 * to S3 (a stream, so it stays out of the workflow bundle that base-backup.ts is part of).
 */
import { Transform, TransformCallback } from 'node:stream';
import { WalPoint, walPoint } from './base-backup';

const WAL_RANGE =
  /"WAL-Ranges"\s*:\s*\[\s*\{\s*"Timeline"\s*:\s*(\d+)\s*,\s*"Start-LSN"\s*:\s*"([0-9A-F]+\/[0-9A-F]+)"\s*,\s*"End-LSN"\s*:\s*"([0-9A-F]+\/[0-9A-F]+)"/i;

/**
 * The WAL a base backup needs, from PostgreSQL's backup_manifest (`"WAL-Ranges": [{"Timeline": 1,
 * "Start-LSN": ..., "End-LSN": ...}]`), found in the tar stream as it passes: pg_basebackup
 * --wal-method=none does not report its end point. The window keeps the end of the previous
 * chunk, so a range split across chunks is still found.
 */
export class WalRangeSniffer extends Transform {
  private static readonly MARKER = Buffer.from('"WAL-Ranges"');
  /** The end of the previous chunk, for a marker split across two. */
  private tail = Buffer.alloc(0);
  /** Text from the marker on, until the range is complete. */
  private pending?: string;
  range?: { timeline: number; start: string; end: string };

  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    if (!this.range) this.look(chunk);
    done(null, chunk);
  }

  private look(chunk: Buffer): void {
    const marker = WalRangeSniffer.MARKER;
    if (this.pending === undefined) {
      // Scanned as bytes: the multi-gigabyte copy is never turned into text.
      const edge = Buffer.concat([this.tail, chunk.subarray(0, marker.length)]);
      const atEdge = edge.indexOf(marker);
      const inChunk = chunk.indexOf(marker);
      if (atEdge >= 0 && atEdge < this.tail.length)
        this.pending = edge.subarray(atEdge).toString('latin1') + chunk.subarray(marker.length).toString('latin1');
      else if (inChunk >= 0) this.pending = chunk.subarray(inChunk).toString('latin1');
      this.tail = Buffer.from(
        chunk.length >= marker.length
          ? chunk.subarray(-marker.length)
          : Buffer.concat([this.tail, chunk]).subarray(-marker.length),
      );
    } else this.pending += chunk.toString('latin1');
    if (this.pending === undefined) return;
    const m = WAL_RANGE.exec(this.pending);
    if (m) {
      this.range = { timeline: Number(m[1]), start: m[2], end: m[3] };
      this.pending = undefined;
    } else if (this.pending.length > 1024 * 1024) this.pending = undefined;
  }

  /** Start and stop of the backup; fails when the stream held no manifest. */
  points(segmentBytes: number): { start: WalPoint; stop: WalPoint } {
    if (!this.range) throw new Error('the base backup stream held no backup_manifest with a WAL range');
    return {
      start: walPoint(this.range.start, this.range.timeline, segmentBytes),
      stop: walPoint(this.range.end, this.range.timeline, segmentBytes),
    };
  }
}
