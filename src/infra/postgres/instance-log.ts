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
