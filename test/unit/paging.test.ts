/** What pages someone, what ends a page, and the event PagerDuty is sent: from the real notices. */
import { renderEmail, type Notice } from '../../src/infra/notify/notice';
import { pagesOf, pagerDutyEvent, PAGING } from '../../src/infra/notify/paging';
import { sendPagerDuty } from '../../src/infra/notify/pagerduty';
import { Secret } from '../../src/infra/config/secret';
import { backupNotice, checkedNotice, checkFailedNotice, freshnessNotice } from '../../src/operations/backup/notices';
import { cleanupFailedNotice, cleanupNotice } from '../../src/operations/cleanup/notices';
import { incidentNotice, type IncidentNoticeKind } from '../../src/operations/dr/notices';
import {
  baseBackupNotice,
  baseVerificationNotice,
  walVerificationNotice,
  walVerifiedNotice,
  walWatchNotice,
} from '../../src/operations/pitr/notices';
import { restoreTestNotice, restoreTestRunFailedNotice } from '../../src/operations/restore-test/notices';
import { restorePart, restoreTestReport } from '../../src/operations/restore-test/restore-test';
import { restoreNotice } from '../../src/operations/restore/notices';
import { verificationNotice, verifyRunFailedNotice } from '../../src/operations/verify/notices';
import type { VerificationRecord } from '../../src/operations/verify/verification';
import type { CleanupReport } from '../../src/operations/cleanup/notices';
import type { BaseBackupVerification } from '../../src/operations/pitr/base-verification';
import type { WalVerification } from '../../src/operations/pitr/wal-verification';
import type { FreshnessReport } from '../../src/operations/backup/freshness';

const failed = { database: 'shop', errorType: 'StorageError', message: 'bucket gone', workflowId: 'wf-1' };
const backupDone = {
  status: 'succeeded' as const,
  database: 'shop',
  backupId: 'backup_20261207_010000',
  storedBytes: 10,
  rawBytes: 20,
  tables: 3,
  durationMs: 1000,
  bucket: 'b',
  dataKey: 'k',
  manifestKey: 'm',
  reason: 'scheduled',
  workflowId: 'wf-1',
};
const verification = (status: 'passed' | 'failed') =>
  ({
    status,
    database: 'shop',
    backupId: 'backup_20261207_010000',
    failures: status === 'failed' ? ['row counts differ'] : [],
    warnings: [],
    checks: { restore: { restoreMs: 1000 } },
    durationMs: 2000,
    workflow: { id: 'verify-shop-1' },
  }) as unknown as VerificationRecord;
const cleanup = {
  database: 'shop',
  deleted: [],
  kept: [],
  locked: [],
  warnings: [],
  orphansRemoved: 0,
  uploadsAborted: 0,
  lifecycle: 'set',
  workflowId: 'cleanup-shop-1',
} as unknown as CleanupReport;
const baseVerification = (status: 'passed' | 'failed') =>
  ({
    status,
    server: 'main',
    backupId: 'base_20261207_010000',
    failures: ['pg_verifybackup: checksum mismatch'],
    rowCounts: { compared: true, tables: 3 },
    recovery: { lsn: '0/3000000', seconds: 4 },
    durationMs: 5000,
  }) as unknown as BaseBackupVerification;
const report = (passed: boolean) =>
  restoreTestReport({
    id: 'restore-test-shop-1',
    database: 'shop',
    startedAt: '2026-12-07T05:00:00Z',
    finishedAt: '2026-12-07T05:01:00Z',
    parts: [restorePart('logical', 'the newest backup', passed ? { restoreMs: 1000, checks: [] } : { failure: 'no bucket' })],
    pointInTimeSkipped: 'not archived',
  });

function incident(kind: IncidentNoticeKind, drill = false): Notice {
  const brief = {
    incidentId: 'dr-shop-20261207T010000Z',
    database: 'shop',
    severity: drill ? 'DRILL' : 'SEV1',
    summary: 'orders wiped',
    step: 'Assess',
    openedAt: '2026-12-07T01:00:00.000Z',
    failureTime: '2026-12-07T00:55:00.000Z',
    acknowledgedBy: 'bob',
    outcome: 'resolved',
  };
  return incidentNotice(kind, brief, new Date('2026-12-07T01:10:00Z'));
}

