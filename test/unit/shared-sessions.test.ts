import { sessionsShared } from '../../src/infra/postgres/shared-sessions';

describe('sessionsShared: server processes of two clients, statement by statement', () => {
  it.each([
    ['a direct connection, or a pool in session mode', [10, 10, 10], [11, 11, 11], false],
    ['a quiet transaction pool: both clients on the one free session', [10, 10, 10], [10, 10, 10], true],
    ['a busy transaction pool: the first client moves', [10, 12, 10], [11, 11, 11], true],
    ['a busy transaction pool: the second client moves', [10, 10, 10], [11, 13, 11], true],
    ['a session given to one client, then the other', [10, 11, 11], [11, 12, 12], true],
    ['one statement each, different sessions: nothing seen', [10], [11], false],
  ])('%s', (_case, first, second, shared) => {
    expect(sessionsShared(first, second)).toBe(shared);
  });
});
