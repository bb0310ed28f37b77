/** The CLI's live progress line, drawn from the dump activity's heartbeat details. */
import { BackupProgress, formatBytes } from '../../operations/backup/progress';

export function progressLine(p: BackupProgress | undefined, step: string, elapsedMs: number): string {
  const clock = `${Math.floor(elapsedMs / 60000)}:${String(Math.floor(elapsedMs / 1000) % 60).padStart(2, '0')}`;
  if (!p) return `[${clock}] ${step}`;
  if (p.phase === 'dumping' || p.phase === 'uploading globals' || p.phase === 'uploaded') {
    const seconds = p.elapsedMs / 1000;
    const rate = seconds > 0 ? ` at ${formatBytes(p.storedBytes / seconds)}/s` : '';
    const waiting = p.waitingFor ? `; ${p.waitingFor}` : '';
    return `[${clock}] ${p.phase}: ${formatBytes(p.rawBytes)} dumped, ${formatBytes(p.storedBytes)} uploaded${rate}${waiting}`;
  }
  return `[${clock}] ${p.summary}`;
}