/** Every notice the pager hears of, as the operations build them. */
const notices: Notice[] = [
  backupNotice(backupDone),
  backupNotice({ ...failed, status: 'failed', backupId: 'backup_20261207_010000', reason: 'scheduled' }),
  freshnessNotice({ database: 'shop', problems: ['no backup for 30 h'] } as FreshnessReport, 'check-1'),
  checkFailedNotice(failed),
  checkedNotice('shop', 'check-1'),
  verificationNotice(verification('passed')),
  verificationNotice(verification('failed')),
  verifyRunFailedNotice({ ...failed, during: 'restoring', verified: [] }),
  cleanupNotice(cleanup),
  cleanupFailedNotice(failed),
  restoreTestNotice(report(true), 's3://b/r.md'),
  restoreTestNotice(report(false), 's3://b/r.md'),
  restoreTestRunFailedNotice({ ...failed, during: 'restoring', tested: [] }),
  baseBackupNotice({ status: 'failed', server: 'main', errorType: 'X', message: 'y', reason: 'scheduled', workflowId: 'wf-2' }),
  baseBackupNotice({
    status: 'succeeded',
    server: 'main',
    backupId: 'base_1',
    storedBytes: 1,
    walFrom: '0/2000028',
    durationMs: 1,
    reason: 'scheduled',
    workflowId: 'wf-2',
  } as never),
  baseVerificationNotice(baseVerification('passed')),
  baseVerificationNotice(baseVerification('failed')),
  walWatchNotice({ kind: 'behind', server: 'main', problems: ['lag'], lagSeconds: 300 }),
  walWatchNotice({ kind: 'caught-up', server: 'main', lagSeconds: 2 }),
  walWatchNotice({ kind: 'stopped', server: 'main', reason: 'a gap' }),
  walWatchNotice({ kind: 'archiving', server: 'main' }),
  walWatchNotice({ kind: 'archive-command-failing', server: 'main', problem: 'exit 3' }),
  walWatchNotice({ kind: 'archive-command-recovered', server: 'main' }),
  walVerificationNotice({ status: 'failed', server: 'main', segments: 1, failures: ['CRC'] } as unknown as WalVerification),
  walVerifiedNotice({ status: 'passed', server: 'main', segments: 1, failures: [] } as unknown as WalVerification),
  incident('level1'),
  incident('acknowledged'),
  incident('resolved'),
  incident('aborted'),
];

