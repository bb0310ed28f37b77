import {
  decideRetention,
  holdWhileRead,
  isoWeekKey,
  RetentionCandidate,
  RetentionDecision,
} from '../../src/operations/cleanup/retention';
import { expiryWarnings, mergeRules, pgwardenRule } from '../../src/infra/storage/lifecycle';

const now = new Date('2024-06-30T12:00:00Z');
const DAY = 86_400_000;
/** One backup a day at 02:00 UTC for `days` days before `now`. */
function daily(days: number, extra: Partial<Record<number, Partial<RetentionCandidate>>> = {}): RetentionCandidate[] {
  return Array.from({ length: days }, (_, i) => {
    const takenAt = new Date(Date.UTC(2024, 5, 30, 2) - i * DAY);
    const id = `backup_${takenAt.toISOString().slice(0, 10).replace(/-/g, '')}_020000`;
    return { backupId: id, takenAt, verified: false, lockedUntil: null, ...extra[i] };
  });
}
const kept = (ds: ReturnType<typeof decideRetention>) => ds.filter((d) => d.action !== 'delete').map((d) => d.backupId);

describe('age retention', () => {
  it('keeps what is younger than the retention, the newest N and the newest verified', () => {
    const backups = daily(100, { 60: { verified: true } });
    const ds = decideRetention(backups, { retentionDays: 30, keepLast: 3 }, now);
    expect(kept(ds)).toEqual([...backups.slice(0, 30).map((b) => b.backupId), backups[60].backupId]);
    expect(ds.find((d) => d.backupId === backups[60].backupId)!.reasons).toEqual(['the newest verified backup']);
    expect(ds.find((d) => d.backupId === backups[99].backupId)).toEqual({
      backupId: backups[99].backupId,
      action: 'delete',
      reasons: ['older than 30 days'],
    });
  });

  it('never deletes the newest backups, however old they are', () => {
    const old = daily(5).map((b) => ({ ...b, takenAt: new Date(b.takenAt.getTime() - 400 * DAY) }));
    expect(kept(decideRetention(old, { retentionDays: 30, keepLast: 3 }, now))).toEqual(old.slice(0, 3).map((b) => b.backupId));
  });

  it('reports a locked backup as kept until its lock ends', () => {
    const until = new Date(now.getTime() + 5 * DAY);
    const ds = decideRetention(daily(40, { 35: { lockedUntil: until } }), { retentionDays: 30, keepLast: 1 }, now);
    expect(ds.filter((d) => d.action === 'locked')).toEqual([
      expect.objectContaining({
        lockedUntil: until.toISOString(),
        reasons: ['older than 30 days', `S3 Object Lock until ${until.toISOString()}`],
      }),
    ]);
  });

  it('deletes nothing more on a second run over what it kept', () => {
    const backups = daily(100, { 60: { verified: true } });
    const first = decideRetention(backups, { retentionDays: 30, keepLast: 3 }, now);
    const survivors = backups.filter((b) => kept(first).includes(b.backupId));
    expect(decideRetention(survivors, { retentionDays: 30, keepLast: 3 }, now).filter((d) => d.action === 'delete')).toEqual([]);
  });
});

describe('grandfather-father-son', () => {
  it('keeps the newest of each of the last D days, W ISO weeks and M months', () => {
    const backups = daily(100);
    const ds = decideRetention(backups, { retentionDays: 30, keepLast: 1, gfs: { daily: 7, weekly: 4, monthly: 3 } }, now);
    const ids = kept(ds);
    // 7 daily (June 24-30), weekly newest of ISO weeks 26, 25, 24, 23 (Sundays June 30, 23, 16, 9),
    // monthly newest of June, May, April: June 30, May 31, April 30.
    expect(ids).toEqual([
      'backup_20240630_020000',
      'backup_20240629_020000',
      'backup_20240628_020000',
      'backup_20240627_020000',
      'backup_20240626_020000',
      'backup_20240625_020000',
      'backup_20240624_020000',
      'backup_20240623_020000',
      'backup_20240616_020000',
      'backup_20240609_020000',
      'backup_20240531_020000',
      'backup_20240430_020000',
    ]);
    expect(ds.find((d) => d.backupId === 'backup_20240531_020000')!.reasons).toEqual(['monthly (last 3 months)']);
  });

  it.each([
    ['2024-01-01', '2024-W01'],
    ['2023-01-01', '2022-W52'],
    ['2020-12-31', '2020-W53'],
    ['2024-06-30', '2024-W26'],
  ])('%s is in ISO week %s', (day, week) => expect(isoWeekKey(new Date(`${day}T12:00:00Z`))).toBe(week));
});

