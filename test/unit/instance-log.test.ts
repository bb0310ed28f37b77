import { lastLogLines, lastServerFatal } from '../../src/infra/postgres/instance-log';

const at = '2026-12-02 15:57:01.123 UTC [4242]';

describe('why a recovering instance stopped, from its log', () => {
  it.each([
    [
      // CI saw pg_ctl's readiness check land after the reason, and the run said "in recovery mode".
      'a connection turned away after the reason',
      [
        `${at} LOG:  starting point-in-time recovery to "sql-point"`,
        `${at} FATAL:  recovery ended before configured recovery target was reached`,
        `${at} FATAL:  the database system is in recovery mode`,
        `${at} LOG:  startup process (PID 4243) exited with exit code 1`,
      ],
      'recovery ended before configured recovery target was reached',
    ],
    [
      'connections turned away only',
      [`${at} FATAL:  the database system is starting up`, `${at} FATAL:  the database system is not yet accepting connections`],
      undefined,
    ],
    ['a PANIC', [`${at} PANIC:  could not locate a valid checkpoint record`], 'could not locate a valid checkpoint record'],
    ['nothing fatal', [`${at} LOG:  database system is ready to accept connections`], undefined],
  ])('%s', (_what, lines, reason) => {
    expect(lastServerFatal(lines.join('\n'))).toBe(reason);
  });
});

describe("an instance's last log lines, when it stopped without a FATAL line", () => {
  it.each([
    [
      'a killed startup process',
      [
        `${at} LOG:  redo starts at 0/2000028`,
        `${at} LOG:  startup process (PID 4243) was terminated by signal 9: Killed`,
        `${at} LOG:  aborting startup due to startup process failure`,
        `${at} LOG:  database system is shut down`,
        '',
      ],
      `${at} LOG:  startup process (PID 4243) was terminated by signal 9: Killed | ${at} LOG:  aborting startup due to startup process failure | ${at} LOG:  database system is shut down`,
    ],
    ['a postmaster killed before it wrote anything', [''], 'its log is empty'],
  ])('%s', (_what, lines, said) => {
    expect(lastLogLines(lines.join('\n'))).toBe(said);
  });
});