describe('pagesOf', () => {
  const page = (n: Notice) => {
    const found = pagesOf(n, { drills: false });
    return found.length === 1 ? found[0] : found.length ? found : null;
  };

  it.each([
    ['backup.failed', 'trigger', 'pgwarden:backup:shop'],
    ['backup.succeeded', 'resolve', 'pgwarden:backup:shop'],
    ['backup.missing', 'trigger', 'pgwarden:backups-missing:shop'],
    ['backup.check-failed', 'trigger', 'pgwarden:backups-unchecked:shop'],
    ['verify.failed', 'trigger', 'pgwarden:verify:shop'],
    ['verify.run-failed', 'trigger', 'pgwarden:verify:shop'],
    ['verify.passed', 'resolve', 'pgwarden:verify:shop'],
    ['cleanup.failed', 'trigger', 'pgwarden:cleanup:shop'],
    ['cleanup.done', 'resolve', 'pgwarden:cleanup:shop'],
    ['restore-test.failed', 'trigger', 'pgwarden:restore-test:shop'],
    ['restore-test.run-failed', 'trigger', 'pgwarden:restore-test:shop'],
    ['restore-test.passed', 'resolve', 'pgwarden:restore-test:shop'],
    ['basebackup.failed', 'trigger', 'pgwarden:basebackup:main'],
    ['basebackup.succeeded', 'resolve', 'pgwarden:basebackup:main'],
    ['basebackup.verify-failed', 'trigger', 'pgwarden:basebackup-verify:main'],
    ['basebackup.verified', 'resolve', 'pgwarden:basebackup-verify:main'],
    ['wal.behind', 'trigger', 'pgwarden:wal-behind:main'],
    ['wal.caught-up', 'resolve', 'pgwarden:wal-behind:main'],
    ['wal.stopped', 'trigger', 'pgwarden:wal-stopped:main'],
    ['wal.archiving', 'resolve', 'pgwarden:wal-stopped:main'],
    ['wal.archive-command-failing', 'trigger', 'pgwarden:archive-command:main'],
    ['wal.archive-command-recovered', 'resolve', 'pgwarden:archive-command:main'],
    ['wal.verify-failed', 'trigger', 'pgwarden:wal-verify:main'],
    ['wal.verified', 'resolve', 'pgwarden:wal-verify:main'],
    ['incident.level1', 'trigger', 'pgwarden:incident:dr-shop-20261207T010000Z'],
    ['incident.acknowledged', 'acknowledge', 'pgwarden:incident:dr-shop-20261207T010000Z'],
    ['incident.resolved', 'resolve', 'pgwarden:incident:dr-shop-20261207T010000Z'],
    ['incident.aborted', 'resolve', 'pgwarden:incident:dr-shop-20261207T010000Z'],
  ])('%s: %s %s', (event, action, key) => {
    const notice = notices.find((n) => n.event === event);
    expect(notice && page(notice)).toEqual({ action, key });
  });

  it('ends both alerts of the daily check when it finds nothing missing', () => {
    expect(pagesOf(checkedNotice('shop', 'check-1'), { drills: false })).toEqual([
      { action: 'resolve', key: 'pgwarden:backups-missing:shop' },
      { action: 'resolve', key: 'pgwarden:backups-unchecked:shop' },
    ]);
  });

  it('covers every paging event with a notice that says what it is about', () => {
    expect(Object.keys(PAGING).filter((event) => !notices.some((n) => n.event === event && n.about))).toEqual([]);
  });

  it('leaves alone what a person watches or nobody needs woken for', () => {
    const started = restoreNotice({
      status: 'failed',
      database: 'shop',
      backupId: 'b',
      target: 'shop',
      message: 'x',
      workflowId: 'w',
    });
    expect(page({ ...started, about: 'shop' })).toBeNull();
    for (const kind of ['level2', 'level3', 'update', 'handover', 'update-due', 'customer-closing'] as const)
      expect(page(incident(kind))).toBeNull();
  });

  it.each([
    ['backup', backupNotice({ ...failed, status: 'failed', backupId: 'b', reason: 'x', errorType: 'Cancelled' })],
    ['daily check', checkFailedNotice({ ...failed, errorType: 'Cancelled' })],
    ['verification', verifyRunFailedNotice({ ...failed, errorType: 'Cancelled', during: 'restoring', verified: [] })],
    ['cleanup', cleanupFailedNotice({ ...failed, errorType: 'Cancelled' })],
    ['restore test', restoreTestRunFailedNotice({ ...failed, errorType: 'Cancelled', during: 'restoring', tested: [] })],
    [
      'base backup',
      baseBackupNotice({ status: 'failed', server: 'main', errorType: 'Cancelled', message: 'y', reason: 'x', workflowId: 'w' }),
    ],
  ])('does not page a %s someone cancelled (it is told all the same, as cancelled)', (_, notice) => {
    expect(notice.severity).toBe('critical');
    expect(page(notice)).toBeNull();
    expect(page({ ...notice, cancelled: undefined })).toMatchObject({ action: 'trigger' });
    expect(renderEmail(notice).subject).toMatch(/^\[pgwarden\] CANCELLED: /);
    expect(notice.title).not.toContain('FAILED');
  });

  it('pages a drill only when asked, and then as a drill', () => {
    expect(page(incident('level1', true))).toBeNull();
    expect(page(incident('acknowledged', true))).toBeNull();
    expect(page(incident('resolved', true))).toBeNull(); // nothing to end either
    const [asked] = pagesOf(incident('level1', true), { drills: true });
    expect(asked).toEqual({ action: 'trigger', key: 'pgwarden:incident:dr-shop-20261207T010000Z' });
    expect(pagerDutyEvent(incident('level1', true), asked).payload!.summary).toContain('drill started (nothing failed)');
  });
});

