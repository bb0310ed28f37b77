/** What a restore test tells people: that it passed or failed, and that it could not finish. */
import { cancelledIf, type Notice, type RunFailed } from '../../infra/notify/notice';
import { describeRestoreTest, type RestoreTestReport } from './restore-test';

/** A report line ("logical: passed: ...") as a fact: the part, then what it says. */
function asFact(line: string): [string, string] {
  const colon = line.indexOf(':');
  return [line.slice(0, colon), line.slice(colon + 2)];
}

/**
 * A test that ran to its end: each part's outcome and where the report is. A pass is told too:
 * the strategy's monthly test is evidence the team and auditors look for, not only an alarm.
 */
export function restoreTestNotice(r: RestoreTestReport, report: string): Notice {
  const facts: Array<[string, string]> = [
    ['Database', r.database],
    ...describeRestoreTest(r).slice(1).map(asFact),
    ['Report', report],
    ['Workflow', r.id],
  ];
  if (r.passed)
    return {
      event: 'restore-test.passed',
      about: r.database,
      severity: 'info',
      title: `Restore test of ${r.database} passed`,
      facts,
    };
  return {
    event: 'restore-test.failed',
    about: r.database,
    severity: 'critical',
    title: `Restore test of ${r.database} failed`,
    facts,
    action:
      'read the report; a backup that does not restore is not a backup: run pgwarden verify and pgwarden restore-test again once fixed',
  };
}

/** A restore test that stopped before its report was stored: the parts it had done are said, since nothing else keeps them. */
export interface RestoreTestRunFailed extends RunFailed {
  /** The step it was at. */
  during: string;
  /** Each part done before it stopped, in the report's words ("logical: passed: backup_...; ..."). */
  tested: string[];
}

export function restoreTestRunFailedNotice(f: RestoreTestRunFailed): Notice {
  return {
    event: 'restore-test.run-failed',
    about: f.database,
    ...cancelledIf(f.errorType),
    severity: 'critical',
    title: `Restore test of ${f.database} could not finish`,
    facts: [
      ['Database', f.database],
      ['During', f.during],
      ['Error', `${f.errorType}: ${f.message}`],
      ...f.tested.map(asFact),
      ['Workflow', f.workflowId],
    ],
    action: `${
      f.errorType === 'ConfigError'
        ? 'fix the worker configuration named above and restart the worker'
        : 'fix the cause named above (the Temporal Web UI has the full error)'
    }, then run pgwarden restore-test --database ${f.database}; no report of this run is stored, so the daily check still counts the last one`,
  };
}
