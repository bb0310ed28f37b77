/** Progress of a running backup as heartbeat details: figures for machines, a line for people. */
export type BackupPhase = 'connecting' | 'dumping' | 'uploading globals' | 'uploaded';

export interface BackupProgress {
  phase: BackupPhase;
  /** Bytes read from pg_dump so far. */
  rawBytes: number;
  /** Bytes uploaded (encrypted) so far. */
  storedBytes: number;
  tablesCounted: number;
  tablesTotal: number;
  elapsedMs: number;
  /** While pg_dump has written nothing for a while: the lock it waits for, and whose (describeLockWaits). */
  waitingFor?: string;
  /** A sentence a person reads in the Temporal UI's pending-activity view. */
  summary: string;
}

/**
 * Whether a dump's output stands still: fed the bytes so far at each tick, true once they have
 * not moved for `afterMs`. A state machine, so the activity only asks.
 */
export class StallWatch {
  private last = -1;
  private since = 0;
  constructor(private readonly afterMs: number) {}

  observe(bytes: number, now: number): boolean {
    if (bytes !== this.last) {
      this.last = bytes;
      this.since = now;
      return false;
    }
    return now - this.since >= this.afterMs;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  // Whole bytes: a rate is a fraction, and 1023.6 B is 1.0 KiB.
  let v = Math.round(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function describeProgress(p: Omit<BackupProgress, 'summary'>): string {
  const seconds = p.elapsedMs / 1000;
  switch (p.phase) {
    case 'connecting':
      return 'connecting to the database';
    case 'dumping': {
      const rate = seconds > 0 ? ` at ${formatBytes(p.storedBytes / seconds)}/s` : '';
      const counting = p.tablesCounted < p.tablesTotal ? `; rows counted in ${p.tablesCounted} of ${p.tablesTotal} tables` : '';
      const waiting = p.waitingFor ? `; ${p.waitingFor}` : '';
      return `dumping: ${formatBytes(p.rawBytes)} from pg_dump, ${formatBytes(p.storedBytes)} encrypted and uploaded${rate}${counting}${waiting}`;
    }
    case 'uploading globals':
      return `uploading roles and tablespaces (globals); database dump done: ${formatBytes(p.storedBytes)}`;
    case 'uploaded':
      return `uploaded ${formatBytes(p.storedBytes)} in ${seconds.toFixed(1)}s`;
  }
}

export function progress(p: Omit<BackupProgress, 'summary'>): BackupProgress {
  return { ...p, summary: describeProgress(p) };
}