describe('pagerDutyEvent', () => {
  it('a trigger: the title to read out, the facts and what to do as details, links apart', () => {
    const notice: Notice = {
      event: 'wal.verify-failed',
      about: 'main',
      severity: 'critical',
      title: 'Archived WAL of main FAILED its read-back',
      facts: [
        ['Server', 'main'],
        ['Finding', 'CRC of 0000000100000000000000A1'],
        ['Finding', 'decryption of 0000000100000000000000A2'],
        ['Follow it', 'http://temporal.internal:8233/namespaces/default/workflows/wal-main'],
      ],
      action: 'take a new base backup',
    };
    expect(pagerDutyEvent(notice, { action: 'trigger', key: 'pgwarden:wal-verify:main' })).toEqual({
      event_action: 'trigger',
      dedup_key: 'pgwarden:wal-verify:main',
      client: 'pgwarden',
      payload: {
        summary: 'Archived WAL of main FAILED its read-back',
        source: 'pgwarden: main',
        severity: 'critical',
        component: 'main',
        group: 'wal',
        class: 'wal.verify-failed',
        custom_details: {
          Server: 'main',
          Finding: 'CRC of 0000000100000000000000A1 | decryption of 0000000100000000000000A2',
          'Follow it': 'http://temporal.internal:8233/namespaces/default/workflows/wal-main',
          'What to do': 'take a new base backup',
        },
      },
      links: [{ href: 'http://temporal.internal:8233/namespaces/default/workflows/wal-main', text: 'Follow it' }],
    });
  });

  it('acknowledge and resolve carry the key alone; a summary is cut at 1024 characters', () => {
    const notice = incident('resolved');
    expect(pagerDutyEvent(notice, { action: 'resolve', key: 'k' })).toEqual({ event_action: 'resolve', dedup_key: 'k' });
    const long = { ...incident('level1'), title: 'x'.repeat(2000) };
    expect(pagerDutyEvent(long, { action: 'trigger', key: 'k' }).payload!.summary).toHaveLength(1024);
  });
});

describe('sendPagerDuty', () => {
  const settings = {
    routingKey: new Secret('K'.repeat(32)),
    eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
    drills: false,
  };
  const event = { event_action: 'resolve' as const, dedup_key: 'pgwarden:backup:shop' };
  const answers = (...statuses: number[]) => {
    const calls: string[] = [];
    jest.spyOn(global, 'fetch').mockImplementation(async (_url, init) => {
      calls.push(String(init?.body));
      const status = statuses.shift()!;
      return new Response(JSON.stringify(status === 400 ? { message: 'Event object is invalid', errors: ['bad'] } : {}), {
        status,
      });
    });
    return calls;
  };
  afterEach(() => jest.restoreAllMocks());

  it('asks again after 1, 2 and 4 s while PagerDuty throttles or fails, then says so', async () => {
    const waits: number[] = [];
    const calls = answers(429, 502, 503, 500);
    await expect(sendPagerDuty(settings, event, async (ms) => void waits.push(ms))).rejects.toThrow(
      'PagerDuty answered 500 (4 attempts)',
    );
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(calls).toHaveLength(4);
    expect(JSON.parse(calls[0])).toEqual({ routing_key: 'K'.repeat(32), ...event });
  });

  it('stops at once when PagerDuty refuses the event itself, with its own words', async () => {
    const waits: number[] = [];
    answers(400);
    await expect(sendPagerDuty(settings, event, async (ms) => void waits.push(ms))).rejects.toThrow(
      'PagerDuty answered 400: Event object is invalid; bad',
    );
    expect(waits).toEqual([]);
  });

  it('is done at the first 202', async () => {
    answers(503, 202);
    await expect(sendPagerDuty(settings, event, async () => undefined)).resolves.toBeUndefined();
  });
});
