/**
 * `pgwarden restore` serves two restores: a backup into a database, and (--pitr) the server as
 * of a point into a new instance. An option of the other kind is refused in one line, not
 * ignored: `--to` without `--pitr` would restore the newest backup, not the server as of that
 * time. Pure.
 */
const POINT_IN_TIME_ONLY: Record<string, string> = {
  to: '--to',
  toLsn: '--to-lsn',
  toName: '--to-name',
  base: '--base',
  server: '--server',
  port: '--port',
  dataDir: '--data-dir',
  stopAfter: '--stop-after',
};
const BACKUP_ONLY: Record<string, string> = {
  database: '--database',
  file: '--file',
  newDb: '--new-db',
  force: '--force',
  createRoles: '--create-roles',
  approve: '--approve',
  reject: '--reject',
  as: '--as',
  note: '--note',
  list: '--list',
};

export function restoreOptionsProblem(options: Record<string, unknown>): string | undefined {
  const given = (flags: Record<string, string>) =>
    Object.entries(flags)
      .filter(([key]) => options[key] !== undefined && options[key] !== false)
      .map(([, flag]) => flag);
  const are = (flags: string[]) => `${flags.join(', ')} ${flags.length === 1 ? 'is' : 'are'}`;
  if (options.pitr) {
    // Negated options are true unless given.
    const wrong = [
      ...given(BACKUP_ONLY),
      ...(options.owner === false ? ['--no-owner'] : []),
      ...(options.wait === false ? ['--no-wait'] : []),
    ];
    if (wrong.length)
      return `${are(wrong)} for restoring a backup, not for --pitr (the server as of a point, into a new instance: --server, --to, --to-lsn, --to-name, --base, --port, --data-dir, --stop-after)`;
    return undefined;
  }
  const wrong = given(POINT_IN_TIME_ONLY);
  if (wrong.length)
    return `${are(wrong)} for a point-in-time restore: add --pitr (without it, pgwarden restore restores a backup, the newest unless --file)`;
  return undefined;
}
