import { notScratch, scratchDatabaseName, scratchLike } from '../../src/operations/restore/scratch-databases';

describe("pgwarden's temporary databases", () => {
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
});
