/**
 * What a point-in-time restore tells people, as a restore does (the strategy's restore
 * notifications): done, with what was recovered and what was not, or failed. Often run in an
 * incident, by one person, while others wait to hear.
 */
import { factIf, type Notice, type RunFailed } from '../../infra/notify/notice';

export type PitrRestoreOutcome =
  | {
      status: 'succeeded';
      server: string;
      /** The point asked for, in words. */
      target: string;
      baseBackupId: string;
      /** The last commit replayed (null: none after the base backup), and the position replay reached. */
      recoveredTo: { commitTime: string | null; lsn: string };
      lossSeconds: number | null;
      dataDir: string;
      /** The port of the running instance; null when it was stopped after recovery. */
      runningOn: number | null;
      durationMs: number;
      notes: string[];
      report: string | null;
      workflowId: string;
    }
  | (RunFailed & { status: 'failed'; server: string; target: string });

/** What a recovery to a point did not bring back: the commits between the last one replayed and the target. */
export function notRecovered(lossSeconds: number | null): Array<[string, string]> {
  return factIf('Not recovered', lossSeconds !== null && `at most ${lossSeconds.toFixed(3)} s of commits before the target`);
}

export function pitrRestoreNotice(o: PitrRestoreOutcome): Notice {
  if (o.status === 'failed')
    return {
      event: 'pitr-restore.failed',
      severity: 'critical',
      title: `Point-in-time restore of ${o.server} FAILED`,
      facts: [
        ['Server', o.server],
        ['To', o.target],
        ['Error', `${o.errorType}: ${o.message}`],
        ['Workflow', o.workflowId],
      ],
      action:
        'the original server was not touched (a point-in-time restore makes a new instance); fix the cause named above (the Temporal Web UI has the full error), then run pgwarden restore --pitr again',
    };
  return {
    event: 'pitr-restore.succeeded',
    severity: 'info',
    title: `Point-in-time restore of ${o.server} succeeded`,
    facts: [
      ['Server', o.server],
      ['To', o.target],
      ['From', `base backup ${o.baseBackupId} and the WAL archive`],
      ['Last commit replayed', `${o.recoveredTo.commitTime ?? 'none after the base backup'} (LSN ${o.recoveredTo.lsn})`],
      ...notRecovered(o.lossSeconds),
      ...o.notes.map((n) => ['Note', n] as [string, string]),
      [
        'Instance',
        o.runningOn !== null
          ? `running on port ${o.runningOn} of the worker's host, data in ${o.dataDir}`
          : `stopped, data in ${o.dataDir}`,
      ],
      ['Took', `${(o.durationMs / 60000).toFixed(1)} min`],
      ...factIf('Report', o.report),
      ['Workflow', o.workflowId],
    ],
    action:
      o.runningOn !== null
        ? `check the data there (the server's own users and passwords); stop it with pgwarden pitr stop --server ${o.server} --data-dir ${o.dataDir} once done`
        : undefined,
  };
}
