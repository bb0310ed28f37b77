import {
  isLockTableFull,
  LockTable,
  lockTableProblem,
  lockTableWarning,
  suggestedLocksPerTransaction,
} from '../../src/infra/postgres/lock-table';

const server = (tables: number, locksPerTransaction = 64, sessions = 122): LockTable => ({
  locksPerTransaction,
  sessions,
  tables,
});

describe('suggestedLocksPerTransaction: room for twice the tables, in steps of 64', () => {
  it.each([
    [server(10), 64],
    [server(3904), 64],
    [server(3905), 128],
    [server(4001, 64, 42), 192],
    [server(20_000), 384],
    [server(100_000, 64, 1000), 256],
  ])('%j -> %d', (lt, suggested) => expect(suggestedLocksPerTransaction(lt)).toBe(suggested));
});

describe('lockTableWarning: when the tables take more than half of the lock table', () => {
  it.each([
    ['a small database', server(100), undefined],
    ['exactly half', server(3904), undefined],
    ['just over half', server(3905), 'shop has 3905 tables and partitions'],
    ['a raised setting', server(10_000, 256), undefined],
  ])('%s', (_, lt, said) => {
    const warning = lockTableWarning('shop', lt);
    if (said === undefined) expect(warning).toBeUndefined();
    else expect(warning).toContain(said);
  });

  it('says the size, the sessions and the value to set', () => {
    expect(lockTableWarning('shop', server(6000))).toBe(
      `shop has 6000 tables and partitions, and pg_dump holds a lock on each until it ends; the server's lock table holds about 7808 locks (max_locks_per_transaction 64 × 122 sessions) for every session together, so a backup may fail with "out of shared memory": raise max_locks_per_transaction to 128 on the server (it takes a restart)`,
    );
  });
});

describe('isLockTableFull', () => {
  it.each([
    ['out of shared memory', true],
    ['ERROR:  out of shared memory\nHINT:  You might need to increase max_locks_per_transaction.', true],
    ['ERROR:  out of shared memory\nHINT:  You might need to increase max_pred_locks_per_transaction.', false],
    ['could not resize shared memory segment', false],
  ])('%j', (text, full) => expect(isLockTableFull(text)).toBe(full));
});

it('lockTableProblem keeps what was said and adds the setting', () => {
  expect(lockTableProblem('out of shared memory')).toMatch(/^out of shared memory; .*raise max_locks_per_transaction/);
});
