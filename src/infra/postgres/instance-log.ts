/**
 * Why an instance pgwarden started stopped, from its log: the last FATAL or PANIC line that the
 * server itself wrote. Connections turned away while it starts or recovers (pg_ctl's own
 * readiness checks among them) log FATALs too, and one of those can land after the real
 * reason; they say nothing about why recovery stopped. Pure.
 */
const TURNED_AWAY =
  /the database system is (starting up|in recovery mode|not yet accepting connections|not accepting connections|shutting down)/;

export function lastServerFatal(logText: string): string | undefined {
  const line = logText
    .split('\n')
    .filter((l) => /(FATAL|PANIC):/.test(l) && !TURNED_AWAY.test(l))
    .at(-1);
  return line?.replace(/^.*?(FATAL|PANIC):\s*/, '');
}

/** The log's last lines, for an instance that stopped without a FATAL line (killed, or a child process lost). */
export function lastLogLines(logText: string, count = 3): string {
  const lines = logText
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count);
  return lines.length ? lines.join(' | ') : 'its log is empty';
}
