import { FoundProgram, RECOVERY_PROGRAMS, recoveryToolsProblem } from '../../src/infra/postgres/recovery-tools';

const all = (major: number | undefined, except: Partial<Record<FoundProgram['name'], number | undefined>> = {}) =>
  RECOVERY_PROGRAMS.map((name) => ({ name, major: name in except ? except[name] : major }));

describe('recoveryToolsProblem', () => {
  it.each([
    ['every program of the copy’s version', 15, all(15), undefined],
    [
      'the client tools alone (Debian postgresql-client-15)',
      15,
      all(15, { pg_ctl: undefined, postgres: undefined, pg_controldata: undefined, pg_waldump: undefined }),
      "recovering a PostgreSQL 15 copy needs PostgreSQL 15's server programs on this worker's host (pg_ctl, postgres, pg_controldata, pg_waldump not found): install them (Debian, Ubuntu: postgresql-15, from apt.postgresql.org where the release lacks it; the client tools alone cannot run a copy) or point PG_BIN_DIR at them",
    ],
    [
      'another version’s programs only',
      15,
      all(18),
      "recovering a PostgreSQL 15 copy needs PostgreSQL 15's server programs on this worker's host (pg_ctl is PostgreSQL 18's; postgres is PostgreSQL 18's; pg_controldata is PostgreSQL 18's; pg_waldump is PostgreSQL 18's; pg_verifybackup is PostgreSQL 18's): install them (Debian, Ubuntu: postgresql-15, from apt.postgresql.org where the release lacks it; the client tools alone cannot run a copy) or point PG_BIN_DIR at them",
    ],
    [
      'one missing and one of another version',
      18,
      all(18, { postgres: undefined, pg_waldump: 17 }),
      "recovering a PostgreSQL 18 copy needs PostgreSQL 18's server programs on this worker's host (postgres not found; pg_waldump is PostgreSQL 17's): install them (Debian, Ubuntu: postgresql-18, from apt.postgresql.org where the release lacks it; the client tools alone cannot run a copy) or point PG_BIN_DIR at them",
    ],
  ])('%s', (_what, major, found, problem) => {
    expect(recoveryToolsProblem(major, found)).toBe(problem);
  });
});
