/** A table recovery's evidence: its steps as the workflow logs them, the objective, the markdown. */
import { RecoveryLog, tableRecoveryEvidence, tableRecoveryMarkdown } from '../../src/operations/table-recovery/evidence';

const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 9, 0, s));

function run(failure: string | null) {
  let clock = 0;
  const log = new RecoveryLog(() => at(clock));
  log.begin('check');
  clock = 2;
  log.begin('recover');
  clock = 40;
  log.begin('wait for the approval');
  clock = 50;
  if (failure) log.end('failed');
  else log.begin('replace');
  clock = 52;
  log.begin('remove the temporary instance');
  clock = 53;
  log.end('done');
  return tableRecoveryEvidence({
    id: 'recover-table-shop-x',
    server: 'shop',
    into: 'shop',
    target: '2026-11-30T08:59:00Z',
    source: 'base backup base_20261130_020000 and the WAL archive',
    startedAt: at(0),
    finishedAt: at(53),
    failure,
    approval: { approvedBy: failure ? null : 'dba', rejectedBy: failure ? 'dba' : null },
    tables: [{ table: 'shop.orders', as: 'shop.orders', rows: failure ? null : 320, keptAs: 'shop.orders_replaced' }],
    steps: log.steps,
    recoveredTo: failure ? null : { commitTime: '2026-11-30T08:58:59.900Z', lsn: '0/3000060' },
    lossSeconds: failure ? null : 0.1,
    generatedAt: at(54),
  });
}

describe('tableRecoveryEvidence', () => {
  it('times each step from its start to the next, and measures the run against the restore objective', () => {
    const r = run(null);
    expect(r.steps.map((s) => [s.step, s.seconds, s.outcome])).toEqual([
      ['check', 2, 'done'],
      ['recover', 38, 'done'],
      ['wait for the approval', 10, 'done'],
      ['replace', 2, 'done'],
      ['remove the temporary instance', 1, 'done'],
    ]);
    expect(r).toMatchObject({
      status: 'succeeded',
      objectives: { restore: { objective: 'RTO 2-4 h', measured: '0.01 h', met: true } },
    });
  });

  it('marks the step that failed, and says so in markdown', () => {
    const r = run('rejected by dba; nothing was changed');
    expect(r.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['check', 'done'],
      ['recover', 'done'],
      ['wait for the approval', 'failed'],
      ['remove the temporary instance', 'done'],
    ]);
    expect(r).toMatchObject({ status: 'failed', objectives: { restore: { met: null } } });
    const md = tableRecoveryMarkdown(r).split('\n');
    expect(md).toEqual(
      expect.arrayContaining([
        '# Table recovery recover-table-shop-x: failed',
        '| approval | rejected by dba |',
        '| failure | rejected by dba; nothing was changed |',
        '| wait for the approval | 2026-11-30 09:00:40Z | 10 s | failed |',
        '| shop.orders | shop.orders | – | shop.orders_replaced |',
      ]),
    );
  });
});