describe('held while a restore may read', () => {
  const decisions: RetentionDecision[] = [
    { backupId: 'backup_20261101_020000', action: 'keep', reasons: ['one of the newest 3 (#1)'] },
    { backupId: 'backup_20261001_020000', action: 'delete', reasons: ['older than 30 days'] },
    { backupId: 'backup_20260901_020000', action: 'locked', reasons: ['under Object Lock'], lockedUntil: '2027-01-01T00:00:00Z' },
  ];
  const restore = { operation: 'restore', workflowId: 'restore-shop-20261201-040000' };
  it.each([
    ['nothing runs: the decisions stand', [], ['keep', 'delete', 'locked']],
    ['a restore runs: nothing is deleted', [restore], ['keep', 'keep', 'locked']],
    ['an incident and a drill run', [{ operation: 'dr', workflowId: 'dr-shop' }, restore], ['keep', 'keep', 'locked']],
  ])('%s', (_, readers, actions) => {
    expect(holdWhileRead(decisions, readers).map((d) => d.action)).toEqual(actions);
  });
  it('says which run holds a backup, and that the next cleanup deletes it', () => {
    expect(holdWhileRead(decisions, [{ operation: 'dr', workflowId: 'dr-shop' }, restore])[1].reasons).toEqual([
      'held: dr dr-shop and 1 other run(s) may read it; the first cleanup after they end deletes it',
    ]);
    expect(holdWhileRead(decisions, [restore])[0]).toBe(decisions[0]);
  });
});

describe('S3 lifecycle', () => {
  const rule = pgwardenRule('database-backups', { glacierAfterDays: 30, deepArchiveAfterDays: 90 });
  it('moves only tagged data objects under the prefix', () => {
    expect(rule).toMatchObject({
      ID: 'pgwarden-database-backups',
      Filter: { And: { Prefix: 'database-backups/', Tags: [{ Key: 'pgwarden-kind', Value: 'data' }] } },
      Transitions: [
        { Days: 30, StorageClass: 'GLACIER' },
        { Days: 90, StorageClass: 'DEEP_ARCHIVE' },
      ],
    });
  });
  it('merges into existing rules idempotently', () => {
    const other = { ID: 'logs', Status: 'Enabled' as const, Filter: { Prefix: 'logs/' }, Expiration: { Days: 7 } };
    const first = mergeRules([other], rule);
    expect(first).toEqual({ rules: [other, rule], changed: true });
    expect(mergeRules(first.rules, rule)).toEqual({ rules: [other, rule], changed: false });
    expect(
      mergeRules(first.rules, pgwardenRule('database-backups', { glacierAfterDays: 45, deepArchiveAfterDays: 120 })).changed,
    ).toBe(true);
  });
  it('warns about rules that expire backups before the retention keeps them', () => {
    const rules = [
      { ID: 'tidy', Status: 'Enabled' as const, Filter: { Prefix: '' }, Expiration: { Days: 14 } },
      { ID: 'logs', Status: 'Enabled' as const, Filter: { Prefix: 'logs/' }, Expiration: { Days: 7 } },
      { ID: 'long', Status: 'Enabled' as const, Filter: { Prefix: 'database-backups/' }, Expiration: { Days: 400 } },
    ];
    expect(expiryWarnings(rules, 'database-backups', 30)).toEqual([
      expect.stringMatching(
        /^lifecycle rule "tidy" expires objects under "\/" after 14 days, before pgwarden's retention keeps them \(30 days\)/,
      ),
    ]);
  });
});
