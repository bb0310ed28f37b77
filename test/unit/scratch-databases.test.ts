import {
  notScratch,
  scratchDatabaseName,
  scratchLike,
  scratchOfEndedRuns,
  type ScratchRun,
} from '../../src/operations/restore/scratch-databases';

describe("pgwarden's temporary databases", () => {
  it('names a run apart from another run under the same workflow id', () => {
    const id = 'restore-test-shop-20261202T050000Z';
    expect(scratchDatabaseName('restoretest', id, 'run-a')).not.toBe(scratchDatabaseName('restoretest', id, 'run-b'));
    expect(scratchDatabaseName('restoretest', id, 'run-a')).not.toBe(scratchDatabaseName('restoretest', id));
    expect(notScratch(scratchDatabaseName('restoretest', id, 'run-a'), 'restoretest')).toBeNull();
  });

  it.each(['restoretest', 'drill', 'tables'] as const)('%s: one name per run, the same for every attempt', (use) => {
    const a = scratchDatabaseName(use, 'run-20261130T094200Z');
    expect(a).toMatch(new RegExp(`^pgwarden_${use}_[0-9a-f]{16}$`));
    expect(scratchDatabaseName(use, 'run-20261130T094200Z')).toBe(a);
    expect(scratchDatabaseName(use, 'run-20261130T094201Z')).not.toBe(a);
    expect(notScratch(a, use)).toBeNull();
  });

  it.each([
    ['shop', 'drill', "shop is not a drill's temporary database"],
    ['pgwarden_drill_0123', 'drill', "pgwarden_drill_0123 is not a drill's temporary database"],
    [
      scratchDatabaseName('drill', 'x'),
      'tables',
      `${scratchDatabaseName('drill', 'x')} is not a table recovery's temporary database`,
    ],
    [
      'pgwarden_restoretest_0123456789abcdef; DROP DATABASE shop',
      'restoretest',
      expect.stringMatching(/is not a restore test's/),
    ],
  ] as const)('refuses to drop %s as a %s database', (name, use, problem) => {
    expect(notScratch(name, use)).toEqual(problem);
  });

  it('matches them with LIKE, the underscores taken literally', () => {
    expect(scratchLike('tables')).toBe('pgwarden\\_tables\\_%');
  });

  describe('which of them a janitor may drop, and which no run it knows names', () => {
    const name = scratchDatabaseName;
    const ended = (use: ScratchRun['use'], workflowId: string, runId = 'r1'): ScratchRun => ({
      use,
      workflowId,
      runId,
      running: false,
    });
    const running = (use: ScratchRun['use'], workflowId: string, runId = 'r2'): ScratchRun => ({
      use,
      workflowId,
      runId,
      running: true,
    });
    it.each<[string, string[], ScratchRun[], string[], string[]]>([
      // Named for its run (scratch-name-per-run), as runs name them now.
      [
        "a terminated restore test's, named for its run",
        [name('restoretest', 'rt-1', 'r1')],
        [ended('restoretest', 'rt-1', 'r1')],
        [name('restoretest', 'rt-1', 'r1')],
        [],
      ],
      // Another deployment's run under the same schedule-made id: another run, another name.
      [
        "another deployment's run under the same id stays",
        [name('restoretest', 'rt-1', 'theirs')],
        [ended('restoretest', 'rt-1', 'r1')],
        [],
        [name('restoretest', 'rt-1', 'theirs')],
      ],
      ["a running one's, named for its run, stays", [name('drill', 'dr-1', 'r2')], [running('drill', 'dr-1', 'r2')], [], []],
      [
        "a terminated restore test's",
        [name('restoretest', 'rt-1')],
        [ended('restoretest', 'rt-1')],
        [name('restoretest', 'rt-1')],
        [],
      ],
      ["a running drill's stays", [name('drill', 'dr-1')], [running('drill', 'dr-1')], [], []],
      // Another deployment's on a shared server, or a run too new for the list: nothing here names it.
      [
        'one no run here names stays',
        [name('tables', 'rt-elsewhere')],
        [ended('tables', 'rt-1')],
        [],
        [name('tables', 'rt-elsewhere')],
      ],
      // An id run again (a schedule's, a reset): its older run ended, the newer one uses the database.
      [
        'an id with a run still going stays',
        [name('restoretest', 'rt-1')],
        [ended('restoretest', 'rt-1'), running('restoretest', 'rt-1')],
        [],
        [],
      ],
      // The name carries its use: a drill named like a restore test's run is not that run's.
      ['another use of the same id stays', [name('drill', 'rt-1')], [ended('restoretest', 'rt-1')], [], [name('drill', 'rt-1')]],
      [
        'of several, only the ended ones',
        [name('restoretest', 'a'), name('drill', 'b'), name('tables', 'c'), name('tables', 'd')],
        [ended('restoretest', 'a'), running('drill', 'b'), ended('tables', 'c')],
        [name('restoretest', 'a'), name('tables', 'c')],
        [name('tables', 'd')],
      ],
      ['no runs listed at all: none', [name('restoretest', 'a')], [], [], [name('restoretest', 'a')]],
    ])('%s', (_, names, runs, over, unknown) => {
      expect(scratchOfEndedRuns(names, runs)).toEqual({ over, unknown });
    });
  });
});
