import { operatorIdentity } from '../../src/app/cli/operator';

describe('who approves', () => {
  it.each([
    ['alice', {}, 'root', 'alice'],
    [' ', { PGWARDEN_OPERATOR: 'bob@shop' }, 'root', 'bob@shop'],
    [undefined, { PGWARDEN_OPERATOR: 'bob@shop' }, 'carol', 'bob@shop'],
    [undefined, {}, 'carol', 'carol'],
  ])('--as %j, %j, login %s: %s', (as, env, login, expected) => expect(operatorIdentity(as, env, login)).toBe(expected));

  it('refuses root, which tells managers nothing', () => {
    expect(() => operatorIdentity(undefined, {}, 'root')).toThrow(
      'say who you are: pass --as <name> or set PGWARDEN_OPERATOR (the login name here is root, which tells the people notified nothing)',
    );
  });
});
