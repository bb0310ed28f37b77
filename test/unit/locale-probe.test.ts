import { missingLocaleProblem } from '../../src/infra/postgres/locale-probe';

describe('missingLocaleProblem', () => {
  it.each([
    [
      { collate: 'de_DE.UTF-8', ctype: 'de_DE.UTF-8' },
      "the backup's database has the locale de_DE.UTF-8, which the host of db:5432 does not have (said): install it there",
    ],
    [
      { collate: 'sv_SE.UTF-8', ctype: 'en_US.UTF-8' },
      "the backup's database has the locales sv_SE.UTF-8 (LC_COLLATE) and en_US.UTF-8 (LC_CTYPE), which the host of db:5432 does not have (said): install it there",
    ],
  ])('%j', (p, start) => {
    const line = missingLocaleProblem(p, 'db:5432', 'said');
    expect(line.startsWith(start)).toBe(true);
    expect(line).toMatch(/locale-gen, or apt-get install locales-all\), then restore again$/);
    expect(line).not.toContain('\n');
  });
});
