/** What a table recovery and a point-in-time restore tell people: waiting, done, failed. */
import { renderEmail } from '../../src/infra/notify/notice';
import { pitrRestoreNotice } from '../../src/operations/pitr/restore-notices';
import { describeRecoveredTable, plannedTable, tableRecoveryNotice } from '../../src/operations/table-recovery/notices';

const where = { server: 'shop', into: 'shop', target: '2026-12-06T10:00:00.000Z', workflowId: 'recover-table-shop-1' };

describe('table recovery notices', () => {
  it.each([
    [
      { table: 'shop.orders', as: 'shop.orders_recovered', rows: 300, foreignKeysLeftOut: [] },
      'shop.orders -> shop.orders_recovered: 300 row(s)',
    ],
    [
      { table: 'shop.orders', as: 'shop.orders_recovered', rows: 1, foreignKeysLeftOut: ['a_fkey', 'b_fkey'] },
      'shop.orders -> shop.orders_recovered: 1 row(s); foreign keys left out: a_fkey, b_fkey',
    ],
    [
      { table: 'shop.orders', as: 'shop.orders', rows: 5, foreignKeysLeftOut: [], keptAs: 'shop.orders_replaced' },
      'shop.orders replaced by its copy: 5 row(s); the rows it had are kept as shop.orders_replaced (drop it when no longer needed)',
    ],
    [
      { table: 'shop.orders', as: 'shop.orders', rows: 5, foreignKeysLeftOut: [], keptAs: null },
      'shop.orders replaced by its copy: 5 row(s); it had been dropped: put back',
    ],
  ])('a table as it came back, in one line (%#)', (table, line) => {
    expect(describeRecoveredTable(table)).toBe(line);
  });

  const orders = { schema: 'shop', table: 'orders' };
  it.each([
    [
      { from: orders, as: { schema: 'shop', table: 'orders_recovered' } },
      false,
      'shop.orders -> shop.orders_recovered, beside the live table',
    ],
    [
      { from: orders, as: { schema: 'shop', table: 'orders_recovering' }, keptAs: { schema: 'shop', table: 'orders_replaced' } },
      false,
      'shop.orders to be replaced by its copy once approved; the rows it has kept as shop.orders_replaced',
    ],
    [
      { from: orders, as: { schema: 'shop', table: 'orders_recovering' }, keptAs: { schema: 'shop', table: 'orders_replaced' } },
      true,
      'shop.orders to be replaced by its copy without an approval (--force); the rows it has kept as shop.orders_replaced',
    ],
  ])('a table before it comes back, in one line (%#)', (name, force, plan) => {
    expect(plannedTable(name, force)).toEqual({ table: 'shop.orders', plan });
  });

  it('started: each table and where it comes back, from what, for which incident', () => {
    const mail = renderEmail(
      tableRecoveryNotice({
        ...where,
        status: 'started',
        tables: [
          plannedTable({ from: orders, as: { schema: 'shop', table: 'orders_recovered' } }, false),
          plannedTable({ from: { schema: 'shop', table: 'items' }, as: { schema: 'shop', table: 'items_recovered' } }, false),
        ],
        source: 'logical backup backup_20261206_020000 taken 2026-12-06T02:00:00Z (the newest before the point)',
        incident: 'dr-shop-1',
      }),
    );
    expect(mail.subject).toBe('[pgwarden] OK: Table recovery of shop.orders, shop.items in shop started');
    expect(mail.text).toMatch(/^Table: +shop\.orders -> shop\.orders_recovered, beside the live table$/m);
    expect(mail.text).toMatch(/^Table: +shop\.items -> shop\.items_recovered, beside the live table$/m);
    expect(mail.text).toMatch(/^From: +logical backup backup_20261206_020000 taken/m);
    expect(mail.text).toMatch(/^Incident: +dr-shop-1$/m);
    expect(mail.text).toContain('-- pgwarden (table-recovery.started)');
  });

  it.each([
    [undefined, 'pgwarden restore --approve recover-table-shop-1 --as <your name>'],
    ['dr-shop-1', 'pgwarden dr approve dr-shop-1 --as <your name>'],
  ])('a replace waiting (incident %s): a warning naming the one way to approve it', (incident, how) => {
    const notice = tableRecoveryNotice({
      ...where,
      status: 'approval-needed',
      tables: ['shop.orders'],
      source: 'base backup base_1 and the WAL archive',
      timeoutMinutes: 60,
      ...(incident ? { incident } : {}),
    });
    expect(notice).toMatchObject({
      event: 'table-recovery.approval-needed',
      severity: 'warning',
      title: 'Replacing shop.orders in shop is waiting for approval',
    });
    expect(notice.facts).toContainEqual(['Times out in', '60 min']);
    expect(notice.action).toContain(how);
  });

  it('done: every table, where from, what was not recovered, who approved, the report', () => {
    const notice = tableRecoveryNotice({
      ...where,
      into: 'shop_copy',
      status: 'succeeded',
      tables: [{ table: 'shop.orders', as: 'shop.orders', rows: 5, foreignKeysLeftOut: [], keptAs: 'shop.orders_replaced' }],
      source: 'base backup base_1 and the WAL archive',
      recoveredTo: '2026-12-06T09:59:59.500Z',
      lossSeconds: 0.5,
      approvedBy: 'dba',
      durationMs: 90_000,
      report: 's3://b/shop/reports/x.md',
    });
    expect(notice.title).toBe('Replaced shop.orders in shop_copy');
    expect(renderEmail(notice).text).toBe(
      [
        'Replaced shop.orders in shop_copy',
        '',
        'Database:             shop_copy (from shop)',
        'As of:                2026-12-06T10:00:00.000Z',
        'Table:                shop.orders replaced by its copy: 5 row(s); the rows it had are kept as shop.orders_replaced (drop it when no longer needed)',
        'From:                 base backup base_1 and the WAL archive',
        'Last commit replayed: 2026-12-06T09:59:59.500Z',
        'Not recovered:        at most 0.500 s of commits before the target',
        'Approved by:          dba',
        'Took:                 1.5 min',
        'Report:               s3://b/shop/reports/x.md',
        'Workflow:             recover-table-shop-1',
        '',
        'What to do: check the application; drop the kept tables once you no longer need the rows they hold',
        '',
        '-- pgwarden (table-recovery.succeeded)',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [false, 'the live tables are as they were'],
    [true, 'the tables were loaded; only the removal'],
  ])('failed (loaded: %s): critical, the step and the error, and whether anything changed', (loaded, said) => {
    const notice = tableRecoveryNotice({
      ...where,
      database: 'shop',
      status: 'failed',
      tables: ['shop.orders'],
      during: loaded ? 'done' : 'replacing the tables with their copies',
      loaded,
      errorType: 'BackupError',
      message: 'violates foreign key constraint',
    });
    expect(notice).toMatchObject({ event: 'table-recovery.failed', severity: 'critical' });
    expect(notice.facts).toContainEqual(['Error', 'BackupError: violates foreign key constraint']);
    expect(notice.action).toContain(said);
  });
});

describe('point-in-time restore notices', () => {
  const done = {
    status: 'succeeded' as const,
    server: 'shop',
    target: '2026-12-06T10:00:00.000Z',
    baseBackupId: 'base_20261206T020000Z',
    recoveredTo: { commitTime: null, lsn: '0/3000060' },
    lossSeconds: null,
    dataDir: '/var/lib/pgwarden/shop/pitr-1',
    durationMs: 30_000,
    notes: [],
    report: null,
    workflowId: 'pitr-shop-1',
  };

  it.each([
    [5433, "running on port 5433 of the worker's host, data in /var/lib/pgwarden/shop/pitr-1", true],
    [null, 'stopped, data in /var/lib/pgwarden/shop/pitr-1', false],
  ])('done (port %s): where the instance is, and how to stop it while it runs', (runningOn, instance, stopSaid) => {
    const notice = pitrRestoreNotice({ ...done, runningOn });
    expect(notice).toMatchObject({ event: 'pitr-restore.succeeded', severity: 'info' });
    expect(notice.facts).toContainEqual(['Instance', instance]);
    expect(notice.facts).toContainEqual(['Last commit replayed', 'none after the base backup (LSN 0/3000060)']);
    expect(notice.action !== undefined).toBe(stopSaid);
    if (stopSaid) expect(notice.action).toContain('pgwarden pitr stop --server shop --data-dir /var/lib/pgwarden/shop/pitr-1');
  });

  it('failed: critical, the error, and that the original was not touched', () => {
    const notice = pitrRestoreNotice({
      status: 'failed',
      server: 'shop',
      database: 'shop',
      target: 'the latest',
      errorType: 'EncryptionError',
      message: 'the key does not open base_1',
      workflowId: 'pitr-shop-1',
    });
    expect(notice).toMatchObject({ event: 'pitr-restore.failed', severity: 'critical' });
    expect(notice.facts).toContainEqual(['Error', 'EncryptionError: the key does not open base_1']);
    expect(notice.action).toMatch(/^the original server was not touched/);
  });
});
