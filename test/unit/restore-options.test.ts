/** `pgwarden restore` refuses an option of the other kind of restore instead of ignoring it. */
import { restoreOptionsProblem } from '../../src/app/cli/restore-options';

describe('restoreOptionsProblem', () => {
  // As commander gives them: negated options (--no-owner, --no-wait) default to true, --approval-timeout to '60'.
  const defaults = { owner: true, wait: true, approvalTimeout: '60' };
  it.each([
    [{ newDb: 'copy' }, undefined],
    [{ file: 'backup_20261130_020000', force: true, createRoles: true, owner: false, json: true }, undefined],
    [{ pitr: true, to: 'latest', server: 'shop', port: '6543', stopAfter: true, json: true }, undefined],
    [{ pitr: true, toLsn: '0/3000000', dataDir: '/srv/pitr' }, undefined],
    [{ pitr: true, toName: 'sql-point', base: 'base_20261122_010000' }, undefined],
    [{ base: 'base_20261122_010000' }, '--base is for a point-in-time restore: add --pitr'],
    [
      { to: '2026-11-29T10:15:00Z', newDb: 'copy' },
      '--to is for a point-in-time restore: add --pitr (without it, pgwarden restore restores a backup, the newest unless --file)',
    ],
    [{ toName: 'before_migration', port: '6543' }, '--to-name, --port are for a point-in-time restore: add --pitr'],
    [
      { pitr: true, to: 'latest', newDb: 'copy' },
      '--new-db is for restoring a backup, not for --pitr (the server as of a point, into a new instance: --server, --to, --to-lsn, --to-name, --base, --port, --data-dir, --stop-after)',
    ],
    [
      { pitr: true, to: 'latest', database: 'shop', force: true },
      '--database, --force are for restoring a backup, not for --pitr',
    ],
    [{ pitr: true, to: 'latest', owner: false, wait: false }, '--no-owner, --no-wait are for restoring a backup, not for --pitr'],
    [{ pitr: true, to: 'latest', createRoles: true }, '--create-roles is for restoring a backup, not for --pitr'],
  ])('%j: %s', (given, problem) => {
    const found = restoreOptionsProblem({ ...defaults, ...given });
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(new RegExp(`^${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});
