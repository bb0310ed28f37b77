/** A standby as the server backed up: what preflight warns of, and which errors are its recovery's. */
import { preflightReport } from '../support/preflight-report';
import { formatPreflight, preflightVerdict } from '../../src/app/cli/commands/check';
import {
  droppedOnStandbyProblem,
  isRecoveryConflict,
  ServerRecovery,
  standbyDumpRisk,
  standbyUnloggedWarning,
  standbyWarnings,
} from '../../src/infra/postgres/standby';

const standby = (hotStandbyFeedback: boolean, maxStandbyStreamingDelay: string): ServerRecovery => ({
  inRecovery: true,
  hotStandbyFeedback,
  maxStandbyStreamingDelay,
});

describe('standbyDumpRisk', () => {
  it.each([
    ['a primary', { inRecovery: false, hotStandbyFeedback: false, maxStandbyStreamingDelay: '30s' }, false],
    ['a standby with the defaults (feedback off, 30 s)', standby(false, '30s'), true],
    ['a standby that cancels at once', standby(false, '0'), true],
    ['a standby that sends feedback', standby(true, '30s'), false],
    ['a standby whose replay waits for queries', standby(false, '-1'), false],
  ])('%s', (_, recovery, risky) => {
    const risk = standbyDumpRisk('db2:5432', recovery);
    expect(risk !== undefined).toBe(risky);
    if (risk)
      expect(risk).toContain(
        `db2:5432 is a standby with hot_standby_feedback off and max_standby_streaming_delay ${recovery.maxStandbyStreamingDelay}`,
      );
  });
});

describe('standbyWarnings', () => {
  it.each([
    ['a primary', { inRecovery: false, hotStandbyFeedback: false, maxStandbyStreamingDelay: '30s' }, false, []],
    [
      'a risky standby, no VERIFY_DATABASE_URL',
      standby(false, '30s'),
      false,
      ['hot_standby_feedback off', 'VERIFY_DATABASE_URL is not set'],
    ],
    ['a risky standby, verifications elsewhere', standby(false, '30s'), true, ['hot_standby_feedback off']],
    ['a standby with feedback, no VERIFY_DATABASE_URL', standby(true, '30s'), false, ['VERIFY_DATABASE_URL is not set']],
    ['a standby with feedback, verifications elsewhere', standby(true, '30s'), true, []],
  ])('%s', (_, recovery, verifyServerSet, said) => {
    const warnings = standbyWarnings('db2:5432', recovery, verifyServerSet);
    expect(warnings).toHaveLength(said.length);
    said.forEach((s, i) => expect(warnings[i]).toContain(s));
  });

  it.each([
    [
      'a primary says nothing of its unlogged tables',
      { inRecovery: false, hotStandbyFeedback: false, maxStandbyStreamingDelay: '30s' },
      ['public.u'],
      [],
    ],
    ['a standby without unlogged tables', standby(true, '30s'), [], []],
    ['a standby with one', standby(true, '30s'), ['public.u'], ['no rows of unlogged tables (public.u)']],
    [
      'after the dump risk, before verifications',
      standby(false, '30s'),
      ['public.u'],
      ['hot_standby_feedback off', 'unlogged', 'VERIFY_DATABASE_URL'],
    ],
  ])('%s', (_, recovery, unlogged, said) => {
    const warnings = standbyWarnings('db2:5432', recovery, said.includes('VERIFY_DATABASE_URL') ? false : true, unlogged);
    expect(warnings).toHaveLength(said.length);
    said.forEach((s, i) => expect(warnings[i]).toContain(s));
  });
});

describe('standbyUnloggedWarning', () => {
  it.each([
    [[], undefined],
    [
      ['public.u'],
      'db2:5432 is a standby, and standbys hold no rows of unlogged tables (public.u): a backup of it keeps that table empty; back up the primary to keep their rows, or make them logged (ALTER TABLE ... SET LOGGED on the primary)',
    ],
    [['a.x', 'a.y', 'b.z'], '(a.x, a.y, b.z): a backup of it keeps those tables empty'],
    [['a.x', 'a.y', 'b.z', 'c.w', 'c.v'], '(a.x, a.y, b.z and 2 more): a backup of it keeps those tables empty'],
  ])('%j', (tables, said) => {
    const warning = standbyUnloggedWarning('db2:5432', tables);
    if (said === undefined) expect(warning).toBeUndefined();
    else expect(warning).toContain(said);
  });
});

describe('isRecoveryConflict', () => {
  it.each([
    ['ERROR:  canceling statement due to conflict with recovery', true],
    ['FATAL:  terminating connection due to conflict with recovery', true],
    ['FATAL:  terminating connection due to administrator command', false],
    ['ERROR:  permission denied for table t', false],
  ])('%s', (text, expected) => expect(isRecoveryConflict(text)).toBe(expected));
});

describe('droppedOnStandbyProblem', () => {
  it.each<[string, string | null]>([
    [
      'pg_dump failed (exit 1): query failed: server closed the connection unexpectedly; check that the database server is up',
      "pg_dump failed (exit 1): query failed: server closed the connection unexpectedly; the server is a standby, whose recovery ends a dump's session when it conflicts (unless it restarted): on the standby set hot_standby_feedback = on (or max_standby_streaming_delay = -1), or back up the primary",
    ],
    [
      'pg_dump failed (exit 1): FATAL:  terminating connection due to administrator command; check that the database server is up',
      "pg_dump failed (exit 1): FATAL:  terminating connection due to administrator command; the server is a standby, whose recovery ends a dump's session when it conflicts (unless it restarted): on the standby set hot_standby_feedback = on (or max_standby_streaming_delay = -1), or back up the primary",
    ],
    ['pg_dump failed (exit 1): could not connect to server: Connection refused; check that the database server is up', null],
  ])('%s', (message, problem) => {
    expect(droppedOnStandbyProblem(message)).toBe(problem);
  });
});

describe('pgwarden check of a standby', () => {
  const report = (warnings?: string[], standby?: boolean) =>
    preflightReport({ host: 'db2:5432', ...(standby === undefined ? {} : { standby }), ...(warnings ? { warnings } : {}) });

  it('names the standby and prints each warning, and the verdict counts them', () => {
    const r = report(['first thing to change', 'second thing'], true);
    const lines = formatPreflight(r).split('\n');
    expect(lines[0]).toBe('database   shop at db2:5432: PostgreSQL 15.8, a standby (in recovery)');
    expect(lines.slice(-2)).toEqual(['warning    first thing to change', 'warning    second thing']);
    expect(preflightVerdict(r)).toBe('all checks passed, with 2 warnings above');
  });

  it.each([
    ['a primary', report([], false)],
    ['a report of a worker older than the warnings', report(undefined, undefined)],
  ])('%s: no warning line, all checks passed', (_, r) => {
    expect(formatPreflight(r)).not.toMatch(/warning|standby/);
    expect(preflightVerdict(r)).toBe('all checks passed');
  });
});
