/**
 * V8 heap tuning for a worker that streams backups. V8 sets the next full-GC threshold from the
 * live heap (about 50 MB here) with little headroom, and a backup's short-lived stream buffers
 * then keep a full marking cycle running almost all the time: measured, about ten major GCs per
 * 27 MB stored and 0.3-0.4 CPU-seconds of marking per backup, on the same cores pg_dump and the
 * database need. Letting the heap grow to twice its live size between full GCs removes them, for
 * a few tens of MB of heap that do not depend on the database's size.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;

export function tuneHeapForStreaming(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
