import { EMAIL_ADDRESS } from '../../src/infra/config/email-address';
import { loadConfig } from '../../src/infra/config/config';
import { OnCallRoster } from '../../src/operations/dr/stand-ins';

describe('one rule for an e-mail address', () => {
  test.each([
    ['oncall@example.com', true],
    ['first.last+tag@sub.example.co.uk', true],
    ['root@localhost', true],
    ['no-at-sign.example.com', false],
    ['two@@example.com', false],
    ['a@b@c', false],
    ['with space@example.com', false],
    ['a@example.com,b@example.com', false],
    ['@example.com', false],
    ['oncall@', false],
    ['', false],
  ])('%j is an address: %s', (text, taken) => {
    expect(EMAIL_ADDRESS.test(text)).toBe(taken);
  });

  // The places that read addresses agree: one the configuration refuses, a stand-in refuses too.
  test.each(['a@b@c', 'with space@example.com'])('%j is refused by the configuration and by the roster', (who) => {
    const roster = new OnCallRoster();
    const now = new Date('2026-12-07T10:00:00Z');
    expect(
      roster.refusal({ matrix: 'default', who, from: now.toISOString(), until: '2026-12-08T10:00:00Z', setBy: 't' }, now),
    ).toMatch(/is not an e-mail address/);
    const env = { DATABASE_URL: 'postgres://u@h/shop', SMTP_HOST: 'mail.example.com', NOTIFY_EMAIL_TO: 'team@example.com' };
    for (const variable of ['NOTIFY_EMAIL_TO', 'ESCALATION_ONCALL'])
      expect(() => loadConfig({ ...env, [variable]: who })).toThrow(`${variable}: "${who}" is not an e-mail address`);
  });
});
