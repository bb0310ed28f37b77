/** A restore's and a point-in-time restore's evidence report: steps, approval, objective, markdown. */
import { restoreEvidence, restoreMarkdown } from '../../src/operations/restore/evidence';

const at = (hhmm: string) => new Date(`2026-11-30T${hhmm}:00.000Z`);
const steps = [
  {
    step: 'find the backup and check the target',
    startedAt: at('10:00').toISOString(),
    endedAt: at('10:01').toISOString(),
    outcome: 'done' as const,
  },
  {
    step: 'wait for the approval',
    startedAt: at('10:01').toISOString(),
    endedAt: at('10:11').toISOString(),
    outcome: 'done' as const,
  },
  {
    step: 'restore beside, count the rows, swap in',
    startedAt: at('10:11').toISOString(),
    endedAt: at('10:41').toISOString(),
    outcome: 'done' as const,
  },
];
/** An in-place restore that succeeded; each test changes what it is about. */
const inPlace = {
  type: 'restore' as const,
  id: 'restore-shop-20261130T100000Z',
  database: 'shop',
  what: 'backup_20261130_020000',
  into: 'shop, in place',
  startedAt: at('10:00'),
  finishedAt: at('10:41'),
  failure: null,
  approval: { approvedBy: 'alice', rejectedBy: null },
  steps,
  dataLoss: 'the backup was 8 h old: what was written after its snapshot is not in it',
  generatedAt: at('10:42'),
};

describe('restoreEvidence', () => {
  it('gives each step its duration, the approval, and the restore time against the RTO', () => {
    const r = restoreEvidence(inPlace);
    expect(r).toMatchObject({
      type: 'restore',
      status: 'succeeded',
      steps: [{ seconds: 60 }, { seconds: 600 }, { seconds: 1800 }],
      objectives: { restore: { objective: 'RTO 2-4 h', measured: '0.68 h', met: true } },
      recoveredTo: null,
    });
    expect(restoreMarkdown(r).split('\n')).toEqual(
      expect.arrayContaining([
        '# Restore restore-shop-20261130T100000Z: succeeded',
        '| approval | approved by alice |',
        '| RTO 2-4 h | 0.68 h: met |',
        '| wait for the approval | 2026-11-30 10:01:00Z | 600 s | done |',
        '| data not brought back | the backup was 8 h old: what was written after its snapshot is not in it |',
      ]),
    );
  });

  it('says a failed point-in-time restore failed, unmeasured, with the reason and the point it reached if any', () => {
    const r = restoreEvidence({
      type: 'pitr-restore',
      id: 'pitr-restore-shop-20261130T100000Z',
      database: 'shop',
      what: 'the server as of 2026-11-30T09:59:00.000Z',
      into: 'a new instance',
      startedAt: at('10:00'),
      finishedAt: at('10:05'),
      failure: 'the target is after the newest WAL in the archive',
      approval: null,
      steps: [{ ...steps[0], outcome: 'failed' }],
      recoveredTo: null,
      dataLoss: null,
      generatedAt: at('10:05'),
    });
    expect(r).toMatchObject({ status: 'failed', objectives: { restore: { met: null } } });
    const md = restoreMarkdown(r);
    expect(md).toContain('# Point-in-time restore pitr-restore-shop-20261130T100000Z: failed');
    expect(md).toContain('| failure | the target is after the newest WAL in the archive |');
    expect(md).toContain('| RTO 2-4 h | 0.08 h: not measured |');
    expect(md).not.toContain('| approval |');
    expect(md).not.toContain('## Notes');
    expect(r).not.toHaveProperty('notes');
  });

  it('lists the roles it created and what it did not give back as notes', () => {
    const r = restoreEvidence({
      ...inPlace,
      notes: ["roles created from the backup's globals: app_owner, app", 'tablespace fast does not exist on this server'],
    });
    expect(r.notes).toHaveLength(2);
    const md = restoreMarkdown(r).split('\n');
    expect(md.slice(md.indexOf('## Notes'), md.indexOf('## Notes') + 5)).toEqual([
      '## Notes',
      '',
      "- roles created from the backup's globals: app_owner, app",
      '- tablespace fast does not exist on this server',
      '',
    ]);
  });
});
